"""Attendance records and registers: marking with a change log, summaries, evidence. Never commits."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from attendance.models import (
    DECIDED_SOURCES,
    STATUSES,
    AttendanceChange,
    AttendanceRecord,
    LiveSession,
)
from attendance.services import cohort_sessions
from attendance.summary import Summary, attendance_rule, summarise
from courses.models import Cohort, Enrolment
from extensions import db

STATUS_LABELS = {
    "present": _l("Hadir"),
    "late": _l("Terlambat"),
    "excused": _l("Izin"),
    "absent": _l("Tidak hadir"),
}
SOURCE_LABELS = {
    "checkin": _l("check-in"),
    "zoom": _l("laporan Zoom"),
    "manual": _l("penyelenggara"),
    "excuse": _l("surat izin"),
}

register_messages({
    "status_unknown": _l("Pilih status kehadiran dari daftar."),
    "reason_required": _l("Tuliskan alasan perubahan; alasan disimpan di riwayat."),
    "no_people_selected": _l("Pilih setidaknya satu peserta."),
    "not_enrolled_user": _l("Orang ini bukan peserta aktif angkatan sesi ini."),
    "minutes_invalid": _l("Menit hadir harus antara 0 dan panjang sesi."),
})

_KEEP = object()


class RegisterError(DomainError):
    """A register rule was broken."""


# --------------------------------------------------------------------------- marking


def get_record(session_id: int, user_id: int) -> AttendanceRecord | None:
    return db.session.scalar(select(AttendanceRecord).where(AttendanceRecord.session_id == session_id,
                                                            AttendanceRecord.user_id == user_id))


def set_status(session: LiveSession, user_id: int, status: str, *, source: str, actor_id: int | None,
               reason: str = "", minutes=_KEEP, first_join=_KEEP, checked_in_at: datetime | None = None,
               record: AttendanceRecord | None = None, lookup: bool = True,
               log_source: str | None = None) -> tuple[AttendanceRecord, bool]:
    """Create or change one record; a real change is logged with who, when, old, new and why.

    `record` saves the lookup when the caller has it; lookup=False says the caller knows there is none.
    `log_source` names what made the change when it differs from the record's source (a Zoom report
    filling in the minutes of an organiser's decision).
    """
    if status not in STATUSES:
        raise RegisterError("status_unknown", "status")
    reason = (reason or "").strip()
    if source == "manual" and not reason:
        raise RegisterError("reason_required", "reason")
    if minutes is not _KEEP and minutes is not None and not 0 <= minutes <= max(session.minutes, 0):
        raise RegisterError("minutes_invalid", "minutes")
    if record is None and lookup:
        record = get_record(session.id, user_id)
    old_status = record.status if record else None
    old_minutes = record.minutes_present if record else None
    new_minutes = old_minutes if minutes is _KEEP else minutes
    takes_over = source in DECIDED_SOURCES and (record is None or record.source not in DECIDED_SOURCES)
    if record is not None and old_status == status and old_minutes == new_minutes and not takes_over:
        return record, False
    now = utcnow()
    if record is None:
        record = AttendanceRecord(session_id=session.id, user_id=user_id, status=status, source=source)
        db.session.add(record)
    record.status, record.source, record.minutes_present = status, source, new_minutes
    if first_join is not _KEEP:
        record.first_join_at = first_join
    if checked_in_at is not None:
        record.checked_in_at = checked_in_at
    record.updated_at, record.updated_by_id = now, actor_id
    db.session.add(AttendanceChange(record=record, changed_at=now, changed_by_id=actor_id,
                                    source=log_source or source,
                                    old_status=old_status, new_status=status, old_minutes=old_minutes,
                                    new_minutes=new_minutes, reason=reason[:2000]))
    return record, True


def enrolled_user_ids(cohort_id: int, user_ids: Iterable[int]) -> set[int]:
    ids = {int(u) for u in user_ids}
    if not ids:
        return set()
    return set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.cohort_id == cohort_id, Enrolment.status == "active", Enrolment.user_id.in_(ids))))


def mark(session: LiveSession, user_id: int, status: str, actor: User, reason: str,
         minutes: int | None = None) -> tuple[AttendanceRecord, bool]:
    """An organiser marks or corrects one person."""
    if not enrolled_user_ids(session.cohort_id, [user_id]):
        raise RegisterError("not_enrolled_user")
    kwargs = {} if minutes is None else {"minutes": minutes}
    return set_status(session, user_id, status, source="manual", actor_id=actor.id, reason=reason, **kwargs)


def bulk_mark(session: LiveSession, user_ids: Iterable[int], status: str, actor: User, reason: str) -> int:
    """An organiser marks many people at once; returns how many records changed."""
    if status not in STATUSES:
        raise RegisterError("status_unknown", "status")
    if not (reason or "").strip():
        raise RegisterError("reason_required", "reason")
    ids = enrolled_user_ids(session.cohort_id, user_ids)
    if not ids:
        raise RegisterError("no_people_selected")
    existing = {r.user_id: r for r in db.session.scalars(select(AttendanceRecord).where(
        AttendanceRecord.session_id == session.id, AttendanceRecord.user_id.in_(ids)))}
    changed = 0
    for uid in sorted(ids):
        _, did = set_status(session, uid, status, source="manual", actor_id=actor.id, reason=reason,
                            record=existing.get(uid), lookup=False)
        changed += did
    return changed


def history(record: AttendanceRecord | None) -> list[AttendanceChange]:
    if record is None:
        return []
    return list(db.session.scalars(select(AttendanceChange).where(AttendanceChange.record_id == record.id)
                                   .order_by(AttendanceChange.changed_at.desc(), AttendanceChange.id.desc())))


def _record_map(cohort_id: int, user_ids: Iterable[int] | None) -> dict[int, dict[int, tuple[str, int | None]]]:
    stmt = (select(AttendanceRecord.user_id, AttendanceRecord.session_id, AttendanceRecord.status,
                   AttendanceRecord.minutes_present)
            .join(LiveSession, LiveSession.id == AttendanceRecord.session_id)
            .where(LiveSession.cohort_id == cohort_id))
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return {}
        stmt = stmt.where(AttendanceRecord.user_id.in_(ids))
    out: dict[int, dict[int, tuple[str, int | None]]] = {}
    for uid, sid, status, minutes in db.session.execute(stmt):
        out.setdefault(uid, {})[sid] = (status, minutes)
    return out


def summaries(cohort: Cohort, user_ids: Iterable[int] | None = None,
              sessions: list[LiveSession] | None = None) -> dict[int, Summary]:
    """Summaries for the given users (or every active participant) of a cohort, in two queries."""
    sessions = sessions if sessions is not None else cohort_sessions(cohort.id)
    target, basis = attendance_rule(cohort)
    plan = [(s.id, s.minutes) for s in sessions]
    if user_ids is None:
        user_ids = list(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id,
                                                                            Enrolment.status == "active")))
    ids = list(user_ids)
    records = _record_map(cohort.id, ids if len(ids) <= 500 else None)
    return {uid: summarise(plan, records.get(uid, {}), target, basis) for uid in ids}


# --------------------------------------------------------------------------- register queries


@dataclass
class Filters:
    province: str = ""
    plut: str = ""
    q: str = ""
    status: str = ""  # a status, "none" (not recorded) or ""


def participants_stmt(cohort_id: int, filters: Filters):
    """Active participants of a cohort, filtered, in name order."""
    stmt = (select(User).join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.cohort_id == cohort_id, Enrolment.status == "active"))
    if filters.province:
        stmt = stmt.where(User.province == filters.province)
    if filters.plut:
        stmt = stmt.where(User.plut_unit.ilike(f"%{_like(filters.plut)}%", escape="\\"))
    if filters.q:
        pattern = f"%{_like(filters.q)}%"
        stmt = stmt.where(or_(User.full_name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))
    return stmt.order_by(User.full_name, User.id)


def session_participants_stmt(session: LiveSession, filters: Filters):
    """Participants of the session's cohort, optionally only those with one status (or none yet)."""
    stmt = participants_stmt(session.cohort_id, filters)
    if filters.status:
        stmt = stmt.outerjoin(AttendanceRecord, and_(AttendanceRecord.user_id == User.id,
                                                     AttendanceRecord.session_id == session.id))
        if filters.status == "none":
            stmt = stmt.where(AttendanceRecord.id.is_(None))
        else:
            stmt = stmt.where(AttendanceRecord.status == filters.status)
    return stmt


