"""Attempts: deadlines, one open attempt, idempotent saves and submit, stale tabs, bad input, no leaked keys."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import utcnow
from courses.models import Enrolment, ModuleProgress
from extensions import db
from quizzes import attempts, windows
from quizzes.attempts import AttemptError
from quizzes.models import OPEN, Attempt, AttemptAnswer
from tests.conftest import build_app
from tests.factories import make_user
from tests.test_quiz_fixtures import (
    answer_all,
    display_answer,
    setup_for,
    stored_answers,
)


@pytest.fixture
def qs(trainer, consultant):
    """A course with a module quiz of every question type and an enrolled consultant."""
    return setup_for(trainer, consultant)


# ---------------------------------------------------------------------------------------------------------
# Start, plan and the one-open-attempt rule


def test_start_freezes_versions_and_order_and_sets_a_server_deadline(qs):
    now = utcnow()
    attempt, created = attempts.start_attempt(qs.enrolment, qs.quiz, now=now)
    db.session.commit()
    assert created and attempt.state == OPEN
    assert attempt.deadline == now + timedelta(minutes=10)
    assert sorted(attempt.plan["questions"]) == ["q-multi", "q-num", "q-short", "q-single", "q-tf"]
    assert sorted(attempt.plan["options"]["q-single"]) == [0, 1, 2, 3]
    assert set(attempt.version_ids) == set(attempt.plan["questions"])
    assert attempt.open_key == f"{qs.enrolment.user_id}:{qs.quiz.id}"
    # starting again resumes the same attempt
    again, created_again = attempts.start_attempt(qs.enrolment, qs.quiz)
    assert (again.id, created_again) == (attempt.id, False)


def test_the_database_refuses_a_second_open_attempt_and_start_returns_the_first(qs, monkeypatch):
    first, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    db.session.commit()
    real = attempts.quiz_status

    def stale_status(*args, **kwargs):  # as a concurrent request would see it: no open attempt yet
        status = real(*args, **kwargs)
        status.open_attempt = None
        return status

    monkeypatch.setattr(attempts, "quiz_status", stale_status)
    second, created = attempts.start_attempt(qs.enrolment, qs.quiz)
    db.session.commit()
    assert (second.id, created) == (first.id, False)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_concurrent_starts_on_a_file_database_give_one_open_attempt(tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'race.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    with app.app_context():
        db.create_all()  # its own file database, whatever TEST_DATABASE_URL the suite runs on
        trainer = make_user("pelatih@example.id", roles=("trainer",))
        consultant = make_user("konsultan@example.id", roles=("consultant",))
        setup = setup_for(trainer, consultant)
        enrolment_id, quiz_id = setup.enrolment.id, setup.quiz.id
        db.session.remove()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def start():
        with app.app_context():
            try:
                enrolment = db.session.get(Enrolment, enrolment_id)
                quiz = db.session.get(attempts.Quiz, quiz_id)
                barrier.wait(timeout=10)
                attempt, created = attempts.start_attempt(enrolment, quiz)
                db.session.commit()
                results.append((attempt.id, created))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len({attempt_id for attempt_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
        db.engine.dispose()


def test_start_respects_attempts_window_and_overrides(qs, consultant):

    for _ in range(2):
        attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
        attempts.submit_attempt(attempt)
    db.session.commit()
    with pytest.raises(AttemptError) as exc:
        attempts.start_attempt(qs.enrolment, qs.quiz)
    assert exc.value.code == "no_attempts_left"
    windows.set_override(qs.quiz, consultant, extra_attempts=1, extra_minutes=5)
    third, created = attempts.start_attempt(qs.enrolment, qs.quiz, now=utcnow())
    assert created and third.number == 3
    assert third.deadline - third.started_at == timedelta(minutes=15)
    attempts.submit_attempt(third)
    windows.set_window(qs.quiz, qs.cohort, utcnow() + timedelta(days=1), None)
    windows.set_override(qs.quiz, consultant, extra_attempts=5)
    with pytest.raises(AttemptError) as exc:
        attempts.start_attempt(qs.enrolment, qs.quiz)
    assert exc.value.code == "quiz_not_open_yet"


def test_a_closing_window_caps_the_deadline(qs):

    closes = utcnow() + timedelta(minutes=3)
    windows.set_window(qs.quiz, qs.cohort, None, closes)
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    assert attempt.deadline == closes


# ---------------------------------------------------------------------------------------------------------
# Saves


def test_saves_are_idempotent_and_ordered_by_sequence_number(qs):
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    assert attempts.save_answer(attempt, "q-num", "3,5", 5).status == "saved"
    assert attempts.save_answer(attempt, "q-num", "9", 4).status == "stale"  # an older replay arrives late
    assert attempts.save_answer(attempt, "q-num", "3,5", 5).status == "saved"  # the same save repeated
    db.session.commit()
    assert stored_answers(attempt) == {"q-num": "3,5"}
    assert db.session.scalar(select(AttemptAnswer.seq).where(AttemptAnswer.attempt_id == attempt.id)) == 5
    attempts.save_answer(attempt, "q-num", "", 6)  # clearing is an answer too
    assert stored_answers(attempt) == {"q-num": None}


def test_choice_answers_are_stored_as_option_keys_whatever_the_display_order(qs):
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    attempts.save_answer(attempt, "q-single", display_answer(attempt, "q-single"), 1)
    attempts.save_answer(attempt, "q-multi", display_answer(attempt, "q-multi"), 2)
    attempts.save_answer(attempt, "q-tf", "false", 3)
    assert stored_answers(attempt) == {"q-single": "b", "q-multi": ["a", "b"], "q-tf": False}


@pytest.mark.parametrize(("uid", "answer", "code"), [
    ("q-elsewhere", "1", "question_not_in_attempt"),
    ("q-single", 7, "option_unknown"),
    ("q-single", "b", "option_unknown"),
    ("q-single", [0, 1], "answer_malformed"),
    ("q-multi", [0, 9], "option_unknown"),
    ("q-tf", "mungkin", "option_unknown"),
    ("q-num", "dua belas", "not_a_number"),
    ("q-num", {"value": 1}, "answer_malformed"),
    ("q-short", "x" * 501, "answer_too_long"),
])
def test_bad_answers_are_refused_and_nothing_is_stored(qs, uid, answer, code):
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    attempts.save_answer(attempt, "q-num", "1", 1)
    with pytest.raises(AttemptError) as exc:
        attempts.save_answer(attempt, uid, answer, 2)
    assert exc.value.code == code
    assert stored_answers(attempt) == {"q-num": "1"}


@pytest.mark.parametrize("seq", [-1, "3", 2**31, True, None])
def test_bad_sequence_numbers_are_refused(qs, seq):
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    with pytest.raises(AttemptError) as exc:
        attempts.save_answer(attempt, "q-num", "1", seq)
    assert exc.value.code == "seq_invalid"


# ---------------------------------------------------------------------------------------------------------
# Deadline, submit, grading


def test_deadline_refuses_late_saves_and_grades_only_what_was_saved_in_time(qs):
    start = utcnow() - timedelta(minutes=20)
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz, now=start)
    attempts.save_answer(attempt, "q-num", "1", 1, now=start + timedelta(minutes=5))
    attempts.save_answer(attempt, "q-tf", "false", 2, now=start + timedelta(minutes=9))
    with pytest.raises(AttemptError) as exc:
        attempts.save_answer(attempt, "q-short", "Lembaga Pendamping", 3, now=start + timedelta(minutes=11))
    assert exc.value.code == "deadline_passed"
    # a row written after the deadline by any other path does not count
    db.session.add(AttemptAnswer(attempt_id=attempt.id, question_uid="q-short", answer="Lembaga Pendamping", seq=9,
                                 saved_at=start + timedelta(minutes=12)))
    db.session.commit()
    assert attempts.finalise_if_due(attempt) is True
    db.session.commit()
    assert attempt.state == "timeout" and attempt.open_key is None
    assert attempt.finished_at == attempt.deadline
    assert attempt.percent == 40.0 and attempt.passed is False
    assert attempt.results["q-short"]["fraction"] == 0.0
    assert attempts.finalise_if_due(attempt) is False


def test_submit_is_graded_once_and_a_module_quiz_pass_completes_the_module(qs):
    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    answer_all(attempt)
    assert attempts.submit_attempt(attempt) is True
    db.session.commit()
    finished_at, percent = attempt.finished_at, attempt.percent
    assert percent == 100.0 and attempt.passed is True
    assert attempts.submit_attempt(attempt) is False  # double click, second tab, retry
    db.session.commit()
    assert (attempt.finished_at, attempt.percent) == (finished_at, percent)
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.enrolment_id == qs.enrolment.id))
    assert progress is not None and progress.via == "quiz" and progress.module_id == qs.quiz.module_id


def test_partial_credit_and_highest_grade(qs):
    first, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    attempts.save_answer(first, "q-multi", display_answer(first, "q-multi", right="partial"), 1)  # 1 of 2 right
    attempts.save_answer(first, "q-num", "1", 2)
    attempts.submit_attempt(first)
    assert first.percent == 30.0
    second, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    attempts.save_answer(second, "q-num", "1", 1)
    attempts.submit_attempt(second)
    status = attempts.quiz_status(qs.enrolment, qs.quiz)
    assert status.percent == 30.0 and status.passed is False and status.reason == "no_attempts_left"


def test_editing_a_question_does_not_change_a_started_attempt(qs, trainer):
    from quizzes import services

    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    question = services.question_by_uid(qs.course, "q-num")
    services.edit_question(qs.course, question, {**question.current.data, "value": 2, "text": "Diubah?"}, None,
                           trainer)
    db.session.commit()
    assert question.version_number == 2
    attempts.save_answer(attempt, "q-num", "1", 1)
    attempts.submit_attempt(attempt)
    assert attempt.results["q-num"]["correct"] is True  # graded with the key it was started with
    fresh, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    assert fresh.version_ids["q-num"] != attempt.version_ids["q-num"]
