"""Excuses: a consultant explains an absence (with an optional letter); an organiser approves or declines.

Letters are checked by content, size-limited and stored under a generated name in instance/uploads/
(courses.uploads), never under static/. Never commits.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts import audit
from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from attendance.models import ATTENDED, EXCUSED, Excuse, LiveSession
from attendance.registers import get_record, set_status
from attendance.services import is_enrolled, is_manager
from courses.uploads import UploadError, store
from extensions import db

register_messages({
    "excuse_reason_required": _l("Tuliskan alasan Anda tidak dapat hadir."),
    "excuse_pending": _l("Permohonan izin Anda untuk sesi ini masih menunggu keputusan."),
    "excuse_approved": _l("Izin Anda untuk sesi ini sudah disetujui."),
    "excuse_attended": _l("Anda sudah tercatat hadir di sesi ini."),
    "excuse_decided": _l("Permohonan ini sudah diputuskan."),
    "excuse_reply_required": _l("Tuliskan balasan untuk peserta bila izin ditolak."),
    "excuse_letter_size": _l("Surat terlalu besar (maksimal %(mb)s MB)."),
})


class ExcuseError(DomainError):
    """An excuse rule was broken."""


def latest_excuse(session: LiveSession, user: User) -> Excuse | None:
    return db.session.scalar(select(Excuse).where(Excuse.session_id == session.id, Excuse.user_id == user.id)
                             .order_by(Excuse.submitted_at.desc(), Excuse.id.desc()).limit(1))


def submit(session: LiveSession, user: User, reason: str, letter: bytes | None = None,
           letter_filename: str = "") -> Excuse:
    """File an excuse; a declined one may be followed by a new one, a pending or approved one may not."""
    if not is_enrolled(user, session.cohort_id):
        raise ExcuseError("checkin_not_enrolled")
    reason = (reason or "").strip()
    if not reason:
        raise ExcuseError("excuse_reason_required", "reason")
    if len(reason) > 2000:
        raise ExcuseError("too_long", "reason")
    previous = latest_excuse(session, user)
    if previous is not None and previous.status == "pending":
        raise ExcuseError("excuse_pending")
    if previous is not None and previous.status == "approved":
        raise ExcuseError("excuse_approved")
    record = get_record(session.id, user.id)
    if record is not None and record.status in ATTENDED:
        raise ExcuseError("excuse_attended")
    excuse = Excuse(session_id=session.id, user_id=user.id, reason=reason)
    if letter:
        limit_mb = int(current_app.config.get("EXCUSE_MAX_MB", 5))
        if len(letter) > limit_mb * 1024 * 1024:
            raise ExcuseError("excuse_letter_size", "letter", mb=limit_mb)
        try:
            stored, name, content_type, size = store(letter, letter_filename)
        except UploadError as exc:
            exc.field = "letter"
            raise
        excuse.letter_stored, excuse.letter_name, excuse.letter_type, excuse.letter_size = (
            stored, name, content_type, size)
    db.session.add(excuse)
    db.session.flush()
    audit.record("attendance.excuse_submitted", "live_session", session.id, actor_id=user.id,
                 data={"excuse_id": excuse.id})
    return excuse


def decide(excuse: Excuse, actor: User, approve: bool, reply: str = "") -> Excuse:
    """Approve (the register says Izin) or decline with a reply the consultant reads."""
    if excuse.status != "pending":
        raise ExcuseError("excuse_decided")
    reply = (reply or "").strip()
    if not approve and not reply:
        raise ExcuseError("excuse_reply_required", "reply")
    excuse.status = "approved" if approve else "declined"
    excuse.reply, excuse.decided_at, excuse.decided_by_id = reply[:2000], utcnow(), actor.id
    if approve:
        set_status(excuse.session, excuse.user_id, EXCUSED, source="excuse", actor_id=actor.id,
                   reason=f"Izin disetujui: {excuse.reason}"[:2000])
    audit.record("attendance.excuse_decided", "live_session", excuse.session_id, actor_id=actor.id,
                 data={"excuse_id": excuse.id, "status": excuse.status})
    return excuse


def can_read_letter(user: User, excuse: Excuse) -> bool:
    """Only the consultant who sent it and organisers may open a letter."""
    return excuse.user_id == user.id or is_manager(user)


def pending_stmt(cohort_id: int | None = None, status: str = "pending"):
    stmt = select(Excuse).join(LiveSession, LiveSession.id == Excuse.session_id)
    if cohort_id:
        stmt = stmt.where(LiveSession.cohort_id == cohort_id)
    if status:
        stmt = stmt.where(Excuse.status == status)
    return stmt.order_by(Excuse.submitted_at, Excuse.id)
