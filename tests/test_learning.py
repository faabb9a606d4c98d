"""Consultants read modules, mark them done, resume; progress tables page; the module page stays small."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import event

from courses import progress, services
from extensions import db
from tests.conftest import login
from tests.factories import enrol, make_cohort, make_course, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_read_mark_done_and_progress_moves(client, trainer, consultant):
    cohort = make_cohort(make_course(trainer, modules=3))
    enrol(consultant, cohort)
    login(client, consultant)
    page = client.get(f"/learn/{cohort.id}").get_data(as_text=True)
    assert "0 dari 3 modul selesai" in page
    assert "Membaca semua modul" in page  # the what-remains panel
    response = client.post(f"/learn/{cohort.id}/m/modul-1/done", data={"next_slug": "modul-2"})
    assert response.headers["Location"].endswith("/m/modul-2")
    page = client.get(f"/learn/{cohort.id}").get_data(as_text=True)
    assert "1 dari 3 modul selesai" in page
    assert 'aria-valuenow="33"' in page
    client.post(f"/learn/{cohort.id}/m/modul-1/done", data={"undo": "1"})
    assert "0 dari 3 modul selesai" in client.get(f"/learn/{cohort.id}").get_data(as_text=True)


def test_reopening_resumes_where_the_consultant_stopped(client, trainer, consultant):
    cohort = make_cohort(make_course(trainer, modules=3))
    enrol(consultant, cohort)
    login(client, consultant)
    client.get(f"/learn/{cohort.id}/m/modul-3")
    page = client.get(f"/learn/{cohort.id}").get_data(as_text=True)
    assert "Lanjutkan membaca: Modul 3" in page


def test_sequential_mode_locks_later_modules(client, trainer, consultant):
    cohort = make_cohort(make_course(trainer, modules=2, sequential=True))
    enrol(consultant, cohort)
    login(client, consultant)
    response = client.get(f"/learn/{cohort.id}/m/modul-2")
    assert response.status_code == 302
    client.post(f"/learn/{cohort.id}/m/modul-1/done")
    assert client.get(f"/learn/{cohort.id}/m/modul-2").status_code == 200


def test_not_enrolled_gets_404(client, trainer, consultant):
    cohort = make_cohort(make_course(trainer))
    login(client, consultant)
    assert client.get(f"/learn/{cohort.id}").status_code == 404
    assert client.post(f"/learn/{cohort.id}/m/modul-1/done").status_code == 404


def test_attachments_are_checked_and_served_only_to_the_course(app, client, trainer, consultant):
    course = make_course(trainer)
    cohort = make_cohort(course)
    login(client, trainer)
    bad = client.post(f"/trainer/courses/{course.slug}/attachments",
                      data={"file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "tidak diizinkan" in bad.get_data(as_text=True)
    polyglot = client.post(f"/trainer/courses/{course.slug}/attachments",
                           data={"file": (io.BytesIO(b"%PDF-1.4 <script>alert(1)</script>"), "a.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "tidak diizinkan" in polyglot.get_data(as_text=True)
    client.post(f"/trainer/courses/{course.slug}/attachments",
                data={"file": (io.BytesIO(PNG), "../../etc/Foto Label.png")}, content_type="multipart/form-data")
    client.post("/logout")
    outsider = make_user("luar@example.id")
    login(client, outsider)
    assert client.get(f"/courses/{course.slug}/files/Foto-Label.png").status_code == 404
    client.post("/logout")
    enrol(consultant, cohort)
    login(client, consultant)
    response = client.get(f"/courses/{course.slug}/files/Foto-Label.png")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == PNG
    response.close()


def test_oversized_upload_is_refused(app, client, trainer):
    app.config["UPLOAD_MAX_MB"] = 1
    course = make_course(trainer)
    login(client, trainer)
    response = client.post(f"/trainer/courses/{course.slug}/attachments",
                           data={"file": (io.BytesIO(PNG + b"\x00" * (1024 * 1024)), "besar.png")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "terlalu besar" in response.get_data(as_text=True)


def _count_queries(app, fn) -> int:
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_module_page_query_count_does_not_grow_with_course_size(app, client, trainer, consultant):
    small = make_cohort(make_course(trainer, modules=2, slug="kecil"), name="A")
    big = make_cohort(make_course(trainer, modules=30, slug="besar"), name="B")
    for cohort in (small, big):
        enrolment = enrol(consultant, cohort)
        for module in progress.version_modules(cohort.course_version_id)[:2]:
            progress.complete_module(enrolment, module)
    db.session.commit()
    login(client, consultant)
    client.get(f"/learn/{small.id}/m/modul-2")
    client.get(f"/learn/{big.id}/m/modul-2")
    small_count = _count_queries(app, lambda: client.get(f"/learn/{small.id}/m/modul-2"))
    big_count = _count_queries(app, lambda: client.get(f"/learn/{big.id}/m/modul-2"))
    assert big_count == small_count
    assert big_count <= 12


def test_module_page_weighs_under_60_kb(client, trainer, consultant):
    course = make_course(trainer, modules=9)
    body = ("Pelaku usaha mikro wajib memastikan setiap bahan memiliki sertifikat halal. " * 40 + "\n\n") * 8
    services.save_module(course, course.modules[0], title="Modul panjang", body_md=body, slug="modul-1")
    services.publish(course, trainer, "isi panjang")
    db.session.commit()
    cohort = make_cohort(course)
    enrol(consultant, cohort)
    login(client, consultant)
    page = client.get(f"/learn/{cohort.id}/m/modul-1").data
    css = (Path(__file__).parents[1] / "static" / "css" / "app.css").read_bytes()
    assert len(page) + len(css) < 60 * 1024, (len(page), len(css))


def test_progress_table_pages_and_filters(client, organiser, trainer):
    cohort = make_cohort(make_course(trainer, modules=2))
    for i in range(60):
        user = make_user(f"p{i:03d}@example.id", full_name=f"Peserta {i:03d}",
                         province="Bali" if i % 3 == 0 else "Aceh", commit=False)
        enrol(user, cohort, commit=False)
    db.session.commit()
    login(client, organiser)
    page = client.get(f"/organiser/cohorts/{cohort.id}/progress").get_data(as_text=True)
    assert "Peserta 000" in page and "Peserta 055" not in page and "Halaman 1 dari 2" in page
    page = client.get(f"/organiser/cohorts/{cohort.id}/progress?province=Bali").get_data(as_text=True)
    assert "Peserta 003" in page and "Peserta 001" not in page


def test_what_remains_lists_the_modules_the_completion_rule_requires(app, client, trainer, consultant):
    from courses.learning import module_requirements

    cohort = make_cohort(make_course(trainer, modules=3))
    enrolment = enrol(consultant, cohort)
    course = cohort.course
    with app.test_request_context():
        assert module_requirements(enrolment)[0].total == 3  # no rule: every module
        course.completion = {"quizzes": {"final": 70}}  # the rule requires no module
        db.session.commit()
        assert module_requirements(enrolment) == []
        cohort.completion_override = {"modules": ["modul-2"]}  # the cohort asks for one module
        db.session.commit()
        (only,) = module_requirements(enrolment)
        assert (only.total, only.evidence["missing"], str(only.label)) == (1, ["modul-2"], "Membaca modul wajib")
        course.completion = {"modules": "all"}
        cohort.completion_override = None
        db.session.commit()
        assert module_requirements(enrolment)[0].total == 3
