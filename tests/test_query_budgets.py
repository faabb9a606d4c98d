"""Query-count budgets for the main pages (issue: speed and scale).

The demo world (`flask demo load`: the shipped course, the June 2022 cohort with attempts, attendance and
certificates, and the current cohort) is loaded once per test; every main page of every role is fetched and its
SQL statements counted. Each page has a budget: a change that adds a query per row, per module or per quiz
(an N+1) breaks it. A second check grows the cohorts and asserts the counts of the list pages stay the same.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, select

from extensions import db

DEMO_PASSWORD = "Demo-Halal-2026"
CONSULTANT = "konsultan@demo.bimtek.id"
TRAINER = "pelatih@demo.bimtek.id"
ORGANISER = "penyelenggara@demo.bimtek.id"


class Counter:
    """Counts the SQL statements the app's engine runs while active."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def _before(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def count(self, fn) -> tuple[int, object]:
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._before)
        try:
            result = fn()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
        return len(self.statements), result


@pytest.fixture
def demo_world(app, runner, monkeypatch):
    import demo.june2022 as june

    monkeypatch.setattr(june, "PARTICIPANTS", 12)
    done = runner.invoke(args=["demo", "load"])
    assert done.exit_code == 0, done.output
    return _world()


def _world() -> dict:
    from accounts.models import User
    from attendance.models import LiveSession
    from certificates.models import Certificate
    from courses.models import Cohort
    from quizzes.models import Quiz

    june = db.session.scalar(select(Cohort).where(Cohort.enrol_code == "JUNI2022"))
    current = db.session.scalar(select(Cohort).where(Cohort.enrol_code == "HALAL2026"))
    session = db.session.scalar(select(LiveSession).where(LiveSession.cohort_id == june.id).order_by(LiveSession.id))
    cert = db.session.scalar(select(Certificate).where(Certificate.status == "issued").order_by(Certificate.id))
    final = db.session.scalar(select(Quiz).where(Quiz.kind == "final"))
    module_quiz = db.session.scalar(select(Quiz).where(Quiz.kind == "module").order_by(Quiz.position))
    return {"june": june.id, "current": current.id, "session": session.id, "cert": cert.id,
            "code": cert.code, "slug": june.course.slug, "final": final.slug,
            "module_quiz": module_quiz.slug, "module": current.course_version.modules[1].slug,
            "consultant": db.session.scalar(select(User.id).where(User.email == CONSULTANT))}


def _sign_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


# (role, path template, budget): the budget is the page's statements with a little room, never per row
BUDGETS = [
    ("anonymous", "/", 2),
    ("anonymous", "/verify/{code}", 6),
    ("anonymous", "/registry", 6),
    ("consultant", "/dashboard", 16),
    ("consultant", "/learn", 12),
    ("consultant", "/learn/{current}", 18),
    ("consultant", "/learn/{current}/m/{module}", 6),
    ("consultant", "/learn/{current}/quiz", 12),
    ("consultant", "/learn/{current}/quiz/{module_quiz}", 12),
    ("consultant", "/sessions", 10),
    ("consultant", "/record", 24),
    ("consultant", "/certificates", 24),  # evidence per own enrolment (two here)
    ("trainer", "/trainer/courses", 8),
    ("trainer", "/trainer/courses/{slug}", 12),
    ("trainer", "/trainer/courses/{slug}/quizzes", 12),
    ("trainer", "/trainer/courses/{slug}/quizzes/{final}/stats", 14),
    ("organiser", "/organiser/cohorts", 10),
    ("organiser", "/organiser/cohorts/{june}", 20),
    ("organiser", "/organiser/cohorts/{june}/progress", 14),
    ("organiser", "/organiser/attendance/cohorts/{june}/register", 14),
    ("organiser", "/organiser/attendance/sessions/{session}/register", 14),
    ("organiser", "/organiser/certificates/cohorts/{june}", 18),
    ("organiser", "/organiser/certificates/{cert}", 12),
    ("organiser", "/reports/funnel?cohort={june}", 26),
    ("organiser", "/reports/cohort/{june}/learning", 20),
    ("organiser", "/reports/cohort/{june}/attendance", 14),
]
EMAIL_OF = {"consultant": CONSULTANT, "trainer": TRAINER, "organiser": ORGANISER}


def _measure(app, world: dict) -> dict[str, tuple[int, int]]:
    counter = Counter(app)
    clients = {role: _sign_in(app, email) for role, email in EMAIL_OF.items()}
    clients["anonymous"] = app.test_client()
    measured = {}
    for role, template, _budget in BUDGETS:
        path = template.format(**world)
        clients[role].get(path)  # warm: first visits may record "opened" or finalise timed-out attempts
        count, response = counter.count(lambda c=clients[role], p=path: c.get(p))
        measured[path] = (response.status_code, count)
    return measured


def test_main_pages_stay_within_their_query_budgets(app, demo_world):
    measured = _measure(app, demo_world)
    over = []
    for role, template, budget in BUDGETS:
        path = template.format(**demo_world)
        status, count = measured[path]
        assert status == 200, f"{role} {path}: {status}"
        if count > budget:
            over.append(f"{role} {path}: {count} statements > budget {budget}")
    assert not over, "\n".join(over)


def test_autosave_and_start_have_fixed_query_counts(app, demo_world):
    client = _sign_in(app, CONSULTANT)
    counter = Counter(app)
    base = f"/learn/{demo_world['current']}/quiz/{demo_world['module_quiz']}"
    starts, response = counter.count(lambda: client.post(f"{base}/start"))
    assert response.status_code == 302 and "/attempt/" in response.headers["Location"]
    assert starts <= 16, "\n".join(counter.statements)
    page = response.headers["Location"]
    html = client.get(page).get_data(as_text=True)
    uid, value = re.search(r'type="radio"[^>]*name="q-([^"]+)"[^>]*value="([^"]*)"', html).groups()
    saves = []
    for seq in (1, 2, 3):
        answer = int(value) if value.isdigit() else value  # option index, or "true"/"false"
        body = json.dumps({"question": uid, "answer": answer, "seq": seq})
        count, response = counter.count(
            lambda b=body: client.post(f"{page}/save", data=b, content_type="application/json"))
        assert response.status_code == 200 and response.get_json()["status"] == "saved"
        saves.append(count)
    # the first save inserts (savepoint, guarded insert); later saves are the lookup and one UPDATE
    assert saves[1] == saves[2] <= 6, saves
    assert saves[0] <= 10, saves


def test_list_pages_do_not_grow_with_participants(app, demo_world):
    from courses import progress
    from courses.models import Cohort
    from tests.factories import enrol, make_user

    before = _measure(app, demo_world)
    for cohort_id in (demo_world["june"], demo_world["current"]):
        cohort = db.session.get(Cohort, cohort_id)
        modules = progress.version_modules(cohort.course_version_id)
        for i in range(25):
            user = make_user(f"tambahan{cohort_id}-{i}@example.id", province="Aceh" if i % 2 else "Bali",
                             plut_unit=f"PLUT {i % 4}")
            enrolment = enrol(user, cohort, commit=False)
            db.session.flush()
            for module in modules[: i % 4]:
                progress.complete_module(enrolment, module)
    db.session.commit()
    after = _measure(app, demo_world)
    grew = [f"{path}: {before[path][1]} → {after[path][1]} statements"
            for path in before if after[path][1] != before[path][1]]
    assert not grew, "\n".join(grew)
