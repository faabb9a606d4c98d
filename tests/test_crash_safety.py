"""kill -9 under load (REL-Q2, REL-F5): no acknowledged answer is lost, and every attempt can still be submitted.

50 consultants save answers through the JSON autosave (CSRF token in X-CSRFToken) against gunicorn
(deploy/gunicorn.conf.py: 2 workers x 4 threads) on a file database; after ~2 s the whole process group gets
SIGKILL. After a restart on the same database every save the server acknowledged (200, "saved") must be stored
with at least the acknowledged sequence number and a value the client really sent; the one save each client
had in flight is retried as quiz.js does (it must be accepted), then every attempt is submitted and graded.
Three crash runs; the first run's attempts are started through the services, the later ones over HTTP.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import flask_migrate
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db
from quizzes import attempts
from quizzes.grading import grade_attempt
from quizzes.models import Attempt, AttemptAnswer
from tests.crash_helpers import Client, Gunicorn, quiz_yaml, raw_answer
from tests.factories import PASSWORD, enrol, make_cohort, make_user
from tests.test_quiz_fixtures import attempt_id_from, make_quiz_course

CONSULTANTS = 50
QUESTIONS = 20
RUNS = 3
HAMMER_SECONDS = 2.0
HAMMER_MAX_SECONDS = 15.0
TIME_BUDGET_S = 180  # a hang guard per database; 55-110 s measured on a 2-core machine at load 8-11


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh file database: SQLite in tmp_path, or a throw-away PostgreSQL database when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = make_url(base_url)
    name = f"{base.database}_crash_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Consultant:
    """One client thread's view: what it sent, what the server acknowledged, the save it may still have in flight."""

    index: int
    email: str
    client: Client
    attempt_id: int = 0
    seq: int = 0
    sent: dict = field(default_factory=dict)  # (uid, seq) -> raw answer, every save ever sent for this attempt
    acked: dict = field(default_factory=dict)  # uid -> highest acknowledged seq
    acks: int = 0
    pending: tuple | None = None  # (uid, seq, raw) sent but not acknowledged: retried first, like quiz.js
    statuses: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)


def _upgrade() -> None:
    """`flask db upgrade`; alembic's env.py runs logging.fileConfig, which would disable the loggers of the
    modules already imported for the rest of the test session, so their state is put back afterwards."""
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    disabled = [(lg, lg.disabled, lg.level) for lg in loggers]
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    try:
        flask_migrate.upgrade()
    finally:
        for handler in logging.root.handlers:
            if handler not in root_handlers:
                handler.close()
        logging.root.handlers[:] = root_handlers
        logging.root.setLevel(root_level)
        for logger, was_disabled, level in disabled:
            logger.disabled, logger.level = was_disabled, level


