"""Cohorts, joining with a code, and participant import with preview and a per-row report."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from accounts.models import User
from courses import enrolment as enrolments
from courses.models import Enrolment
from courses.participants_file import read_participants
from extensions import db
from tests.conftest import login
from tests.factories import make_cohort, make_course, make_user

CSV = """nama,email,telepon,provinsi,unit plut
Ani Suryani,ani@example.id,0812-1111-2222,Jawa Tengah,PLUT Semarang
Bambang,bukan-email,,Jawa Timur,PLUT Surabaya
Citra Dewi,citra@example.id,,Atlantis,PLUT X
Ani Suryani,ANI@example.id,,Jawa Tengah,PLUT Semarang
Dedi,{existing},,DKI Jakarta,PLUT Jakarta
"""


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_organiser_creates_cohort_and_consultant_joins_with_code(client, organiser, trainer, consultant):
    course = make_course(trainer)
    login(client, organiser)
    response = client.post("/organiser/cohorts/new", data={
        "course_id": course.id, "name": "Angkatan Juni", "starts_on": "2026-06-02", "ends_on": "2026-06-08",
        "timezone": "Asia/Makassar", "enrol_mode": "code"})
    assert response.status_code == 302
    cohort = db.session.scalar(select(enrolments.Cohort))
    assert cohort.enrol_code and len(cohort.enrol_code) == 8
    client.post("/logout")
    login(client, consultant)
    response = client.post("/learn/join", data={"code": cohort.enrol_code.lower()})
    assert response.status_code == 302
    assert enrolments.find_enrolment(consultant, cohort) is not None
    again = client.post("/learn/join", data={"code": cohort.enrol_code})
    assert "sudah terdaftar" in again.get_data(as_text=True)


def test_cohort_dates_and_unknown_code(client, organiser, trainer, consultant):
    course = make_course(trainer)
    login(client, organiser)
    response = client.post("/organiser/cohorts/new", data={
        "course_id": course.id, "name": "Salah", "starts_on": "2026-06-08", "ends_on": "2026-06-02",
        "timezone": "Asia/Jakarta", "enrol_mode": "code"})
    assert response.status_code == 422
    assert "sesudah tanggal mulai" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, consultant)
    response = client.post("/learn/join", data={"code": "ZZZZZZZZ"})
    assert "tidak dikenal" in response.get_data(as_text=True)


def test_capacity_is_enforced(trainer, consultant, other_consultant):
    cohort = make_cohort(make_course(trainer), capacity=1)
    enrolments.join_by_code(consultant, cohort.enrol_code)
    try:
        enrolments.join_by_code(other_consultant, cohort.enrol_code)
    except enrolments.EnrolmentError as exc:
        assert exc.code == "cohort_full"
    else:
        raise AssertionError("capacity not enforced")


def test_organiser_only_cohort_refuses_codes(trainer, consultant):
    cohort = make_cohort(make_course(trainer), enrol_mode="organiser")
    assert cohort.enrol_code is None


def test_import_preview_then_apply_with_row_report(app, client, organiser, trainer):
    existing = make_user("dedi@example.id", full_name="Dedi")
    cohort = make_cohort(make_course(trainer))
    login(client, organiser)
    data = CSV.format(existing=existing.email).encode()
    users_before = _count(User)
    preview = client.post(f"/organiser/cohorts/{cohort.id}/import",
                          data={"file": (io.BytesIO(data), "peserta.csv")}, content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "email tidak valid" in page and "provinsi tidak dikenal" in page and "baris ganda" in page
    assert _count(User) == users_before and _count(Enrolment) == 0  # the preview stores nothing
    staged = page.split('name="staged" value="')[1].split('"')[0]
    report = client.post(f"/organiser/cohorts/{cohort.id}/import", data={"staged": staged, "confirm": "1"})
    page = report.get_data(as_text=True)
    assert report.status_code == 200
    assert _count(User) == users_before + 1  # Ani is new; Dedi existed
    assert _count(Enrolment) == 2
    ani = db.session.scalar(select(User).where(User.email == "ani@example.id"))
    assert ani.password_hash is None and ani.phone == "+6281211112222" and ani.province == "Jawa Tengah"
    mails = list((Path(app.instance_path) / "outbox").glob("*ani@example.id*.eml"))
    assert len(mails) == 1 and "/reset/" in mails[0].read_text()


def test_reimport_duplicates_nothing(trainer):
    cohort = make_cohort(make_course(trainer))
    rows = read_participants(b"nama;email;provinsi\nEka;eka@example.id;Bali\nFani;fani@example.id;NTB\n", "a.csv")
    first = enrolments.import_participants(cohort, rows, apply=True)
    db.session.commit()
    second = enrolments.import_participants(cohort, rows, apply=True)
    db.session.commit()
    assert [r.outcome for r in first] == ["created", "created"]
    assert [r.outcome for r in second] == ["already_enrolled", "already_enrolled"]
    assert _count(Enrolment) == 2
    fani = db.session.scalar(select(User).where(User.email == "fani@example.id"))
    assert fani.province == "Nusa Tenggara Barat"


def test_xlsx_import(trainer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nama Lengkap", "Email", "Provinsi", "Unit PLUT"])
    sheet.append(["Gita", "gita@example.id", "Papua", "PLUT Jayapura"])
    sheet.append([None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = read_participants(buffer.getvalue(), "peserta.xlsx")
    assert [(r.name, r.email, r.province, r.line) for r in rows] == [("Gita", "gita@example.id", "Papua", 2)]


def test_unreadable_file_is_a_form_error(client, organiser, trainer):
    cohort = make_cohort(make_course(trainer))
    login(client, organiser)
    response = client.post(f"/organiser/cohorts/{cohort.id}/import",
                           data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Judul kolom tidak ditemukan" in response.get_data(as_text=True)


def test_trainer_cannot_import_participants(client, trainer):
    cohort = make_cohort(make_course(trainer))
    login(client, trainer)
    assert client.get(f"/organiser/cohorts/{cohort.id}/import").status_code == 403
    assert client.get(f"/organiser/cohorts/{cohort.id}/progress").status_code == 200
