"""Registers: marking with a change log, summaries against the certificate rule, evidence, exports, paging."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, insert, select

from accounts.models import User
from attendance import registers
from attendance.models import AttendanceChange, AttendanceRecord
from courses.models import Enrolment
from courses.requirements import what_remains
from extensions import db
from tests.test_attendance_fixtures import Setup, at, current_code, make_session


@pytest.fixture
def setup(app, trainer, organiser, consultant):
    return Setup(trainer, organiser, consultant)


def test_mark_keeps_who_when_old_new_and_why(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    uid = setup.consultant.id
    with pytest.raises(registers.RegisterError) as info:
        registers.mark(s, uid, "present", setup.organiser, "  ")
    assert info.value.code == "reason_required"
    registers.mark(s, uid, "present", setup.organiser, "Hadir di ruang PLUT bersama")
    registers.mark(s, uid, "present", setup.organiser, "tanpa perubahan")  # nothing changes, nothing logged
    registers.mark(s, uid, "late", setup.organiser, "Koreksi: masuk 09.40", minutes=80)
    db.session.commit()
    record = registers.get_record(s.id, uid)
    assert (record.status, record.minutes_present, record.source) == ("late", 80, "manual")
    log = registers.history(record)
    assert [(c.old_status, c.new_status, c.reason) for c in log] == [
        ("present", "late", "Koreksi: masuk 09.40"), (None, "present", "Hadir di ruang PLUT bersama")]
    assert log[0].changed_by_id == setup.organiser.id and log[0].changed_at.tzinfo is not None
    assert (log[0].old_minutes, log[0].new_minutes) == (None, 80)


def test_mark_refuses_strangers_unknown_statuses_and_impossible_minutes(setup):
    from tests.factories import make_user

    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120)
    stranger = make_user("x@example.id")
    cases = (((stranger.id, "present"), "not_enrolled_user"), ((setup.consultant.id, "sleeping"), "status_unknown"))
    for args, code in cases:
        with pytest.raises(registers.RegisterError) as info:
            registers.mark(s, *args, setup.organiser, "alasan")
        assert info.value.code == code
    with pytest.raises(registers.RegisterError):
        registers.mark(s, setup.consultant.id, "present", setup.organiser, "alasan", minutes=121)


def test_bulk_mark_only_touches_enrolled_and_changed(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    a = setup.add_participant("a@example.id", "Peserta A")
    b = setup.add_participant("b@example.id", "Peserta B")
    registers.mark(s, a.id, "absent", setup.organiser, "awal")
    changed = registers.bulk_mark(s, [a.id, b.id, setup.consultant.id, 999999], "absent", setup.organiser,
                                  "Tidak ada di Zoom")
    assert changed == 2
    assert db.session.scalar(select(func.count()).select_from(AttendanceChange)) == 3


def test_bulk_mark_through_the_register_page(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    a = setup.add_participant("a@example.id", "Peserta A", province="Bali", plut="PLUT Denpasar")
    login_as(setup.organiser)
    url = f"/organiser/attendance/sessions/{s.id}/register"
    response = client.post(url, data={"user_id": [str(a.id), str(setup.consultant.id)], "status": "excused",
                                      "reason": "Gangguan listrik se-provinsi", "back": url + "?province=Bali"})
    assert response.status_code == 302 and response.location.endswith("?province=Bali")
    assert registers.get_record(s.id, a.id).status == "excused"
    html = client.get(url + "?province=Bali").get_data(as_text=True)
    assert "Peserta A" in html and "Sari Konsultan" not in html
    assert "Sari Konsultan" in client.get(url + "?status=excused").get_data(as_text=True)
    assert "Sari Konsultan" not in client.get(url + "?status=none").get_data(as_text=True)
    person = client.get(f"/organiser/attendance/sessions/{s.id}/people/{a.id}").get_data(as_text=True)
    assert "Gangguan listrik se-provinsi" in person and "Bu Penyelenggara" in person


@pytest.mark.parametrize(("statuses", "target", "percent", "met", "need"), [
    (["present", "late", "present", "present", "absent"], 80, 80.0, True, 0),
    (["present", "late", "present", "absent", "absent"], 80, 60.0, False, 1),   # 4/5 would be enough
    (["present", "excused", "present", "present", "absent"], 80, 75.0, False, 1),  # Izin leaves the denominator
    (["present", "present", None, None, None], 80, 40.0, False, 2),            # not recorded counts as not attended
    (["excused"] * 5, 80, 100.0, True, 0),
    (["present", "absent", "absent"], None, 33.33, None, 0),                   # no rule: no verdict
])
def test_summary_follows_the_certificate_rule(statuses, target, percent, met, need):
    sessions = [(i, 120) for i in range(len(statuses))]
    records = {i: (st, None) for i, st in enumerate(statuses) if st}
    s = registers.summarise(sessions, records, target)
    assert (s.percent, s.met, s.need) == (percent, met, need)


def test_summary_on_minutes_basis():
    s = registers.summarise([(1, 100), (2, 100)], {1: ("present", 90), 2: ("late", None)}, 95, "minutes")
    assert (s.achieved, s.counted, s.percent, s.met, s.need) == (190, 200, 95.0, True, 0)
    s = registers.summarise([(1, 100), (2, 100)], {1: ("present", 50), 2: ("absent", 0)}, 80, "minutes")
    assert (s.percent, s.met, s.need) == (25.0, False, 110)


def test_evidence_for_certificates_and_what_remains(app, setup):
    s1 = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120, title="Sesi 1")
    s2 = make_session(setup.cohort, at(2022, 6, 3, 2), minutes=90, title="Sesi 2")
    registers.set_status(s1, setup.consultant.id, "present", source="zoom", actor_id=None, minutes=110)
    db.session.commit()
    assert registers.attendance_evidence(setup.enrolment) == [
        {"session_id": s1.id, "title": "Sesi 1", "minutes_scheduled": 120, "status": "present", "minutes_present": 110},
        {"session_id": s2.id, "title": "Sesi 2", "minutes_scheduled": 90, "status": None, "minutes_present": None},
    ]
    other = setup.add_participant("o@example.id", "Orang Lain")
    bulk = registers.cohort_attendance_evidence(setup.cohort)
    assert set(bulk) == {setup.consultant.id, other.id}
    assert bulk[setup.consultant.id] == registers.attendance_evidence(setup.enrolment)
    with app.test_request_context():
        [req] = [r for r in what_remains(setup.enrolment) if r.kind == "attendance"]
        assert (req.met, req.done, req.total) == (False, 1, 2)
        assert req.detail == "1 dari 2 sesi dihadiri (50%); perlu hadir di 1 sesi lagi"
        assert req.label == "Menghadiri sesi langsung (minimal 80%)"
    setup.cohort.completion_override = {"attendance_percent": None}
    with app.test_request_context():
        assert [r for r in what_remains(setup.enrolment) if r.kind == "attendance"] == []


def _export_setup(setup):
    s1 = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=120, title="Regulasi Halal",
                      speakers="Dr. Aminah")
    s2 = make_session(setup.cohort, at(2022, 6, 2, 13, 30), minutes=125, title="=Sesi Malam", zone="Asia/Jayapura",
                      speakers="Ir. Budi")
    bali = setup.add_participant("wayan@example.id", "Wayan Sudarma", province="Bali", plut="PLUT Denpasar")
    registers.set_status(s1, bali.id, "present", source="zoom", actor_id=None, minutes=115)
    registers.set_status(s2, bali.id, "excused", source="excuse", actor_id=None)
    db.session.commit()
    return s1, s2, bali


def test_csv_export_columns(client, login_as, setup):
    _export_setup(setup)
    login_as(setup.organiser)
    response = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register.csv")
    assert response.mimetype == "text/csv" and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Nama", "Email", "Provinsi", "Unit PLUT", "Sesi", "Tanggal", "Waktu", "Zona waktu", "Pembicara",
                       "Status", "Menit hadir", "Menit terjadwal", "Kehadiran (%)", "Memenuhi syarat"]
    wayan = [r for r in rows if r[0] == "Wayan Sudarma"]
    assert wayan == [
        ["Wayan Sudarma", "wayan@example.id", "Bali", "PLUT Denpasar", "Regulasi Halal", "Kamis, 2 Juni 2022",
         "09.00–11.00 WIB", "Asia/Jakarta", "Dr. Aminah", "Hadir", "115", "120", "100", "ya"],
        ["Wayan Sudarma", "wayan@example.id", "Bali", "PLUT Denpasar", "'=Sesi Malam", "Kamis, 2 Juni 2022",
         "22.30–Jumat 00.35 WIT", "Asia/Jayapura", "Ir. Budi", "Izin", "", "125", "100", "ya"],
    ]
    sari = [r for r in rows if r[0] == "Sari Konsultan"]
    assert [r[9] for r in sari] == ["", ""] and sari[0][12:] == ["0", "tidak"]
    bali_only = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register.csv?province=Bali")
    assert "Sari Konsultan" not in bali_only.get_data(as_text=True)


def test_xlsx_export_columns(client, login_as, setup):
    _export_setup(setup)
    login_as(setup.organiser)
    response = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames == ["Rekap", "Sesi"]
    summary = list(book["Rekap"].values)
    assert summary[0] == (
        "Nama", "Email", "Provinsi", "Unit PLUT",
        "1. Regulasi Halal (Kamis, 2 Juni 2022, 09.00–11.00 WIB) — status",
        "1. Regulasi Halal (Kamis, 2 Juni 2022, 09.00–11.00 WIB) — menit",
        "2. =Sesi Malam (Kamis, 2 Juni 2022, 22.30–Jumat 00.35 WIT) — status",
        "2. =Sesi Malam (Kamis, 2 Juni 2022, 22.30–Jumat 00.35 WIT) — menit",
        "Kehadiran (%)", "Memenuhi syarat")
    wayan = ("Wayan Sudarma", "wayan@example.id", "Bali", "PLUT Denpasar", "Hadir", 115, "Izin", None, 100, "ya")
    assert wayan in summary
    plan = list(book["Sesi"].values)
    assert plan[0] == ("No", "Judul", "Tanggal", "Waktu", "Zona waktu", "Pembicara", "Durasi (menit)")
    assert plan[2] == (2, "'=Sesi Malam", "Kamis, 2 Juni 2022", "22.30–Jumat 00.35 WIT", "Asia/Jayapura", "Ir. Budi",
                       125)


def _bulk_cohort(setup, n: int) -> list[int]:
    """n participants inserted in bulk (no password hashing), half of them in Bali."""
    now = datetime.now(UTC)
    db.session.execute(insert(User), [
        {"email": f"bulk{i:05d}@example.id", "full_name": f"Peserta {i:05d}", "province": "Bali" if i % 2 else "Aceh",
         "plut_unit": f"PLUT {i % 40}", "active": True, "is_demo": False, "created_at": now} for i in range(n)])
    ids = db.session.scalars(select(User.id).where(User.email.like("bulk%@example.id"))).all()
    db.session.execute(insert(Enrolment), [{"cohort_id": setup.cohort.id, "user_id": uid, "source": "import",
                                            "status": "active", "created_at": now} for uid in ids])
    db.session.commit()
    return ids


def test_register_pages_with_5000_participants(client, login_as, setup):
    ids = _bulk_cohort(setup, 5000)
    sessions = [make_session(setup.cohort, at(2022, 6, d, 2), title=f"Hari {d}") for d in range(2, 9)]
    now = datetime.now(UTC)
    db.session.execute(insert(AttendanceRecord), [
        {"session_id": s.id, "user_id": uid, "status": "present", "source": "zoom", "minutes_present": 100,
         "updated_at": now} for s in sessions for n, uid in enumerate(ids) if n % 5])
    db.session.commit()
    login_as(setup.organiser)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        first = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register")
        elapsed = time.perf_counter() - started
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and html.count('<th scope="row">') == 50
    assert "Halaman 1 dari 101" in html and "5.001 data" in html
    assert elapsed < 5 and len(statements) < 30
    last = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register?page=101").get_data(as_text=True)
    assert last.count('<th scope="row">') == 1
    bali = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register?province=Bali").get_data(as_text=True)
    assert "2.500 data" in bali
    started = time.perf_counter()
    low = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register?below=y").get_data(as_text=True)
    assert time.perf_counter() - started < 8
    assert "1.001 data" in low  # every fifth bulk participant plus Sari, who has no attendance
    register = client.get(f"/organiser/attendance/sessions/{sessions[0].id}/register?page=3").get_data(as_text=True)
    assert "Halaman 3 dari 101" in register and register.count('name="user_id"') == 50
    assert client.get(f"/organiser/attendance/sessions/{sessions[0].id}/register?status=none").status_code == 200
    export = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/register.csv").get_data(as_text=True)
    assert export.count("\n") == 1 + 5001 * 7


def test_below_threshold_and_unknown_filters(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    good = setup.add_participant("g@example.id", "Rajin Hadir")
    registers.set_status(s, good.id, "present", source="zoom", actor_id=None)
    db.session.commit()
    login_as(setup.organiser)
    url = f"/organiser/attendance/cohorts/{setup.cohort.id}/register"
    html = client.get(url + "?below=y").get_data(as_text=True)
    assert "Sari Konsultan" in html and "Rajin Hadir" not in html
    assert client.get(url + "?province=Atlantis&status=zzz&page=999").status_code == 200


def test_session_summary_counts(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    a = setup.add_participant("a@example.id", "A")
    setup.add_participant("b@example.id", "B")
    registers.set_status(s, a.id, "late", source="checkin", actor_id=a.id)
    registers.set_status(s, setup.consultant.id, "present", source="checkin", actor_id=None)
    assert registers.status_counts(s) == {"present": 1, "late": 1, "excused": 0, "absent": 0, "none": 1}


def test_dashboard_and_cohort_panels(client, login_as, setup):
    make_session(setup.cohort, datetime.now(UTC) + timedelta(days=2), title="Sesi Mendatang")
    login_as(setup.consultant)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Sesi Mendatang" in dashboard and "Sesi langsung" in dashboard
    client.post("/logout")
    login_as(setup.organiser)
    detail = client.get(f"/organiser/cohorts/{setup.cohort.id}").get_data(as_text=True)
    assert "Rekap kehadiran" in detail
    assert "Kehadiran" in client.get("/dashboard").get_data(as_text=True)


def test_api_participants_carry_the_attendance_fact(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    make_session(setup.cohort, at(2022, 6, 3, 2))
    registers.set_status(s, setup.consultant.id, "late", source="checkin", actor_id=None)
    db.session.commit()
    login_as(setup.organiser)
    data = client.get(f"/api/v1/cohorts/{setup.cohort.id}/participants").get_json()["data"]
    [row] = [r for r in data if r["user_id"] == setup.consultant.id]
    assert row["attendance"] == {"scheduled": 2, "attended": 1, "excused": 0, "absent": 0, "not_recorded": 1,
                                 "percent": 50.0, "required_percent": 80.0, "basis": "sessions", "met": False}


def test_attendance_changes_run_the_progress_hooks(app, client, login_as, setup):
    seen = []
    app.extensions["progress_hooks"] = [lambda enrolment: seen.append((enrolment.id, enrolment.user_id))]
    s = make_session(setup.cohort, datetime.now(UTC))
    login_as(setup.consultant)
    assert client.post(f"/checkin/{s.id}", data={"code": current_code(s)}).status_code == 302
    assert seen == [(setup.enrolment.id, setup.consultant.id)]
    client.post("/logout")
    login_as(setup.organiser)
    client.post(f"/organiser/attendance/sessions/{s.id}/people/{setup.consultant.id}",
                data={"status": "absent", "reason": "Salah pindai, tidak ada di Zoom"})
    assert len(seen) == 2
