"""Live sessions: schedule (one or a series), change, delete, and who may see them. Never commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from accounts import audit
from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from accounts.provinces import ZONES
from accounts.roles import ADMIN, ORGANISER, STAFF_ROLES
from attendance.models import AttendanceRecord, Excuse, LiveSession
from courses.models import Cohort, Enrolment
from extensions import db

MAX_SERIES = 60
MAX_SESSION_HOURS = 12

register_messages({
    "session_title_required": _l("Judul sesi wajib diisi."),
    "session_zone": _l("Pilih zona waktu WIB, WITA atau WIT."),
    "session_end": _l("Jam selesai harus sesudah jam mulai (sesi paling lama 12 jam)."),
    "session_url": _l("Tautan harus alamat web lengkap yang diawali https://"),
    "session_meeting_id": _l("ID meeting Zoom hanya berisi angka (9–11 digit)."),
    "session_repeat": _l("Jumlah pengulangan harus 1 sampai 60."),
    "session_has_records": _l("Sesi ini sudah memiliki catatan kehadiran sehingga tidak dapat dihapus."),
    "session_too_long_text": _l("Isian terlalu panjang."),
})


class SessionError(DomainError):
    """A live-session rule was broken."""


REPEAT_CHOICES = ("daily", "weekdays", "weekly")


@dataclass
class SessionFields:
    """What an organiser enters for a session; times are wall-clock times in `timezone`."""

    title: str
    day: date
    start: time
    end: time
    timezone: str
    speakers: str = ""
    meeting_url: str | None = None
    meeting_id: str | None = None
    materials: str = ""
    recording_url: str | None = None


def local_to_utc(day: date, clock: time, zone: str) -> datetime:
    """A wall-clock time in an IANA zone as an aware UTC datetime."""
    return datetime.combine(day, clock).replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def span_utc(day: date, start: time, end: time, zone: str) -> tuple[datetime, datetime]:
    """Start and end in UTC; an end clock at or before the start means the session runs past midnight."""
    starts = local_to_utc(day, start, zone)
    end_day = day + timedelta(days=1) if end <= start else day
    ends = local_to_utc(end_day, end, zone)
    if ends - starts > timedelta(hours=MAX_SESSION_HOURS):
        raise SessionError("session_end", "end")
    return starts, ends


def clean_url(value: str | None, field: str) -> str | None:
    """Only absolute http(s) links are stored, so a javascript: link can never reach a page."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in value):
        raise SessionError("session_url", field)
    if len(value) > 500:
        raise SessionError("session_too_long_text", field)
    return value


def _clean_meeting_id(value: str | None) -> str | None:
    digits = "".join((value or "").split()).replace("-", "")
    if not digits:
        return None
    if not digits.isdigit() or not 9 <= len(digits) <= 11:
        raise SessionError("session_meeting_id", "meeting_id")
    return digits


def _checked(fields: SessionFields) -> dict:
    """Validate the fields and return model attributes (except the times)."""
    title = " ".join((fields.title or "").split())
    if not title:
        raise SessionError("session_title_required", "title")
    if len(title) > 200 or len(fields.speakers or "") > 300 or len(fields.materials or "") > 10000:
        raise SessionError("session_too_long_text")
    if fields.timezone not in ZONES:
        raise SessionError("session_zone", "timezone")
    return {
        "title": title,
        "speakers": " ".join((fields.speakers or "").split()),
        "timezone": fields.timezone,
        "meeting_url": clean_url(fields.meeting_url, "meeting_url"),
        "meeting_id": _clean_meeting_id(fields.meeting_id),
        "materials": (fields.materials or "").strip(),
        "recording_url": clean_url(fields.recording_url, "recording_url"),
    }


def series_days(first: date, count: int, every: str) -> list[date]:
    """The dates of a repeating session: every day, every weekday (Mon–Fri) or every week."""
    if not 1 <= count <= MAX_SERIES or every not in REPEAT_CHOICES:
        raise SessionError("session_repeat", "repeat_count")
    days: list[date] = []
    day = first
    while len(days) < count:
        if every != "weekdays" or day.weekday() < 5:
            days.append(day)
        day += timedelta(days=7 if every == "weekly" else 1)
    return days


def create_sessions(cohort: Cohort, fields: SessionFields, actor: User | None, *, count: int = 1,
                    every: str = "daily") -> list[LiveSession]:
    """Schedule one session, or a series in one go ("(Sesi 2/7)" is added to the titles)."""
    attrs = _checked(fields)
    days = series_days(fields.day, count, every)
    series = secrets.token_hex(8) if count > 1 else None
    created = []
    for number, day in enumerate(days, start=1):
        starts, ends = span_utc(day, fields.start, fields.end, fields.timezone)
        title = attrs["title"] if count == 1 else f"{attrs['title']} (Sesi {number}/{count})"
        session = LiveSession(cohort=cohort, starts_at=starts, ends_at=ends, series_key=series,
                              created_by_id=actor.id if actor else None, **{**attrs, "title": title[:200]})
        db.session.add(session)
        created.append(session)
    db.session.flush()
    audit.record("session.created", "cohort", cohort.id, summary=attrs["title"],
                 data={"sessions": [s.id for s in created]}, actor_id=actor.id if actor else None)
    return created


