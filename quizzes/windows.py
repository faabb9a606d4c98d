"""When a cohort may take a quiz (windows) and what one person gets on top (overrides). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from accounts.models import User
from courses.models import Cohort, Enrolment
from extensions import db
from quizzes.models import Quiz, QuizOverride, QuizWindow
from quizzes.services import QuizError


def get_window(quiz: Quiz, cohort: Cohort | int) -> QuizWindow | None:
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    return db.session.scalar(select(QuizWindow).where(QuizWindow.quiz_id == quiz.id,
                                                      QuizWindow.cohort_id == cohort_id))


def set_window(quiz: Quiz, cohort: Cohort, opens_at: datetime | None, closes_at: datetime | None) -> QuizWindow:
    """Open and close times of a quiz for one cohort (either may be empty)."""
    if cohort.course_id != quiz.course_id:
        raise QuizError("not_enrolled", "cohort_id")
    if opens_at and closes_at and closes_at <= opens_at:
        raise QuizError("window_dates", "closes_at")
    window = get_window(quiz, cohort)
    if window is None:
        window = QuizWindow(quiz_id=quiz.id, cohort_id=cohort.id)
        db.session.add(window)
    window.opens_at, window.closes_at = opens_at, closes_at
    db.session.flush()
    return window


def get_override(quiz: Quiz, user_id: int) -> QuizOverride | None:
    return db.session.scalar(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id,
                                                        QuizOverride.user_id == user_id))


def set_override(quiz: Quiz, user: User, *, extra_minutes: int = 0, extra_attempts: int = 0,
                 closes_at: datetime | None = None, note: str = "") -> QuizOverride:
    """Extra time, attempts or a later close for someone enrolled in the quiz's course."""
    enrolled = db.session.scalar(select(Enrolment.id).join(Cohort).where(
        Cohort.course_id == quiz.course_id, Enrolment.user_id == user.id))
    if enrolled is None:
        raise QuizError("not_enrolled", "email")
    if extra_minutes < 0 or extra_attempts < 0:
        raise QuizError("override_invalid", "extra_minutes")
    override = get_override(quiz, user.id)
    if override is None:
        override = QuizOverride(quiz_id=quiz.id, user_id=user.id)
        db.session.add(override)
    override.extra_minutes, override.extra_attempts = extra_minutes, extra_attempts
    override.closes_at, override.note = closes_at, (note or "")[:200]
    db.session.flush()
    return override


def quiz_overrides(quiz: Quiz) -> list[QuizOverride]:
    return list(db.session.scalars(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id)
                                   .order_by(QuizOverride.id)))


def delete_override(override: QuizOverride) -> None:
    db.session.delete(override)
