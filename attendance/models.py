"""Live sessions, attendance records with their change log, Zoom imports and excuses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User, utcnow
from courses.models import Cohort
from extensions import UTCDateTime, db

# Attendance statuses, in the order a register lists them.
PRESENT, LATE, EXCUSED, ABSENT = "present", "late", "excused", "absent"
STATUSES = (PRESENT, LATE, EXCUSED, ABSENT)
ATTENDED = frozenset({PRESENT, LATE})

# Where a status came from; organiser decisions (manual, excuse) outrank automatic evidence.
SOURCES = ("checkin", "zoom", "manual", "excuse")
DECIDED_SOURCES = frozenset({"manual", "excuse"})


class LiveSession(db.Model):
    """One scheduled live (Zoom) session of a cohort; times in UTC, shown in `timezone` and the viewer's."""

    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_cohort_start", "cohort_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    speakers: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    meeting_id: Mapped[str | None] = mapped_column(String(20))  # Zoom meeting id, digits only
    materials: Mapped[str] = mapped_column(Text, default="")  # one item per line; URLs become links
    recording_url: Mapped[str | None] = mapped_column(String(500))
    series_key: Mapped[str | None] = mapped_column(String(32), index=True)  # sessions created in one go
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, raised on time changes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship()

    @property
    def minutes(self) -> int:
        """Scheduled length in whole minutes."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def __repr__(self) -> str:
        return f"<LiveSession {self.id} {self.title!r}>"


class AttendanceRecord(db.Model):
    """One participant at one session: the current status; its history is in AttendanceChange."""

    __tablename__ = "attendance_records"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # present | late | excused | absent
    source: Mapped[str] = mapped_column(String(12))  # checkin | zoom | manual | excuse
    minutes_present: Mapped[int | None] = mapped_column(Integer)
    first_join_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[LiveSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AttendanceChange(db.Model):
    """Every change of a record: who (None for the system), when, old and new, and why."""

    __tablename__ = "attendance_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("attendance_records.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(12))
    old_status: Mapped[str | None] = mapped_column(String(12))
    new_status: Mapped[str] = mapped_column(String(12))
    old_minutes: Mapped[int | None] = mapped_column(Integer)
    new_minutes: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")

    changed_by: Mapped[User | None] = relationship()
    record: Mapped[AttendanceRecord] = relationship()


class ZoomImport(db.Model):
    """One uploaded Zoom participant report; the text is kept so a session can be recomputed."""

    __tablename__ = "zoom_imports"
    __table_args__ = (UniqueConstraint("session_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    report_zone: Mapped[str] = mapped_column(String(40))
    dayfirst: Mapped[bool | None] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # the outcome of the latest computation over all of the session's reports
    result: Mapped[dict | None] = mapped_column(JSON)


class ZoomAlias(db.Model):
    """A name seen in a Zoom report that an organiser matched by hand (user) or ignored (no user)."""

    __tablename__ = "zoom_aliases"
    __table_args__ = (UniqueConstraint("cohort_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    name_key: Mapped[str] = mapped_column(String(200))  # zoom.normalise_name() of the display name
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Excuse(db.Model):
    """A consultant's reason for missing a session, with an optional letter; approved means Izin."""

    __tablename__ = "attendance_excuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    letter_stored: Mapped[str | None] = mapped_column(String(80), unique=True)
    letter_name: Mapped[str | None] = mapped_column(String(120))
    letter_type: Mapped[str | None] = mapped_column(String(60))
    letter_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending|approved|declined
    reply: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[LiveSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CalendarFeed(db.Model):
    """A personal calendar subscription; changing `nonce` revokes the old address."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