def _prepare(url: str, tmp_path):
    """Schema by migrations, a published course with a 20-question quiz, a cohort of 50 with started attempts."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
                                 "SERVER_NAME": None})
    app.instance_path = str(tmp_path)
    text_, kinds = quiz_yaml(QUESTIONS)
    with app.app_context():
        _upgrade()
        trainer = make_user("pelatih@example.id", roles=("trainer",))
        course, quiz = make_quiz_course(trainer, text_)
        cohort = make_cohort(course, name="Angkatan Tahan Banting")
        emails, attempt_ids = [], []
        for i in range(CONSULTANTS):
            user = make_user(f"konsultan{i:02d}@example.id", full_name=f"Konsultan {i:02d}")
            enrolment = enrol(user, cohort)
            attempt, created = attempts.start_attempt(enrolment, quiz)
            assert created
            db.session.commit()
            emails.append(user.email)
            attempt_ids.append(attempt.id)
        base = f"/learn/{cohort.id}/quiz/{quiz.slug}"
        db.session.remove()
    return app, kinds, base, emails, attempt_ids


def _parallel(items, work, timeout: float = 60.0) -> None:
    """Run work(item) in one thread per item; re-raise the first failure in the test thread."""
    failures: list[BaseException] = []

    def run(item):
        try:
            work(item)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(item,), daemon=True) for item in items]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "client threads did not finish in time"
    if failures:
        raise failures[0]


def _open_attempt_page(who: Consultant, base: str) -> None:
    status, _h, page = who.client.get(f"{base}/attempt/{who.attempt_id}")
    assert status == 200, (who.email, status)
    who.client.take_csrf(page)
    assert page.count(b"data-question=") == QUESTIONS


def _save(who: Consultant, base: str, item: tuple) -> bool:
    """Send one autosave; True when the server acknowledged it as saved."""
    uid, seq, raw = item
    who.sent[(uid, seq)] = raw
    try:
        status, body = who.client.post_json(f"{base}/attempt/{who.attempt_id}/save",
                                            {"question": uid, "answer": raw, "seq": seq})
    except (OSError, http.client.HTTPException) as exc:
        who.statuses[type(exc).__name__] += 1
        return False
    who.statuses[status] += 1
    if status == 200 and body and body.get("ok") and body.get("status") == "saved":
        if body.get("seq") != seq:
            who.errors.append(f"ack for seq {seq} says {body.get('seq')}")
        who.acked[uid] = max(seq, who.acked.get(uid, 0))
        who.acks += 1
        return True
    if status not in (200, 503):
        who.errors.append(f"save answered {status}: {body}")
    elif status == 200:
        who.errors.append(f"save not stored: {body}")  # "stale" cannot happen: this client's seq only grows
    return False


def _hammer(who: Consultant, base: str, kinds: dict, stop: threading.Event) -> None:
    """Save answers in a loop until stopped; a failed save is retried before anything new (quiz.js keeps order)."""
    rng = random.Random(who.index)  # noqa: S311 - deterministic test data
    uids = sorted(kinds)
    while not stop.is_set():
        if who.pending is None:
            uid = rng.choice(uids)
            who.seq += 1
            qtype, options = kinds[uid]
            who.pending = (uid, who.seq, raw_answer(qtype, options, who.seq + who.index))
        if _save(who, base, who.pending):
            who.pending = None
        else:
            stop.wait(0.05)


def _verify(app, people: list[Consultant], kinds: dict, exact: bool) -> int:
    """Every acknowledged save is stored with at least its seq; every stored row is a value the client sent.

    exact: nothing is in flight any more, so each row must be the client's last save of that question.
    Returns the number of (attempt, question) answers checked."""
    checked = 0
    with app.app_context():
        by_attempt = {p.attempt_id: p for p in people}
        rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(list(by_attempt))))
        stored = {(row.attempt_id, row.question_uid): row for row in rows}
        for who in people:
            attempt = db.session.get(Attempt, who.attempt_id)
            versions = attempts.question_versions(attempt)
            last_sent: dict[str, int] = {}
            for uid, seq in who.sent:
                last_sent[uid] = max(seq, last_sent.get(uid, 0))
            for uid, seq in who.acked.items():
                row = stored.get((who.attempt_id, uid))
                assert row is not None, f"{who.email}: acknowledged {uid} seq {seq} is missing"
                assert row.seq >= seq, f"{who.email}: {uid} stored seq {row.seq} < acknowledged {seq}"
                checked += 1
            for (attempt_id, uid), row in stored.items():
                if attempt_id != who.attempt_id:
                    continue
                raw = who.sent.get((uid, row.seq))
                assert raw is not None, f"{who.email}: {uid} stored seq {row.seq} was never sent"
                assert row.answer == attempts.to_canonical(attempt, uid, versions[uid].data, raw)
                if exact:
                    assert row.seq == last_sent[uid], f"{who.email}: {uid} not the last save"
            assert set(who.acked) <= {uid for (aid, uid) in stored if aid == who.attempt_id}
        db.session.remove()
    return checked


def _verify_graded(app, people: list[Consultant]) -> None:
    with app.app_context():
        for who in people:
            attempt = db.session.get(Attempt, who.attempt_id)
            assert attempt.state == "submitted" and attempt.open_key is None, (who.email, attempt.state)
            answers = {row.question_uid: row.answer for row in db.session.scalars(
                select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}
            versions = attempts.question_versions(attempt)
            questions = [{**versions[uid].data, "id": uid} for uid in attempt.plan["questions"]]
            earned, possible, percent = grade_attempt(questions, answers)
            assert (attempt.earned, attempt.possible, attempt.percent) == (earned, possible, percent)
            assert possible == QUESTIONS and set(attempt.results) == set(attempt.plan["questions"])
        db.session.remove()


def _integrity(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.remove()


@dataclass
class Run:
    number: int
    acks: int = 0
    unacknowledged: int = 0  # saves in flight (or being retried) when the server died
    committed_unacknowledged: int = 0  # of those, stored although the client never heard back
    verified: int = 0  # acknowledged (attempt, question) answers found intact after the restart
    verified_final: int = 0  # answers equal to the client's last save after retry and submit
    statuses: dict = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # seconds: saving, restart, verify, retry_submit


def _start_over_http(who: Consultant, base: str) -> None:
    """A new attempt on the restarted server, with the CSRF token of the page the consultant still has open."""
    status, headers, _b = who.client.post_form(f"{base}/start", {"csrf_token": who.client.csrf})
    assert status == 302, (who.email, status)
    who.attempt_id = attempt_id_from(headers["location"])
    who.seq, who.sent, who.acked, who.pending = 0, {}, {}, None


def _retry_then_submit(who: Consultant, base: str) -> None:
    if who.pending is not None:  # the save that was in flight at the crash, resent as quiz.js does
        assert _save(who, base, who.pending), (who.email, who.statuses)
        who.pending = None
    status, headers, _b = who.client.post_form(f"{base}/attempt/{who.attempt_id}/submit",
                                               {"csrf_token": who.client.csrf})
    assert status == 302 and headers["location"].endswith(f"/attempt/{who.attempt_id}/result"), (who.email, status)


def _committed_unacknowledged(app, people: list[Consultant]) -> int:
    with app.app_context():
        count = 0
        for who in people:
            if who.pending is None:
                continue
            uid, seq, _raw = who.pending
            stored = db.session.scalar(select(AttemptAnswer.seq).where(AttemptAnswer.attempt_id == who.attempt_id,
                                                                      AttemptAnswer.question_uid == uid))
            count += stored == seq
        db.session.remove()
    return count


def _crash_run(number: int, app, server: Gunicorn, people: list[Consultant], base: str, kinds: dict) -> Run:
    began = time.monotonic()
    run = Run(number)
    for who in people:
        who.acks, who.statuses = 0, Counter()
    stop = threading.Event()
    threads = [threading.Thread(target=_hammer, args=(who, base, kinds, stop), daemon=True) for who in people]
    for thread in threads:
        thread.start()
    try:
        # at least HAMMER_SECONDS and at least one acknowledged save per consultant on average (a busy machine
        # is slower), never more than HAMMER_MAX_SECONDS
        time.sleep(HAMMER_SECONDS)
        limit = began + HAMMER_MAX_SECONDS
        while sum(who.acks for who in people) < CONSULTANTS and time.monotonic() < limit:
            time.sleep(0.1)
        workers = server.workers_alive()
        killed = server.kill9()  # mid-request: 50 clients are saving right now
    finally:
        stop.set()
        for thread in threads:
            thread.join(35)
    assert not any(thread.is_alive() for thread in threads)
    assert len(workers) == 2 and killed == 3, (workers, killed)  # the master and both workers
    errors = [e for who in people for e in who.errors]
    assert not errors, errors[:5]
    run.acks = sum(who.acks for who in people)
    run.unacknowledged = sum(who.pending is not None for who in people)
    run.statuses = dict(sum((who.statuses for who in people), Counter()))
    assert run.acks >= CONSULTANTS, f"too few saves acknowledged before the crash: {run.statuses}"

    mark = time.monotonic()
    run.phases["saving"] = mark - began
    server.start()  # same database, nothing repaired by hand
    run.phases["restart"], mark = time.monotonic() - mark, time.monotonic()
    _integrity(app)
    run.verified = _verify(app, people, kinds, exact=False)
    assert run.verified >= len([1 for who in people if who.acked])
    run.committed_unacknowledged = _committed_unacknowledged(app, people)
    run.phases["verify"], mark = time.monotonic() - mark, time.monotonic()
    _parallel(people, lambda who: _retry_then_submit(who, base))
    run.phases["retry_submit"] = time.monotonic() - mark
    assert not [e for who in people for e in who.errors]
    run.verified_final = _verify(app, people, kinds, exact=True)
    _verify_graded(app, people)
    run.seconds = time.monotonic() - began
    return run


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # alembic's own, as in test_migrations.py
def test_kill9_during_50_autosaving_consultants_loses_no_acknowledged_answer(database_url, tmp_path):
    began = time.monotonic()
    app, kinds, base, emails, attempt_ids = _prepare(database_url, tmp_path)
    server = Gunicorn(database_url, tmp_path)
    people = [Consultant(i, email, Client(server), attempt_id=attempt_id)
              for i, (email, attempt_id) in enumerate(zip(emails, attempt_ids, strict=True))]
    runs: list[Run] = []
    try:
        server.start()
        _parallel(people, lambda who: who.client.login(who.email, PASSWORD))
        _parallel(people, lambda who: _open_attempt_page(who, base))
        for number in range(1, RUNS + 1):
            if number > 1:
                _parallel(people, lambda who: _start_over_http(who, base))
            runs.append(_crash_run(number, app, server, people, base, kinds))
    finally:
        for who in people:
            who.client.close()
        server.stop()
        with app.app_context():
            db.engine.dispose()
    elapsed = time.monotonic() - began
    for run in runs:
        print(f"crash run {run.number}: {run.acks} saves acknowledged before SIGKILL, {run.verified} acknowledged "
              f"answers verified after restart; {run.unacknowledged} saves unacknowledged at the crash "
              f"({run.committed_unacknowledged} of them had been committed), all retried; {run.verified_final} "
              f"answers equal to the last save; {CONSULTANTS} attempts submitted and graded; {run.seconds:.1f} s "
              f"({', '.join(f'{k} {v:.1f}' for k, v in run.phases.items())}); client outcomes {run.statuses}")
    print(f"{make_url(database_url).get_backend_name()}: {len(runs)} crash runs, "
          f"{sum(r.verified for r in runs)} acknowledged answers verified "
          f"({sum(r.acks for r in runs)} acknowledged saves), {len(runs) * CONSULTANTS} attempts graded, "
          f"{server.starts} gunicorn starts, {elapsed:.1f} s")
    assert len(runs) == RUNS
    assert elapsed < TIME_BUDGET_S