def _like(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")[:100]


def session_records(session_id: int, user_ids: list[int]) -> dict[int, AttendanceRecord]:
    if not user_ids:
        return {}
    rows = db.session.scalars(select(AttendanceRecord).where(AttendanceRecord.session_id == session_id,
                                                             AttendanceRecord.user_id.in_(user_ids)))
    return {r.user_id: r for r in rows}


def status_counts(session: LiveSession) -> dict[str, int]:
    """How many participants have each status; "none" counts those not recorded yet."""
    rows = db.session.execute(select(AttendanceRecord.status, func.count())
                              .join(Enrolment, and_(Enrolment.user_id == AttendanceRecord.user_id,
                                                    Enrolment.cohort_id == session.cohort_id,
                                                    Enrolment.status == "active"))
                              .where(AttendanceRecord.session_id == session.id)
                              .group_by(AttendanceRecord.status)).all()
    counts = {status: 0 for status in STATUSES}
    counts.update({status: n for status, n in rows})
    total = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.cohort_id == session.cohort_id, Enrolment.status == "active")) or 0
    counts["none"] = max(0, total - sum(counts[s] for s in STATUSES))
    return counts


class ListPage:
    """A page over an in-memory list, with the attributes the pager macro reads."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(1, page), self.pages)
        start = (self.page - 1) * per_page
        self.items = items[start:start + per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


def below_threshold(cohort: Cohort, filters: Filters) -> list[tuple[User, Summary]]:
    """Participants (filtered) whose attendance share is under the certificate minimum, in name order."""
    target, _ = attendance_rule(cohort)
    if target is None:
        return []
    rows = db.session.execute(participants_stmt(cohort.id, filters).with_only_columns(User.id)).scalars().all()
    sums = summaries(cohort, rows)
    low = [uid for uid in rows if sums[uid].met is False]
    users = {}
    for chunk in range(0, len(low), 500):
        ids = low[chunk:chunk + 500]
        users.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))})
    return [(users[uid], sums[uid]) for uid in low]


# --------------------------------------------------------------------------- evidence for certificates


def participant_facts(cohort: Cohort, enrolment_ids: list[int]) -> dict[int, dict]:
    """The "attendance" fact per enrolment for the API and reports (app.extensions["participant_facts"])."""
    if not enrolment_ids:
        return {}
    rows = db.session.execute(select(Enrolment.id, Enrolment.user_id).where(Enrolment.id.in_(enrolment_ids))).all()
    sessions = cohort_sessions(cohort.id)
    target, basis = attendance_rule(cohort)
    sums = summaries(cohort, [uid for _, uid in rows], sessions)
    return {eid: {"attendance": {
        "scheduled": len(sessions), "attended": sums[uid].attended, "excused": sums[uid].excused,
        "absent": sums[uid].absent, "not_recorded": sums[uid].unrecorded, "percent": sums[uid].percent,
        "required_percent": target, "basis": basis, "met": sums[uid].met,
    }} for eid, uid in rows}



def _evidence(sessions: list[LiveSession], records: dict[int, tuple[str, int | None]]) -> list[dict]:
    out = []
    for s in sessions:
        status, minutes = records.get(s.id, (None, None))
        out.append({"session_id": s.id, "title": s.title, "minutes_scheduled": s.minutes,
                    "status": status, "minutes_present": minutes})
    return out


def attendance_evidence(enrolment: Enrolment) -> list[dict]:
    """One dict per session of the enrolment's cohort: session_id, title, minutes_scheduled, status, minutes_present.

    status is present | late | excused | absent, or None when nothing is recorded (yet).
    """
    sessions = cohort_sessions(enrolment.cohort_id)
    records = _record_map(enrolment.cohort_id, [enrolment.user_id]).get(enrolment.user_id, {})
    return _evidence(sessions, records)


def cohort_attendance_evidence(cohort: Cohort, user_ids: Iterable[int] | None = None) -> dict[int, list[dict]]:
    """attendance_evidence for every active participant of a cohort (or the given users), keyed by user id."""
    sessions = cohort_sessions(cohort.id)
    if user_ids is None:
        user_ids = db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id,
                                                                       Enrolment.status == "active")).all()
    ids = list(user_ids)
    records = _record_map(cohort.id, ids if len(ids) <= 500 else None)
    return {uid: _evidence(sessions, records.get(uid, {})) for uid in ids}
