"""Zoom participant reports: parsing both layouts, merging reconnections, statuses and matching."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from attendance.zoom import (
    Participant,
    Row,
    ZoomReportError,
    attendance_status,
    combine_matched,
    decode_report,
    match_participants,
    merge_participants,
    minutes_within,
    normalise_name,
    parse_zoom_report,
)

DATA = Path(__file__).parent / "data" / "zoom"
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def load(name: str, zone: str, dayfirst: bool | None = None):
    return parse_zoom_report(decode_report((DATA / name).read_bytes()), zone, dayfirst)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def by_email(people: list[Participant]) -> dict[str | None, Participant]:
    return {p.email: p for p in people}


# --------------------------------------------------------------------------- the sample files


def test_plain_english_layout():
    report = load("participants_en.csv", WIB)
    assert report.meeting is None
    assert report.dayfirst is False  # 12-hour clock: Zoom's US month/day order
    assert len(report.rows) == 10
    budi = report.rows[1]
    assert (budi.line, budi.name, budi.original_name, budi.email) == (3, "Budi Santoso", None, "budi.santoso@gmail.com")
    assert budi.join_utc == utc(2022, 6, 2, 1, 58, 3)  # 08:58:03 WIB
    assert budi.leave_utc == utc(2022, 6, 2, 2, 40, 10)
    siti = report.rows[3]
    assert (siti.name, siti.original_name) == ("Siti Aminah", "Hj. Siti Aminah S.Pd.I")
    assert report.rows[4].name == "Dr. Ir. Ahmad Fauzi, M.M."  # quoted comma kept
    assert report.rows[4].email == "afauzi@pemda.go.id"  # lowercased
    waiting = report.rows[5]
    assert (waiting.guest, waiting.in_waiting_room) == (True, True)
    assert [r.guest for r in report.rows[6:8]] == [True, True]


def test_legacy_six_column_header_with_iso_dates():
    report = load("participants_en_legacy.csv", WIB)
    assert report.dayfirst is None  # nothing ambiguous in ISO dates
    assert [r.line for r in report.rows] == [2, 3, 4]
    assert report.rows[0].join_utc == utc(2022, 6, 9, 1, 59)
    assert report.rows[1].in_waiting_room is None


def test_meeting_details_layout_across_midnight_in_wit():
    report = load("meeting_details_en.csv", WIT)
    assert report.dayfirst is False
    meeting = report.meeting
    assert meeting == {
        "line": 2,
        "meeting_id": "81234567890",
        "topic": "Bimtek Halal Angkatan 3 - Sesi Malam",
        "start_utc": utc(2022, 6, 2, 13, 25),  # 22.25 WIT
        "end_utc": utc(2022, 6, 2, 15, 35, 12),  # 00.35 WIT on 3 June
        "host_email": "host@plut-kumkm.id",
        "duration_min": 131,
        "participants": 4,
    }
    assert [r.line for r in report.rows] == [5, 6, 7, 8, 9]
    assert report.rows[2].join_utc == utc(2022, 6, 2, 14, 52, 10)
    assert report.rows[2].leave_utc == utc(2022, 6, 2, 15, 30)


def test_indonesian_semicolon_file_with_bom():
    report = load("peserta_id.csv", WITA)
    assert report.meeting is None
    assert report.dayfirst is True  # "14/06/2022" can only be day first
    first = report.rows[0]
    assert (first.name, first.original_name) == ("Made Wirawan", "I Made Wirawan")
    assert first.join_utc == utc(2022, 6, 14, 0, 57, 12)  # 08:57:12 WITA
    assert first.guest is False and first.in_waiting_room is False
    assert report.rows[2].name == "Hj. Nur Halimah, S.E., M.M."
    assert report.rows[5].guest is True and report.rows[5].email is None


@pytest.mark.parametrize(
    ("dayfirst", "start"),
    [
        (None, utc(2022, 6, 2, 6, 55)),  # 24-hour clock: day first
        (True, utc(2022, 6, 2, 6, 55)),
        (False, utc(2022, 2, 6, 6, 55)),  # nothing in the file contradicts the caller
    ],
)
def test_indonesian_meeting_details_layout(dayfirst, start):
    report = load("rincian_rapat_id.csv", WIB, dayfirst)
    assert report.meeting is not None
    assert report.meeting["topic"] == "Bimtek Halal Angkatan 3, Sesi 2"
    assert report.meeting["start_utc"] == start
    assert report.meeting["participants"] == 3
    assert report.rows[0].join_utc == start
    assert report.rows[2].original_name == "Siti Aminah S.Pd.I"
    assert report.rows[2].guest is True


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("malformed_missing_columns.csv", 1, "missing required columns: Leave Time"),
        ("malformed_leave_before_join.csv", 3, "leave time is before join time"),
        ("malformed_bad_time.csv", 6, "cannot read join time 'kemarin pagi'"),
        ("malformed_not_zoom.csv", 1, "no participant header found"),
    ],
)
def test_malformed_files_name_the_line(name, line, message):
    with pytest.raises(ZoomReportError) as info:
        load(name, WIB)
    assert info.value.line == line
    assert message in info.value.message
    assert str(info.value).startswith(f"line {line}: ")


# --------------------------------------------------------------------------- headers and encodings

HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        "NAME (ORIGINAL NAME),USER EMAIL,JOIN TIME,LEAVE TIME\nBudi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00\n",
        "name(original name), email ,Join time,Leave time\nBudi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00\n",
        "\ufeffNama (Nama Asli);Email Pengguna;Waktu Bergabung;Waktu Keluar\r\n"
        "Budi;b@x.id;2022-06-02 09:00:00;2022-06-02 10:00:00\r\n",
        "Nama\tEmail\tWaktu Masuk\tWaktu Keluar\nBudi\tb@x.id\t2022-06-02 09:00:00\t2022-06-02 10:00:00\n",
        '"Nama Peserta","Alamat Email","Jam Masuk","Jam Keluar"\n'
        '"Budi","B@X.ID","2022-06-02 09:00:00","2022-06-02 10:00:00"\n',
        "Join Time,Leave Time,Name,Email\n2022-06-02 09:00:00,2022-06-02 10:00:00,Budi,b@x.id\n",
        "\n\nName,User Email,Join Time,Leave Time,Duration (Minutes),\n"
        "Budi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00,60,\n\n",
    ],
)
def test_header_aliases_case_bom_and_delimiters(text):
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.email) == ("Budi", "b@x.id")
    assert (row.join_utc, row.leave_utc) == (utc(2022, 6, 2, 2), utc(2022, 6, 2, 3))


def test_original_name_is_only_split_when_the_header_says_so():
    text = csv_text("Siti (PLUT Jatim),,2022-06-02 09:00:00,2022-06-02 10:00:00", header="Name,Email,Join,Leave")
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.original_name) == ("Siti (PLUT Jatim)", None)
    text = csv_text("Siti (PLUT Jatim) (Siti Aminah),,2022-06-02 09:00:00,2022-06-02 10:00:00")
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.original_name) == ("Siti (PLUT Jatim)", "Siti Aminah")


def test_decode_report_handles_utf16_and_windows_1252():
    text = csv_text("José,,2022-06-02 09:00:00,2022-06-02 10:00:00")
    for data in (text.encode("utf-16"), text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode()):
        assert parse_zoom_report(decode_report(data), WIB).rows[0].name == "José"


def test_header_only_file_has_no_rows():
    assert parse_zoom_report(HEADER + "\n", WIB).rows == []


# --------------------------------------------------------------------------- times and date order

LATER = "2022-06-02 23:59:59"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06/02/2022 09:01:23 AM", utc(2022, 6, 2, 2, 1, 23)),
        ("2022-06-02 09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("2022-06-02T09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("02/06/2022 09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("02-06-2022 09:01", utc(2022, 6, 2, 2, 1)),
        ("02/06/22 9:01", utc(2022, 6, 2, 2, 1)),  # Excel re-save
        ("02.06.2022 09.01.23", utc(2022, 6, 2, 2, 1, 23)),
        ("06/02/2022 12:00:00 PM", utc(2022, 6, 2, 5, 0)),
        ("06/02/2022 12:30:00 AM", utc(2022, 6, 1, 17, 30)),
        ("6/2/2022 9:01 pm", utc(2022, 6, 2, 14, 1)),
        ("Jun 2, 2022 09:01:23 AM", utc(2022, 6, 2, 2, 1, 23)),
        ("2 Juni 2022 09.01.23", utc(2022, 6, 2, 2, 1, 23)),
        ("2 Jun 2022 09:01", utc(2022, 6, 2, 2, 1)),
    ],
)
def test_time_formats_are_read_in_the_report_zone(value, expected):
    (row,) = parse_zoom_report(csv_text(f"Budi,,\"{value}\",{LATER}"), WIB).rows
    assert row.join_utc == expected


@pytest.mark.parametrize(("zone", "hours"), [(WIB, 7), (WITA, 8), (WIT, 9), ("UTC", 0)])
def test_report_zone_offsets(zone, hours):
    (row,) = parse_zoom_report(csv_text(f"Budi,,2022-06-02 12:00:00,{LATER}"), zone).rows
    assert row.join_utc == utc(2022, 6, 2, 12) - timedelta(hours=hours)
    assert row.join_utc.tzinfo is UTC


@pytest.mark.parametrize(
    ("join", "leave", "dayfirst", "expected_join", "expected_order"),
    [
        # 1. a component above 12 settles it, whatever the caller says
        ("13/06/2022 09:00", "13/06/2022 10:00", False, utc(2022, 6, 13, 2), True),
        ("06/13/2022 09:00 AM", "06/13/2022 10:00 AM", True, utc(2022, 6, 13, 2), False),
        # 2. a meeting crossing midnight: the component that changes is the day
        ("02/06/2022 23:00", "03/06/2022 00:30", False, utc(2022, 6, 2, 16), True),
        ("06/02/2022 11:00 PM", "06/03/2022 12:30 AM", True, utc(2022, 6, 2, 16), False),
        # 3. otherwise the caller decides
        ("02/06/2022 09:00", "02/06/2022 10:00", False, utc(2022, 2, 6, 2), False),
        ("06/02/2022 09:00 AM", "06/02/2022 10:00 AM", True, utc(2022, 2, 6, 2), True),
        # 4. otherwise the clock style: 24-hour -> day first, AM/PM -> month first
        ("02/06/2022 09:00", "02/06/2022 10:00", None, utc(2022, 6, 2, 2), True),
        ("06/02/2022 09:00 AM", "06/02/2022 10:00 AM", None, utc(2022, 6, 2, 2), False),
    ],
)
def test_day_month_disambiguation(join, leave, dayfirst, expected_join, expected_order):
    report = parse_zoom_report(csv_text(f"Budi,,{join},{leave}"), WIB, dayfirst)
    assert report.rows[0].join_utc == expected_join
    assert report.dayfirst is expected_order


def test_evidence_anywhere_in_the_file_applies_to_every_row():
    text = csv_text(
        "Budi,,05/06/2022 09:00,05/06/2022 10:00",
        "Siti,,05/06/2022 09:30,05/06/2022 10:30",
        "Andi,,05/06/2022 23:30,06/06/2022 00:10",
    )
    report = parse_zoom_report(text, WIB, dayfirst=False)
    assert report.rows[0].join_utc == utc(2022, 6, 5, 2)


def test_meeting_summary_dates_count_as_evidence():
    text = (
        "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n"
        "111,Sesi,30/05/2022 08:55,30/05/2022 11:00,host@x.id,125,1\n\n"
        + csv_text("Budi,,05/06/2022 09:00,05/06/2022 10:00")
    )
    report = parse_zoom_report(text, WIB, dayfirst=False)
    assert report.dayfirst is True
    assert report.rows[0].join_utc == utc(2022, 6, 5, 2)


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (("Budi,,13/06/2022 09:00,13/06/2022 10:00", "Siti,,06/14/2022 09:00,06/14/2022 10:00"), 3, "mix"),
        (("Budi,,31/02/2022 09:00,31/03/2022 10:00",), 2, "cannot read join time"),
        (("Budi,,06/02/2022 13:00 PM,06/02/2022 02:00 PM",), 2, "cannot read join time"),
        (("Budi,,2022-06-02 09:00,",), 2, "leave time is empty"),
        ((",b@x.id,2022-06-02 09:00,2022-06-02 10:00",), 2, "participant name is empty"),
        (("Budi,,2022-06-02 09:00,2022-06-02 10:00", "Siti,,2022-06-02 10:00,2022-06-02 09:59"), 3, "before join"),
    ],
)
def test_row_errors(rows, line, message):
    with pytest.raises(ZoomReportError) as info:
        parse_zoom_report(csv_text(*rows), WIB)
    assert info.value.line == line
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "no participant header"),
        ("\n\n   \n", 1, "no participant header"),
        ("hello world\n", 1, "no participant header"),
        ("Name,Email\nBudi,b@x.id\n", 1, "Join Time, Leave Time"),
        ("\n\nName,Join Time,Email\nBudi,2022-06-02 09:00,b@x.id\n", 3, "Leave Time"),
        ("Meeting ID,Topic,Start Time\n\n" + HEADER + "\n", 3, "meeting summary has no data row"),
        ("Meeting ID,Topic,Start Time\n", 1, "meeting summary has no data row"),
    ],
)
def test_file_level_errors(text, line, message):
    with pytest.raises(ZoomReportError) as info:
        parse_zoom_report(text, WIB)
    assert info.value.line == line
    assert message in info.value.message


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
