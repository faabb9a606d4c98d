"""Zoom participant reports into the register: both layouts, reconnections, matching, re-imports, CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from attendance import registers, zoom_import
from attendance.models import AttendanceChange, AttendanceRecord, ZoomAlias, ZoomImport
from extensions import db
from tests.test_attendance_fixtures import Setup, at, make_session


@pytest.fixture
def setup(app, trainer, organiser, consultant):
    return Setup(trainer, organiser, consultant)

DATA = Path(__file__).parent / "data" / "zoom"


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _statuses(session) -> dict[str, tuple[str, int | None]]:
    rows = db.session.execute(select(AttendanceRecord).where(AttendanceRecord.session_id == session.id)).scalars()
    return {r.user.full_name: (r.status, r.minutes_present) for r in rows}


def _english_roster(setup):
    return {
        "budi": setup.add_participant("budi.santoso@gmail.com", "Budi Santoso, S.E."),
        "siti": setup.add_participant("SITI.AMINAH@yahoo.co.id", "Siti Aminah"),
        "ahmad": setup.add_participant("ahmad.fauzi@gmail.com", "Ir. Ahmad Fauzi"),
        "rina": setup.add_participant("rina.w@gmail.com", "Rina Wulandari"),
        "dewi": setup.add_participant("dewi.lestari@gmail.com", "Dewi Lestari"),
    }


def test_plain_layout_with_reconnections_email_and_name_matching(setup):
    _english_roster(setup)
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)  # 09.00–11.00 WIB
    outcome = zoom_import.import_report(s, _read("participants_en.csv"), "participants_en.csv", setup.organiser)
    db.session.commit()
    assert (outcome.matched, outcome.unmatched, outcome.duplicate) == (5, 2, False)  # host and Eko are not enrolled
    got = _statuses(s)
    assert got["Budi Santoso, S.E."] == ("present", 119)     # two rows (a reconnection) merged
    assert got["Siti Aminah"] == ("present", 118)             # email matched case-insensitively
    assert got["Ir. Ahmad Fauzi"] == ("late", 100)            # matched by name without titles; joined 09.20
    assert got["Rina Wulandari"][0] == "present"              # guest rows grouped by original name
    assert got["Dewi Lestari"] == ("absent", 50)              # 50 of 120 minutes is under 75 %
    assert got["Sari Konsultan"] == ("absent", 0)             # enrolled, not in the report
    assert outcome.changed == 6
    result = zoom_import.latest_result(s)
    assert result["matched_how"] == {"email": 3, "remembered": 0, "name": 2}
    assert {p["key"] for p in result["unmatched_people"]} == {"email:eko.p@outlook.com", "email:host@plut-kumkm.id"}


def test_reimporting_the_same_file_changes_nothing(setup):
    _english_roster(setup)
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)
    zoom_import.import_report(s, _read("participants_en.csv"), "a.csv", setup.organiser)
    db.session.commit()
    before = (_statuses(s), db.session.scalar(select(func.count()).select_from(AttendanceChange)))
    again = zoom_import.import_report(s, _read("participants_en.csv"), "a-copy.csv", setup.organiser)
    db.session.commit()
    assert again.duplicate and again.changed == 0
    assert db.session.scalar(select(func.count()).select_from(ZoomImport)) == 1
    assert (_statuses(s), db.session.scalar(select(func.count()).select_from(AttendanceChange))) == before


def test_meeting_details_layout_across_midnight(setup):
    yohanes = setup.add_participant("yohanes.wenda@gmail.com", "Yohanes Wenda", "Papua", "PLUT Jayapura")
    setup.add_participant("maria.rumbiak@gmail.com", "Maria Rumbiak", "Papua", "PLUT Jayapura")
    setup.add_participant("samuel@example.id", "Samuel Kambu", "Papua", "PLUT Jayapura")
    s = make_session(setup.cohort, at(2022, 6, 2, 13, 30), minutes=120, zone="Asia/Jayapura",
                     meeting_id="81234567890")  # 22.30–00.30 WIT
    outcome = zoom_import.import_report(s, _read("meeting_details_en.csv"), "m.csv", setup.organiser)
    assert outcome.matched == 3 and outcome.unmatched == 1
    got = _statuses(s)
    assert got["Yohanes Wenda"] == ("present", 118)
    assert got["Maria Rumbiak"] == ("late", 100)
    assert got["Samuel Kambu"] == ("absent", 44)
    record = registers.get_record(s.id, yohanes.id)
    assert record.first_join_at == at(2022, 6, 2, 13, 29, 40)


def test_indonesian_layout_unmatched_then_matched_by_hand_and_remembered(setup):
    rahma = setup.add_participant("rahma@gmail.com", "Rahmawati", "Bali", "PLUT Denpasar")
    setup.add_participant("wirawan.made@yahoo.com", "I Made Wirawan", "Bali", "PLUT Denpasar")
    first = make_session(setup.cohort, at(2022, 6, 14, 1), zone="Asia/Makassar")  # 09.00–11.00 WITA
    outcome = zoom_import.import_report(first, _read("peserta_id.csv"), "peserta.csv", setup.organiser)
    result = zoom_import.latest_result(first)
    keys = {p["key"]: p for p in result["unmatched_people"]}
    assert "name:hp samsung" in keys and outcome.unmatched == len(keys)
    assert _statuses(first)["I Made Wirawan"][0] == "present"     # "Made Wirawan (I Made Wirawan)"
    assert "Rahmawati" not in {k for k, v in _statuses(first).items() if v[0] != "absent"}
    zoom_import.resolve(first, "name:hp samsung", setup.organiser, user_id=rahma.id)
    zoom_import.resolve(first, "name:wayan sudarma", setup.organiser, ignore=True)
    db.session.commit()
    assert _statuses(first)["Rahmawati"] == ("present", 117)
    result = zoom_import.latest_result(first)
    assert "name:hp samsung" not in {p["key"] for p in result["unmatched_people"]}
    assert result["ignored_names"] == ["Wayan Sudarma"]
    assert db.session.scalar(select(ZoomAlias).where(ZoomAlias.user_id == rahma.id)).name_key == "hp samsung"
    # the next session of the cohort remembers both decisions
    second = make_session(setup.cohort, at(2022, 6, 15, 1), zone="Asia/Makassar")
    text = _read("peserta_id.csv").decode("utf-8-sig").replace("14/06/2022", "15/06/2022").encode()
    outcome = zoom_import.import_report(second, text, "peserta-2.csv", setup.organiser)
    assert outcome.ignored == 1
    assert _statuses(second)["Rahmawati"] == ("present", 117)
    assert zoom_import.latest_result(second)["matched_how"]["remembered"] == 1


def test_resolve_by_email_and_unknown_email(setup):
    eko = setup.add_participant("eko1@gmail.com", "Eko P.")
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    zoom_import.import_report(s, _read("participants_en.csv"), "a.csv", setup.organiser)
    with pytest.raises(zoom_import.ZoomImportError) as info:
        zoom_import.resolve(s, "email:eko.p@outlook.com", setup.organiser, email="nobody@example.id")
    assert info.value.code == "zoom_user_not_found"
    zoom_import.resolve(s, "email:eko.p@outlook.com", setup.organiser, email="EKO1@gmail.com")
    assert _statuses(s)["Eko P."] == ("absent", 40)  # joined 10.20: too little time
    assert registers.get_record(s.id, eko.id).source == "zoom"


SESSION_CSV = """Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest
Share Tepat,a@example.id,2022-06-02 09:00:00,2022-06-02 10:30:00,90,No
Share Kurang,b@example.id,2022-06-02 09:00:00,2022-06-02 10:29:00,89,No
Tepat Lima Belas,c@example.id,2022-06-02 09:15:00,2022-06-02 11:00:00,105,No
Lewat Lima Belas,d@example.id,2022-06-02 09:16:00,2022-06-02 11:00:00,104,No
Sambung Ulang,e@example.id,2022-06-02 08:50:00,2022-06-02 10:00:00,70,No
Sambung Ulang,e@example.id,2022-06-02 10:05:00,2022-06-02 10:40:00,35,No
"""


@pytest.mark.parametrize(("share", "expected"), [
    (0.75, {"a": ("present", 90), "b": ("absent", 89), "c": ("present", 105), "d": ("late", 104),
            "e": ("present", 95)}),
    (0.5, {"a": ("present", 90), "b": ("present", 89), "c": ("present", 105), "d": ("late", 104),
           "e": ("present", 95)}),
])
def test_status_rule_edges(app, setup, share, expected):
    app.config["ATTENDANCE_PRESENT_SHARE"] = share
    people = {k: setup.add_participant(f"{k}@example.id", f"Peserta {k}") for k in "abcde"}
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)
    zoom_import.import_report(s, SESSION_CSV.encode(), "rule.csv", setup.organiser)
    got = {k: (r.status, r.minutes_present) for k, u in people.items() for r in [registers.get_record(s.id, u.id)]}
    assert got == expected


def test_report_never_overrides_decisions_or_lowers_a_checkin(setup):
    a = setup.add_participant("a@example.id", "Peserta a")
    b = setup.add_participant("b@example.id", "Peserta b")
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)
    registers.mark(s, a.id, "excused", setup.organiser, "Sakit, surat dokter")
    registers.set_status(s, b.id, "present", source="checkin", actor_id=b.id, reason="check-in")
    registers.set_status(s, setup.consultant.id, "present", source="checkin", actor_id=None, reason="check-in")
    zoom_import.import_report(s, SESSION_CSV.encode(), "rule.csv", setup.organiser)
    excused = registers.get_record(s.id, a.id)
    assert (excused.status, excused.minutes_present, excused.source) == ("excused", 90, "manual")
    assert registers.get_record(s.id, b.id).status == "present"          # Zoom says absent (89 min): kept
    assert registers.get_record(s.id, b.id).minutes_present == 89
    assert registers.get_record(s.id, setup.consultant.id).status == "present"  # not in Zoom at all: kept


@pytest.mark.parametrize(("name", "line"), [
    ("malformed_missing_columns.csv", 1), ("malformed_leave_before_join.csv", 3), ("malformed_bad_time.csv", 6),
    ("malformed_not_zoom.csv", 1),
])
def test_malformed_file_is_refused_with_reason_and_line(client, login_as, setup, name, line):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    login_as(setup.organiser)
    response = client.post(f"/organiser/attendance/sessions/{s.id}/zoom",
                           data={"file": (io.BytesIO(_read(name)), name), "report_zone": "", "date_order": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Berkas ditolak — baris {line}:" in html
    assert db.session.scalar(select(func.count()).select_from(ZoomImport)) == 0


def test_report_of_another_meeting_or_day_is_refused(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 13, 30), zone="Asia/Jayapura", meeting_id="99999999999")
    with pytest.raises(zoom_import.ZoomImportError) as info:
        zoom_import.import_report(s, _read("meeting_details_en.csv"), "m.csv", setup.organiser)
    assert info.value.code == "zoom_other_meeting"
    other_day = make_session(setup.cohort, at(2022, 6, 9, 2))
    with pytest.raises(zoom_import.ZoomImportError) as info:
        zoom_import.import_report(other_day, _read("participants_en.csv"), "p.csv", setup.organiser)
    assert info.value.code == "zoom_no_overlap"


def test_upload_page_lists_unmatched_and_matches_by_hand(client, login_as, setup):
    rahma = setup.add_participant("rahma@gmail.com", "Rahmawati", "Bali", "PLUT Denpasar")
    s = make_session(setup.cohort, at(2022, 6, 14, 1), zone="Asia/Makassar")
    login_as(setup.organiser)
    url = f"/organiser/attendance/sessions/{s.id}/zoom"
    response = client.post(url, data={"file": (io.BytesIO(_read("peserta_id.csv")), "peserta.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "HP Samsung" in html and "Belum cocok" in html
    done = client.post(url + "/resolve", data={"key": "name:hp samsung", "email": "rahma@gmail.com",
                                               "action": "match"})
    assert done.status_code == 302
    assert registers.get_record(s.id, rahma.id).status == "present"
    again = client.post(url, data={"file": (io.BytesIO(_read("peserta_id.csv")), "peserta.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "Berkas ini sudah pernah diimpor" in again.get_data(as_text=True)
    assert "0 catatan berubah" in again.get_data(as_text=True)


def test_cli_import_prints_the_counts(runner, setup):
    _english_roster(setup)
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)
    result = runner.invoke(args=["attendance", "import-zoom", str(s.id), str(DATA / "participants_en.csv")])
    assert result.exit_code == 0, result.output
    assert "matched: 5, unmatched: 2, ignored: 0, changed: 6" in result.output
    assert "unmatched: Admin PLUT" in result.output
    again = runner.invoke(args=["attendance", "import-zoom", str(s.id), str(DATA / "participants_en.csv")])
    assert "changed: 0 (file already imported)" in again.output
    bad = runner.invoke(args=["attendance", "import-zoom", str(s.id), str(DATA / "malformed_bad_time.csv")])
    assert bad.exit_code != 0 and "baris 6" in bad.output
    assert runner.invoke(args=["attendance", "import-zoom", "999", str(DATA / "participants_en.csv")]).exit_code != 0
