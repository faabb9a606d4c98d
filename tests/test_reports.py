"""The funnel's step definitions against hand-built data, its breakdowns and exports, and the audit log."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from accounts import audit
from courses import progress
from extensions import db
from reports import funnel as funnels
from tests.conftest import login
from tests.factories import enrol, make_cohort, make_course, make_user


def build(trainer):
    """Bali: 3 registered, 2 enrolled, 1 started, 1 finished all modules. Aceh: 1 registered only.
    One Bali consultant is in two cohorts and must count once."""
    course = make_course(trainer, modules=2)
    first, second = make_cohort(course, name="A"), make_cohort(course, name="B")
    users = [make_user(f"bali{i}@example.id", province="Bali", plut_unit="PLUT Denpasar", commit=False)
             for i in range(3)]
    make_user("aceh@example.id", province="Aceh", plut_unit="PLUT Banda Aceh", consultant_field="it", commit=False)
    e0 = enrol(users[0], first, commit=False)
    enrol(users[0], second, commit=False)
    enrol(users[1], first, commit=False)
    db.session.flush()
    for module in progress.version_modules(first.course_version_id):
        progress.complete_module(e0, module)
    db.session.commit()
    return first, second


def counts(rows):
    return {r["key"]: r["count"] for r in rows}


def test_funnel_step_definitions(trainer):
    first, second = build(trainer)
    rows = funnels.funnel(funnels.Filters())
    c = counts(rows)
    assert (c["registered"], c["enrolled"], c["started"], c["modules_complete"]) == (4, 2, 1, 1)
    assert rows[0]["percent"] == 100.0 and rows[1]["percent"] == 50.0 and rows[2]["percent_of_previous"] == 50.0
    in_second = counts(funnels.funnel(funnels.Filters(cohort_ids=[second.id])))
    assert (in_second["registered"], in_second["enrolled"], in_second["started"]) == (1, 1, 0)
    aceh = counts(funnels.funnel(funnels.Filters(province="Aceh")))
    assert (aceh["registered"], aceh["enrolled"]) == (1, 0)
    it = counts(funnels.funnel(funnels.Filters(consultant_field="it")))
    assert it["registered"] == 1


def test_breakdown_lists_all_38_provinces(trainer):
    build(trainer)
    rows = funnels.breakdown(funnels.Filters(), "province")
    by = {r["group"]: r for r in rows}
    assert len([r for r in rows if r["group"]]) == 38
    assert (by["Bali"]["registered"], by["Bali"]["enrolled"]) == (3, 2)
    assert by["Papua"]["registered"] == 0
    plut = {r["group"]: r for r in funnels.breakdown(funnels.Filters(), "plut")}
    assert plut["PLUT Denpasar"]["started"] == 1


def test_funnel_page_filters_and_exports(client, organiser, trainer):
    build(trainer)
    login(client, organiser)
    page = client.get("/reports/funnel?province=Bali").get_data(as_text=True)
    assert "Corong program" in page and "<svg" in page and "Provinsi yang belum punya" in page
    response = client.get("/reports/funnel.csv?province=Bali&by=plut")
    assert response.headers["Content-Disposition"].endswith('funnel.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert list(rows[0]) == ["group_by", "group", "step", "step_order", "count"]
    overall = {r["step"]: int(r["count"]) for r in rows if r["group_by"] == "all"}
    assert overall["registered"] == 3 and overall["enrolled"] == 2
    assert {r["group"] for r in rows if r["group_by"] == "plut"} == {"PLUT Denpasar"}
    xlsx = client.get("/reports/funnel.xlsx?province=Bali")
    data = xlsx.data
    xlsx.close()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    values = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert values[0] == ("group_by", "group", "step", "step_order", "count")
    assert ("all", None, "registered", 0, 3) in values or ("all", "", "registered", 0, 3) in values
    assert client.get("/reports/funnel.pdf").status_code == 404


def test_exports_neutralise_formulas():
    from reports.exports import safe_cell

    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("Budi") == "Budi" and safe_cell(3) == 3


def test_audit_log_is_filterable(client, admin, organiser, consultant):
    audit.record("roles.changed", "user", consultant.id, summary="x", actor_id=admin.id)
    audit.record("certificate.revoked", "certificate", 7, summary="y", actor_id=organiser.id)
    db.session.commit()
    login(client, organiser)
    page = client.get("/reports/audit?action=certificate").get_data(as_text=True)
    assert "<code>certificate.revoked</code>" in page and "<code>roles.changed</code>" not in page
    page = client.get(f"/reports/audit?actor={admin.email}").get_data(as_text=True)
    assert "<code>roles.changed</code>" in page and "<code>certificate.revoked</code>" not in page


def test_consultant_cannot_see_reports(client, consultant):
    login(client, consultant)
    assert client.get("/reports/funnel").status_code == 403
    assert client.get("/reports/funnel.csv").status_code == 403


def test_consultant_record_and_trainer_teaching_pages(client, trainer, consultant):
    cohort = make_cohort(make_course(trainer, modules=2), name="Angkatan Rekam")
    enrol(consultant, cohort)
    login(client, consultant)
    page = client.get("/record").get_data(as_text=True)
    assert "Angkatan Rekam" in page and "Modul: 0 dari 2 selesai" in page
    assert client.get("/teaching").status_code == 403
    client.post("/logout")
    login(client, trainer)
    page = client.get("/teaching").get_data(as_text=True)
    assert "Angkatan Rekam" in page


def test_attendance_and_final_test_steps(trainer, consultant, other_consultant):
    """Two sessions, rule 80 %: A attends both (met), B attends one and is excused from the other (met: the
    excused one leaves the denominator), C attends one of two (not met). A passes the quiz, B fails."""
    from attendance.registers import set_status
    from quizzes.attempts import start_attempt, submit_attempt
    from quizzes.models import AttemptAnswer
    from tests.test_attendance_fixtures import at, make_session
    from tests.test_quiz_fixtures import display_answer, make_quiz_course

    course, quiz = make_quiz_course(trainer, kind="final", pass_mark=60.0)
    course.completion = {"attendance_percent": 80}
    cohort = make_cohort(course)
    third = make_user("ketiga@example.id")
    people = [consultant, other_consultant, third]
    enrolments = [enrol(u, cohort) for u in people]
    first, second = make_session(cohort, at(2026, 1, 5, 2)), make_session(cohort, at(2026, 1, 6, 2))
    marks = {consultant: ("present", "late"), other_consultant: ("present", "excused"), third: ("present", "absent")}
    for user, (one, two) in marks.items():
        set_status(first, user.id, one, source="manual", actor_id=None, reason="uji")
        set_status(second, user.id, two, source="manual", actor_id=None, reason="uji")
    for enrolment, right in ((enrolments[0], True), (enrolments[1], False)):
        attempt, _ = start_attempt(enrolment, quiz)
        for uid in attempt.plan["questions"]:
            db.session.add(AttemptAnswer(attempt_id=attempt.id, question_uid=uid, seq=1,
                                         answer=_canonical(attempt, uid, display_answer(attempt, uid, right))))
        db.session.flush()
        submit_attempt(attempt)
    db.session.commit()
    c = counts(funnels.funnel(funnels.Filters(cohort_ids=[cohort.id])))
    assert c["attendance_met"] == 2
    assert c["final_passed"] == 1


def _canonical(attempt, uid, raw):
    from quizzes.attempts import question_versions, to_canonical

    return to_canonical(attempt, uid, question_versions(attempt)[uid].data, raw)


def test_learning_and_attendance_dashboards(client, organiser, trainer, consultant):
    from attendance.registers import set_status
    from tests.test_attendance_fixtures import at, make_session

    cohort = make_cohort(make_course(trainer, modules=1), name="Angkatan Dasbor")
    enrol(consultant, cohort)
    session = make_session(cohort, at(2026, 2, 2, 2), title="Sesi Pembukaan")
    set_status(session, consultant.id, "late", source="manual", actor_id=None, reason="uji")
    db.session.commit()
    login(client, organiser)
    page = client.get(f"/reports/cohort/{cohort.id}/attendance").get_data(as_text=True)
    assert "Sesi Pembukaan" in page and "<svg" in page and "100.0" in page
    page = client.get(f"/reports/cohort/{cohort.id}/learning").get_data(as_text=True)
    assert "Belum ada hasil tes akhir" in page
    response = client.get(f"/reports/cohort/pick?view=learning&cohort_id={cohort.id}")
    assert response.headers["Location"].endswith(f"/reports/cohort/{cohort.id}/learning")


def test_score_distribution_bands():
    from reports.insights import score_distribution

    bands = {b["label"]: b["value"] for b in score_distribution([0, 9.9, 10, 55, 99.5, 100])}
    assert bands["0–9"] == 2 and bands["10–19"] == 1 and bands["50–59"] == 1 and bands["90–100"] == 2
