"""Shared helpers for the certificate tests (no tests here): a course with a rule and a finished learner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from courses import progress
from extensions import db
from tests.factories import enrol, make_cohort, make_course, make_user


def setup_course(author=None, *, completion=None, approval: bool = False, modules: int = 3, certificate=None,
                 name: str = "Angkatan Uji", title: str = "Bimtek Halal Self Declare"):
    """A published course with a completion rule (default: every module) and one cohort."""
    from accounts.services import get_user_by_email

    author = author or get_user_by_email("penulis@example.id") or make_user(
        "penulis@example.id", roles=("trainer",), full_name="Penulis Materi")
    course = make_course(author, title=title, modules=modules)
    course.completion = {"modules": "all"} if completion is None else completion
    course.certificate = certificate
    cohort = make_cohort(course, name=name, commit=False)
    cohort.certificate_approval = approval
    db.session.commit()
    return course, cohort


def finish_modules(enrolment, slugs=None) -> None:
    """Mark modules of the enrolment's version done (all by default)."""
    for module in progress.version_modules(enrolment.cohort.course_version_id):
        if slugs is None or module.slug in slugs:
            progress.complete_module(enrolment, module)
    db.session.commit()


def learner(cohort, email: str = "peserta@example.id", full_name: str = "Siti Aminah", finished: bool = True,
            province: str = "Jawa Timur", plut_unit: str = "PLUT Kota Malang"):
    """A consultant enrolled in the cohort, with every module done unless finished=False."""
    user = make_user(email, roles=("consultant",), full_name=full_name, province=province, plut_unit=plut_unit)
    enrolment = enrol(user, cohort)
    if finished:
        finish_modules(enrolment)
    return user, enrolment


def add_quiz(course, slug: str, *, kind: str = "final", pass_mark: float | None = 70, title: str | None = None):
    from quizzes.models import Quiz

    quiz = Quiz(course_id=course.id, slug=slug, title=title or slug.title(), kind=kind, pass_mark=pass_mark)
    db.session.add(quiz)
    db.session.commit()
    return quiz


def add_attempt(quiz, enrolment, percent: float, *, minutes_ago: int = 5):
    """A finished, graded attempt (as the quiz engine stores it)."""
    from quizzes.attempts import passed
    from quizzes.models import Attempt

    finished = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    count = len(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id,
                                                         Attempt.enrolment_id == enrolment.id)).all())
    attempt = Attempt(quiz_id=quiz.id, user_id=enrolment.user_id, enrolment_id=enrolment.id, number=count + 1,
                      state="submitted", started_at=finished - timedelta(minutes=10), finished_at=finished, plan={},
                      version_ids={}, earned=percent, possible=100, percent=percent, passed=passed(quiz, percent))
    db.session.add(attempt)
    db.session.commit()
    return attempt


def add_sessions(cohort, count: int, *, minutes: int = 120):
    from attendance.models import LiveSession

    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    sessions = [LiveSession(cohort_id=cohort.id, title=f"Sesi {i + 1}", starts_at=start + timedelta(days=i),
                            ends_at=start + timedelta(days=i, minutes=minutes), timezone="Asia/Jakarta")
                for i in range(count)]
    db.session.add_all(sessions)
    db.session.commit()
    return sessions


def mark(session, user, status: str, minutes: int | None = None):
    from attendance.models import AttendanceRecord

    db.session.add(AttendanceRecord(session_id=session.id, user_id=user.id, status=status, source="manual",
                                    minutes_present=minutes))
    db.session.commit()


def issued_for(enrolment):
    from certificates.models import Certificate

    return db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id)
                             .order_by(Certificate.id.desc()))