def update_session(session: LiveSession, fields: SessionFields, actor: User | None) -> LiveSession:
    """Change a session; a new time raises the calendar SEQUENCE so calendars update the event."""
    attrs = _checked(fields)
    starts, ends = span_utc(fields.day, fields.start, fields.end, fields.timezone)
    if (starts, ends) != (session.starts_at, session.ends_at):
        session.sequence = (session.sequence or 0) + 1
    session.starts_at, session.ends_at = starts, ends
    for key, value in attrs.items():
        setattr(session, key, value)
    session.updated_at = utcnow()
    audit.record("session.updated", "live_session", session.id, summary=session.title,
                 actor_id=actor.id if actor else None)
    return session


def delete_session(session: LiveSession, actor: User | None) -> None:
    """Delete a session that has no attendance yet; recorded attendance is evidence and stays."""
    has_records = db.session.scalar(select(func.count()).select_from(AttendanceRecord)
                                    .where(AttendanceRecord.session_id == session.id))
    has_excuses = db.session.scalar(select(func.count()).select_from(Excuse).where(Excuse.session_id == session.id))
    if has_records or has_excuses:
        raise SessionError("session_has_records")
    audit.record("session.deleted", "live_session", session.id, summary=session.title,
                 actor_id=actor.id if actor else None)
    db.session.delete(session)


def fields_of(session: LiveSession) -> SessionFields:
    """The form values of an existing session, in its own zone."""
    zone = ZoneInfo(session.timezone)
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return SessionFields(title=session.title, day=start.date(), start=start.time().replace(second=0, microsecond=0),
                         end=end.time().replace(second=0, microsecond=0), timezone=session.timezone,
                         speakers=session.speakers, meeting_url=session.meeting_url, meeting_id=session.meeting_id,
                         materials=session.materials, recording_url=session.recording_url)


# --------------------------------------------------------------------------- who sees what


def is_manager(user: User) -> bool:
    """Organisers and admins run sessions and registers."""
    return user.is_authenticated and user.has_role(ORGANISER, ADMIN)


def is_enrolled(user: User, cohort_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.cohort_id == cohort_id, Enrolment.user_id == user.id, Enrolment.status == "active")) > 0


def can_view(user: User, session: LiveSession) -> bool:
    """Enrolled participants and staff see a session (and its meeting link); nobody else."""
    return user.has_role(*STAFF_ROLES) or is_enrolled(user, session.cohort_id)


def cohort_sessions(cohort_id: int) -> list[LiveSession]:
    return list(db.session.scalars(select(LiveSession).where(LiveSession.cohort_id == cohort_id)
                                   .order_by(LiveSession.starts_at, LiveSession.id)))


def user_sessions_stmt(user: User, *, upcoming_only: bool = False, now: datetime | None = None):
    """Sessions of the cohorts a user is actively enrolled in, earliest first."""
    stmt = (select(LiveSession).join(Enrolment, Enrolment.cohort_id == LiveSession.cohort_id)
            .where(Enrolment.user_id == user.id, Enrolment.status == "active")
            .order_by(LiveSession.starts_at, LiveSession.id))
    if upcoming_only:
        stmt = stmt.where(LiveSession.ends_at >= (now or utcnow()))
    return stmt


def records_for(user: User, session_ids: list[int]) -> dict[int, AttendanceRecord]:
    if not session_ids:
        return {}
    rows = db.session.scalars(select(AttendanceRecord).where(AttendanceRecord.user_id == user.id,
                                                             AttendanceRecord.session_id.in_(session_ids)))
    return {r.session_id: r for r in rows}


def open_sessions(now: datetime, margin_before_min: float, margin_after_min: float) -> list[LiveSession]:
    """Sessions whose check-in window contains `now`, for telling a consultant they are on the wrong page."""
    stmt = select(LiveSession).where(LiveSession.starts_at <= now + timedelta(minutes=margin_before_min),
                                     LiveSession.ends_at >= now - timedelta(minutes=margin_after_min))
    return list(db.session.scalars(stmt.limit(200)))


def notify_progress(cohort_id: int, user_ids: list[int]) -> None:
    """Let other capabilities react to new attendance (certificates may issue); call before the commit."""
    from flask import current_app

    hooks = current_app.extensions.get("progress_hooks", [])
    if not hooks or not user_ids:
        return
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort_id,
                                                            Enrolment.user_id.in_(user_ids),
                                                            Enrolment.status == "active"))
    for enrolment in enrolments:
        for hook in hooks:
            hook(enrolment)


def material_items(session: LiveSession) -> list[dict]:
    """Materials as lines; a web address at the end of a line becomes its link ("Slide sesi 1 https://...")."""
    items = []
    for line in (session.materials or "").splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        text, _, last = line.rpartition(" ")
        try:
            url = clean_url(last, "materials")
        except SessionError:
            url = None
        items.append({"text": (text or last) if url else line, "url": url})
    return items
