"""Zoom participant reports, attendance: name normalisation, merging reconnections, statuses and matching."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from attendance.zoom import (
    Participant,
    Row,
    attendance_status,
    combine_matched,
    match_participants,
    merge_participants,
    minutes_within,
    normalise_name,
)
from tests.test_zoom_fixtures import WIB, WIT, WITA, by_email, load, utc

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Budi Santoso", "budi santoso"),
        ("  BUDI   santoso ", "budi santoso"),
        ("Dr. Ir. H. Ahmad Fauzi, S.E., M.M.", "ahmad fauzi"),
        ("Hj. Siti Aminah S.Pd.I", "siti aminah"),
        ("Hj.Siti Aminah", "siti aminah"),
        ("Ibu Hj. Nur Halimah, S.E., M.M.", "nur halimah"),
        ("Prof.Dr.Budi", "budi"),
        ("K.H. Abdul Ghofur, Lc., M.A.", "abdul ghofur"),
        ("Dra. Sri Mulyani M.Si", "sri mulyani"),
        ("SRI MULYANI MSI", "sri mulyani"),
        ("Tono, S.T., M.T.", "tono"),
        ("Budi Santoso ST", "budi santoso"),
        ("Ahmad Dahlan, Ph.D.", "ahmad dahlan"),
        ("Wayan Sudarma, A.Md.Keb", "wayan sudarma"),
        ("drg. Rina Sp.KG", "rina"),
        ("apt. Rudi Hartono, S.Farm.", "rudi hartono"),
        ("Bu Ratna, S.Sos", "ratna"),
        ("Pak Eko", "eko"),
        ("Budi S (Budi Santoso)", "budi s"),
        ("Rudi (Kab. Bogor) (Rudi H)", "rudi"),
        ("Siti [PLUT Jatim] Aminah", "siti aminah"),
        ("José Ramírez", "jose ramirez"),
        ("Muhammad Ma'ruf", "muhammad maruf"),
        ("Muhammad Ma\u2019ruf", "muhammad maruf"),
        ("Andi_Saputra", "andi saputra"),
        ("Siti-Aminah", "siti aminah"),
        # things that look like titles but are names
        ("Hendra Wijaya", "hendra wijaya"),
        ("H. Hendra", "hendra"),
        ("M. Ridwan", "m ridwan"),
        ("Budi S.", "budi s"),
        ("Lie Ma", "lie ma"),
        ("Dewi St", "dewi st"),
        ("Santoso, Budi", "santoso budi"),
        ("I Made Wirawan", "i made wirawan"),
        ("Ir", "ir"),
        ("", ""),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected
    assert normalise_name(expected) == expected  # idempotent, so stored aliases stay valid


# --------------------------------------------------------------------------- merging


def row(line: int, name: str, email: str | None, start: int, end: int, **kw) -> Row:
    """A row whose times are minutes after 09:00 WIB (02:00 UTC)."""
    base = utc(2022, 6, 2, 2)
    return Row(line, name, kw.pop("original", None), email, base + timedelta(minutes=start),
               base + timedelta(minutes=end), **kw)


def test_reconnections_by_email_are_merged_case_insensitively():
    people = merge_participants([row(2, "Budi", "Budi@X.id", 0, 40), row(3, "Budi HP", "budi@x.id", 45, 120)])
    (p,) = people
    assert p.key == "email:budi@x.id"
    assert p.names == ("Budi", "Budi HP")
    assert p.minutes == 115
    assert (p.first_join, p.last_leave) == (utc(2022, 6, 2, 2), utc(2022, 6, 2, 4))
    assert p.lines == (2, 3)


@pytest.mark.parametrize(
    ("intervals", "minutes"),
    [
        ([(0, 60), (30, 90)], 90),  # overlap (two devices) counted once
        ([(0, 60), (60, 90)], 90),  # touching
        ([(0, 120), (10, 20), (30, 40)], 120),  # nested
        ([(0, 30), (60, 90)], 60),  # a gap is not counted
        ([(0, 0)], 0),
    ],
)
def test_overlapping_intervals_are_not_double_counted(intervals, minutes):
    rows = [row(i + 2, "Budi", "b@x.id", a, b) for i, (a, b) in enumerate(intervals)]
    (p,) = merge_participants(rows)
    assert p.minutes == minutes
    assert p.seconds == minutes * 60


def test_rows_without_email_group_by_normalised_name():
    rows = [
        row(2, "Dr. Siti Aminah", None, 0, 30),
        row(3, "siti aminah, S.Pd", None, 35, 60),
        row(4, "Siti Amina", None, 0, 10),
    ]
    people = merge_participants(rows)
    assert sorted(p.key for p in people) == ["name:siti amina", "name:siti aminah"]
    assert {p.key: p.minutes for p in people}["name:siti aminah"] == 55


def test_renamed_guest_groups_by_original_name():
    rows = [row(2, "iPhone", None, 0, 30), row(3, "Rina W", None, 31, 60, original="iPhone")]
    (p,) = merge_participants(rows)
    assert p.names == ("iPhone", "Rina W")


def test_guest_rejoin_without_email_joins_the_signed_in_person():
    report = load("participants_en_legacy.csv", WIB)
    people = merge_participants(report.rows)
    budi = by_email(people)["budi.santoso@gmail.com"]
    assert budi.lines == (2, 3)
    assert budi.minutes == 122  # 08:59-10:30 and 10:29-11:01 overlap by a minute


def test_guest_name_shared_by_two_signed_in_people_stays_separate():
    rows = [row(2, "Eko", "eko1@x.id", 0, 10), row(3, "Eko", "eko2@x.id", 0, 10), row(4, "Eko", None, 0, 50)]
    people = merge_participants(rows)
    assert len(people) == 3
    assert {p.key for p in people} == {"email:eko1@x.id", "email:eko2@x.id", "name:eko"}


def test_waiting_room_rows_are_not_attendance():
    report = load("participants_en.csv", WIB)
    people = merge_participants(report.rows)
    rina = next(p for p in people if "Rina Wulandari" in p.names)
    assert 7 not in rina.lines
    assert rina.first_join == utc(2022, 6, 2, 2, 5, 40)
    assert rina.minutes == 114  # 09:05:40-11:00 with the 10:05-10:10 overlap counted once


def test_merged_sample_file():
    people = merge_participants(load("participants_en.csv", WIB).rows)
    assert len(people) == 7
    minutes = {p.email: p.minutes for p in people}
    assert minutes["budi.santoso@gmail.com"] == 121
    assert minutes["siti.aminah@yahoo.co.id"] == 118
    assert minutes["dewi.lestari@gmail.com"] == 50
    assert people == sorted(people, key=lambda p: p.first_join)


def test_minutes_within_clips_to_the_session():
    budi = by_email(merge_participants(load("participants_en.csv", WIB).rows))["budi.santoso@gmail.com"]
    start, end = utc(2022, 6, 2, 2), utc(2022, 6, 2, 4)
    assert minutes_within(budi, start, end) == 119  # 09:00-09:40:10 + 09:41:30-11:00
    assert minutes_within(budi, end, end + timedelta(hours=1)) == 0


# --------------------------------------------------------------------------- status

START = utc(2022, 6, 2, 2)


@pytest.mark.parametrize(
    ("minutes", "join_after", "expected"),
    [
        (120, 0, "present"),
        (90, 0, "present"),  # exactly 75 % of 120
        (89, 0, "absent"),
        (120, -30, "present"),  # joined early
        (100, 15, "present"),  # joined exactly at the late threshold
        (100, 15.01, "late"),
        (90, 30, "late"),
        (89, 30, "absent"),  # late and too short is absent, not late
        (0, 0, "absent"),
        (120, None, "absent"),  # never joined
    ],
)
def test_attendance_status_edges(minutes, join_after, expected):
    first_join = None if join_after is None else START + timedelta(minutes=join_after)
    assert attendance_status(minutes, 120, first_join, START) == expected


def test_attendance_status_with_custom_rule():
    assert attendance_status(36, 45, START, START, present_share=0.8) == "present"
    assert attendance_status(35, 45, START, START, present_share=0.8) == "absent"
    assert attendance_status(45, 45, START + timedelta(minutes=6), START, late_after_min=5) == "late"


@pytest.mark.parametrize(("session", "share"), [(0, 0.75), (-5, 0.75), (60, 0), (60, 1.5)])
def test_attendance_status_rejects_nonsense(session, share):
    with pytest.raises(ValueError):
        attendance_status(10, session, START, START, present_share=share)


# --------------------------------------------------------------------------- matching

ROSTER_EN = [
    {"user_id": 1, "email": "budi.santoso@gmail.com", "name": "Budi Santoso, S.E."},
    {"user_id": 2, "email": "SITI.AMINAH@yahoo.co.id", "name": "Siti Aminah"},
    {"user_id": 3, "email": "ahmad.fauzi@gmail.com", "name": "Ir. Ahmad Fauzi"},
    {"user_id": 4, "email": "rina.w@gmail.com", "name": "Rina Wulandari"},
    {"user_id": 5, "email": "dewi.lestari@gmail.com", "name": "Dewi Lestari"},
    {"user_id": 6, "email": "eko1@gmail.com", "name": "Eko Prasetyo"},
    {"user_id": 7, "email": "eko2@gmail.com", "name": "Eko Prasetyo, S.T."},
    {"user_id": 8, "email": None, "name": "Yanti"},
]


def test_match_sample_file_against_roster():
    people = merge_participants(load("participants_en.csv", WIB).rows)
    matched, unmatched = match_participants(people, ROSTER_EN, {})
    how = {uid: h for _, uid, h in matched}
    assert how == {1: "email", 2: "email", 3: "name", 4: "name", 5: "email"}
    # the host is not enrolled, and two enrolled people are called Eko Prasetyo
    assert sorted(p.key for p in unmatched) == ["email:eko.p@outlook.com", "email:host@plut-kumkm.id"]


def test_full_register_for_the_sample_session():
    start, end = utc(2022, 6, 2, 2), utc(2022, 6, 2, 4)
    people = merge_participants(load("participants_en.csv", WIB).rows)
    matched, _ = match_participants(people, ROSTER_EN, {})
    register = {
        uid: attendance_status(minutes_within(p, start, end), 120, p.first_join, start)
        for uid, p in combine_matched(matched).items()
    }
    assert register == {1: "present", 2: "present", 3: "late", 4: "present", 5: "absent"}


ROSTER_ID = [
    {"user_id": 10, "email": "wirawan.made@yahoo.com", "name": "I Made Wirawan"},
    {"user_id": 11, "email": "nur.halimah@gmail.com", "name": "Nur Halimah"},
    {"user_id": 12, "email": "andi.saputra@gmail.com", "name": "Andi Saputra"},
    {"user_id": 13, "email": "rahma@gmail.com", "name": "Rahmawati"},
    {"user_id": 14, "email": "", "name": "Wayan Sudarma"},
]


def test_indonesian_file_with_remembered_alias():
    start, end = utc(2022, 6, 14, 1), utc(2022, 6, 14, 3)  # 09.00-11.00 WITA
    people = merge_participants(load("peserta_id.csv", WITA).rows)
    matched, unmatched = match_participants(people, ROSTER_ID, {"HP Samsung": 13})
    assert unmatched == []
    how = {uid: h for _, uid, h in matched}
    assert how == {10: "name", 11: "email", 12: "email", 13: "remembered", 14: "name"}
    register = {
        uid: attendance_status(minutes_within(p, start, end), 120, p.first_join, start)
        for uid, p in combine_matched(matched).items()
    }
    assert register == {10: "present", 11: "late", 12: "present", 13: "present", 14: "absent"}


def test_midnight_meeting_register_in_wit():
    tz = ZoneInfo(WIT)
    start = datetime(2022, 6, 2, 22, 30, tzinfo=tz).astimezone(UTC)
    end = datetime(2022, 6, 3, 0, 30, tzinfo=tz).astimezone(UTC)
    people = merge_participants(load("meeting_details_en.csv", WIT).rows)
    roster = [
        {"user_id": 20, "email": "yohanes.wenda@gmail.com", "name": "Yohanes Wenda"},
        {"user_id": 21, "email": "maria.rumbiak@gmail.com", "name": "Maria Rumbiak"},
        {"user_id": 22, "email": None, "name": "Samuel Kambu"},
    ]
    matched, unmatched = match_participants(people, roster, {})
    assert [p.email for p in unmatched] == ["host@plut-kumkm.id"]
    register = {
        uid: (minutes_within(p, start, end), attendance_status(minutes_within(p, start, end), 120, p.first_join, start))
        for uid, p in combine_matched(matched).items()
    }
    assert register == {20: (118, "present"), 21: (100, "late"), 22: (44, "absent")}


def participant(key: str, names: tuple[str, ...], email: str | None = None, start: int = 0, end: int = 60):
    base = utc(2022, 6, 2, 2)
    a, b = base + timedelta(minutes=start), base + timedelta(minutes=end)
    return Participant(key, names, email, a, b, end - start, ((a, b),), (2,))


ROSTER = [
    {"user_id": 1, "email": "budi@x.id", "name": "Budi Santoso"},
    {"user_id": 2, "email": "siti@x.id", "name": "Siti Aminah"},
    {"user_id": 3, "email": "siti2@x.id", "name": "Hj. Siti Aminah"},
    {"user_id": 4, "email": "shared@x.id", "name": "Andi"},
    {"user_id": 5, "email": "SHARED@x.id", "name": "Ani"},
]


@pytest.mark.parametrize(
    ("p", "remembered", "expected"),
    [
        (participant("a", ("Someone",), "BUDI@x.id"), {}, (1, "email")),
        (participant("a", ("Budi Santoso",), "other@x.id"), {}, (1, "name")),
        (participant("a", ("Pak Budi Santoso, S.E.",)), {}, (1, "name")),
        (participant("a", ("Siti Aminah",)), {}, None),  # two enrolled Siti Aminahs
        (participant("a", ("Siti Aminah",)), {"siti aminah": 3}, (3, "remembered")),
        (participant("a", ("HP Oppo",)), {"HP Oppo": 2}, (2, "remembered")),
        (participant("a", ("HP Oppo",)), {"hp oppo": 99}, None),  # remembered user not on this roster
        (participant("a", ("Andi",), "shared@x.id"), {}, (4, "name")),  # e-mail shared by two: use the name
        (participant("a", ("Budi S", "Siti Aminah")), {}, None),
        (participant("a", ("Budi S", "Budi Santoso")), {}, (1, "name")),
        (participant("a", ("Budi Santoso",), "budi@x.id"), {"budi santoso": 2}, (1, "email")),  # e-mail first
        (participant("a", ("Budi Santoso",)), {"budi santoso": 2}, (2, "remembered")),  # alias before name
        (participant("a", ("Nobody",)), {}, None),
    ],
)
def test_match_rules(p, remembered, expected):
    matched, unmatched = match_participants([p], ROSTER, remembered)
    if expected is None:
        assert (matched, unmatched) == ([], [p])
    else:
        assert matched == [(p, *expected)]
        assert unmatched == []


def test_conflicting_remembered_aliases_are_ignored():
    p = participant("a", ("HP", "Tablet"))
    matched, unmatched = match_participants([p], ROSTER, {"HP": 1, "Tablet": 2})
    assert matched == [] and unmatched == [p]


def test_combine_matched_merges_two_devices_of_one_user():
    laptop = participant("email:budi@x.id", ("Budi Santoso",), "budi@x.id", 0, 60)
    phone = participant("name:budi hp", ("Budi Santoso",), None, 50, 120)
    matched, _ = match_participants([laptop, phone], ROSTER, {})
    assert [uid for _, uid, _ in matched] == [1, 1]
    combined = combine_matched(matched)
    assert list(combined) == [1]
    assert combined[1].minutes == 120
    assert combined[1].email == "budi@x.id"
    assert combined[1].first_join == utc(2022, 6, 2, 2)
