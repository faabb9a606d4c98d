"""Shared helpers of the attendance tests (imported by the other test_attendance_* files); no tests here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attendance import checkin, codes
from attendance.models import LiveSession
from extensions import db
from tests.factories import enrol, make_cohort, make_course, make_user

__all__ = ["Setup", "at", "current_code", "make_session"]


def at(*args) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def make_session(cohort, start: datetime, minutes: int = 120, title: str = "Sesi Bimtek", zone: str = "Asia/Jakarta",
                 **fields) -> LiveSession:
    session = LiveSession(cohort=cohort, title=title, starts_at=start, ends_at=start + timedelta(minutes=minutes),
                          timezone=zone, **fields)
    db.session.add(session)
    db.session.commit()
    return session


def current_code(session: LiveSession, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return codes.code_for(checkin.secret(), session.id, codes.current_step(now, checkin.policy().interval_s))


class Setup:
    """A published course, a cohort with one enrolled consultant, and the staff around it."""

    def __init__(self, trainer, organiser, consultant):
        self.trainer, self.organiser, self.consultant = trainer, organiser, consultant
        self.course = make_course(trainer, title="Pendampingan PPH")
        self.course.completion = {"attendance_percent": 80}
        db.session.commit()
        self.cohort = make_cohort(self.course, name="Angkatan 3")
        self.enrolment = enrol(consultant, self.cohort)

    def add_participant(self, email: str, name: str, province: str = "Jawa Barat", plut: str = "PLUT Kota Bandung"):
        user = make_user(email, full_name=name, province=province, plut_unit=plut)
        enrol(user, self.cohort)
        return user
