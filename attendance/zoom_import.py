"""Zoom participant reports into registers: store, match, apply the status rule, resolve by hand.

Every report of a session is kept, and the session is always recomputed from all of them, so a
re-import of the same file changes nothing and a hand match applies at once. Precedence: an
organiser's decision (manual mark, approved excuse) is never overwritten by a report, only its
minutes are filled in; a check-in is never lowered by a report (Zoom may not list someone who
watched on a colleague's screen). Never commits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts import audit
from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from attendance import zoom
from attendance.models import (
    ABSENT,
    DECIDED_SOURCES,
    LATE,
    PRESENT,
    AttendanceRecord,
    LiveSession,
    ZoomAlias,
    ZoomImport,
)
from attendance.registers import set_status
from courses.models import Enrolment
from extensions import db

register_messages({
    "zoom_malformed": _l("Berkas ditolak — baris %(line)s: %(reason)s."),
    "zoom_empty": _l("Berkas kosong."),
    "zoom_too_large": _l("Berkas terlalu besar (maksimal %(mb)s MB)."),
    "zoom_other_meeting": _l("Laporan ini milik meeting Zoom %(found)s, sedangkan sesi ini memakai meeting "
                             "%(expected)s."),
    "zoom_no_overlap": _l("Tidak ada peserta di laporan yang tersambung selama jadwal sesi. Periksa tanggal "
                          "sesi dan zona waktu laporan."),
    "zoom_unknown_participant": _l("Baris laporan itu tidak ada lagi di daftar. Muat ulang halaman."),
    "zoom_pick_user": _l("Pilih peserta atau isi email peserta."),
    "zoom_user_not_found": _l("Tidak ada peserta aktif dengan email itu di angkatan ini."),
})

_RANK = {ABSENT: 0, LATE: 1, PRESENT: 2}
_WHAT = {"join time": _l("waktu bergabung"), "leave time": _l("waktu keluar"),
         "start time": _l("waktu mulai"), "end time": _l("waktu selesai")}


class ZoomImportError(DomainError):
    """A report was refused or a hand match could not be made."""


def reason_text(message: str) -> object:
    """The parser's English reason, translated lazily (shown in the page language, also from the CLI)."""
    if message.startswith("not a readable CSV file"):
        return _l("bukan berkas CSV yang dapat dibaca")
    if message == "dates mix day/month and month/day order":
        return _l("tanggal bercampur antara urutan hari/bulan dan bulan/hari")
    if message == "meeting summary has no data row":
        return _l("ringkasan meeting tidak memiliki baris data")
    if m := re.fullmatch(r"participant header is missing required columns: (.*)", message):
        return _l("judul kolom peserta tidak memuat kolom wajib: %(cols)s", cols=m.group(1))
    if message.startswith("no participant header found"):
        return _l("judul kolom peserta tidak ditemukan (contoh: Name (Original Name), User Email, Join Time, "
                 "Leave Time)")
    if m := re.fullmatch(r"(join time|leave time|start time|end time) is empty", message):
        return _l("%(what)s kosong", what=_WHAT[m.group(1)])
    if m := re.fullmatch(r"cannot read (join time|leave time|start time|end time) (.*) \(.*\)", message):
        return _l("%(what)s %(value)s tidak dapat dibaca sebagai tanggal dan jam", what=_WHAT[m.group(1)],
                 value=m.group(2))
    if message == "participant name is empty":
        return _l("nama peserta kosong")
    if message == "leave time is before join time":
        return _l("waktu keluar lebih awal dari waktu bergabung")
    return message


@dataclass
class ImportOutcome:
    report: ZoomImport
    duplicate: bool
    matched: int
    unmatched: int
    ignored: int
    changed: int


def _parse(text: str, zone: str, dayfirst: bool | None) -> zoom.ZoomReport:
    try:
        return zoom.parse_zoom_report(text, zone, dayfirst)
    except zoom.ZoomReportError as exc:
        raise ZoomImportError("zoom_malformed", "file", line=exc.line, reason=reason_text(exc.message)) from exc


def import_report(session: LiveSession, data: bytes, filename: str, actor: User | None, *,
                  report_zone: str | None = None, dayfirst: bool | None = None) -> ImportOutcome:
    """Check and keep one report, then recompute the session from all its reports."""
    if not data:
        raise ZoomImportError("zoom_empty", "file")
    limit_mb = current_app.config.get("UPLOAD_MAX_MB", 10)
    if len(data) > limit_mb * 1024 * 1024:
        raise ZoomImportError("zoom_too_large", "file", mb=limit_mb)
    zone = report_zone or session.timezone
    text = zoom.decode_report(data)
    if "\x00" in text:  # not a Zoom export (and PostgreSQL cannot store NUL in text)
        raise ZoomImportError("zoom_malformed", "file", line=text.count("\n", 0, text.index("\x00")) + 1,
                              reason=reason_text("not a readable CSV file"))
    filename = "".join(c for c in (filename or "") if c.isprintable()) or "zoom.csv"
    report = _parse(text, zone, dayfirst)
    found = (report.meeting or {}).get("meeting_id")
    if session.meeting_id and found and found != session.meeting_id:
        raise ZoomImportError("zoom_other_meeting", "file", found=found, expected=session.meeting_id)
    if not any(r.leave_utc > session.starts_at and r.join_utc < session.ends_at for r in report.rows):
        raise ZoomImportError("zoom_no_overlap", "file")
    sha = hashlib.sha256(text.encode()).hexdigest()
    existing = db.session.scalar(select(ZoomImport).where(ZoomImport.session_id == session.id,
                                                          ZoomImport.sha256 == sha))
    row = existing or ZoomImport(session_id=session.id, filename=filename[-200:], sha256=sha,
                                 content=text, report_zone=zone, dayfirst=dayfirst, rows=len(report.rows),
                                 uploaded_by_id=actor.id if actor else None)
    if existing is None:
        db.session.add(row)
        db.session.flush()
    else:  # the same file again: the organiser's latest zone and date order win
        existing.report_zone, existing.dayfirst = zone, dayfirst
    result = recompute(session, actor, reason=f"Impor laporan Zoom {row.filename}", parsed={row.sha256: report})
    audit.record("attendance.zoom_import", "live_session", session.id, summary=row.filename,
                 data={k: v for k, v in result.items() if k != "unmatched_people"},
                 actor_id=actor.id if actor else None)
    return ImportOutcome(report=row, duplicate=existing is not None, matched=result["matched"],
                         unmatched=result["unmatched"], ignored=result["ignored"], changed=result["changed"])


def _roster(cohort_id: int) -> list[dict]:
    rows = db.session.execute(select(User.id, User.email, User.full_name).join(Enrolment, Enrolment.user_id == User.id)
                              .where(Enrolment.cohort_id == cohort_id, Enrolment.status == "active"))
    return [{"user_id": uid, "email": email, "name": name} for uid, email, name in rows]


def _aliases(cohort_id: int) -> tuple[dict[str, int], set[str]]:
    remembered: dict[str, int] = {}
    ignored: set[str] = set()
    for alias in db.session.scalars(select(ZoomAlias).where(ZoomAlias.cohort_id == cohort_id)):
        if alias.user_id is None:
            ignored.add(alias.name_key)
        else:
            remembered[alias.name_key] = alias.user_id
    return remembered, ignored


def recompute(session: LiveSession, actor: User | None, reason: str = "",
              parsed: dict[str, zoom.ZoomReport] | None = None) -> dict:
    """Apply every report of the session to its register; returns counts and the unmatched people."""
    imports = list(db.session.scalars(select(ZoomImport).where(ZoomImport.session_id == session.id)
                                      .order_by(ZoomImport.id)))
    parsed = parsed or {}
    rows: list[zoom.Row] = []
    for imp in imports:
        report = parsed.get(imp.sha256) or _parse(imp.content, imp.report_zone, imp.dayfirst)
        rows.extend(report.rows)
    people = zoom.merge_participants(rows)
    roster = _roster(session.cohort_id)
    remembered, ignored_keys = _aliases(session.cohort_id)
    matched, unmatched = zoom.match_participants(people, roster, remembered)
    ignored = [p for p in unmatched if any(zoom.normalise_name(n) in ignored_keys for n in p.names)]
    unmatched = [p for p in unmatched if p not in ignored]
    by_user = zoom.combine_matched(matched)

    config = current_app.config
    share = float(config.get("ATTENDANCE_PRESENT_SHARE", 0.75))
    late_after = float(config.get("LATE_AFTER_MIN", 15))
    scheduled = max(1, session.minutes)
    records = {r.user_id: r for r in db.session.scalars(select(AttendanceRecord)
                                                         .where(AttendanceRecord.session_id == session.id))}
    actor_id = actor.id if actor else None
    changed = 0
    for entry in roster:
        uid = entry["user_id"]
        record = records.get(uid)
        person = by_user.get(uid)
        if person is None:
            minutes, first_join, status = 0, None, ABSENT
        else:
            minutes = min(zoom.minutes_within(person, session.starts_at, session.ends_at), scheduled)
            first_join = person.first_join
            status = zoom.attendance_status(minutes, scheduled, first_join, session.starts_at, share, late_after)
        if record is not None and (record.source in DECIDED_SOURCES
                                   or (record.source == "checkin" and _RANK[status] < _RANK.get(record.status, 0))):
            if person is None and record.source == "checkin":
                continue  # a check-in without a Zoom row stays as it is
            _, did = set_status(session, uid, record.status, source=record.source, actor_id=actor_id,
                                reason=reason, minutes=minutes, first_join=first_join, record=record,
                                log_source="zoom")
        else:
            _, did = set_status(session, uid, status, source="zoom", actor_id=actor_id, reason=reason,
                                minutes=minutes, first_join=first_join, record=record, lookup=False)
        changed += did
    result = {
        "computed_at": utcnow().isoformat(),
        "reports": len(imports),
        "matched": len(by_user),
        "matched_how": {how: sum(1 for _, _, h in matched if h == how) for how in ("email", "remembered", "name")},
        "unmatched": len(unmatched),
        "ignored": len(ignored),
        "changed": changed,
        "unmatched_people": [_describe(p, session) for p in unmatched],
        "ignored_names": [p.names[0] if p.names else p.key for p in ignored],
    }
    if imports:
        imports[-1].result = result
    return result


def _describe(p: zoom.Participant, session: LiveSession) -> dict:
    return {"key": p.key, "names": list(p.names), "email": p.email, "minutes": zoom.minutes_within(
        p, session.starts_at, session.ends_at), "first_join": p.first_join.isoformat(), "lines": list(p.lines)}


def latest_result(session: LiveSession) -> dict | None:
    last = db.session.scalar(select(ZoomImport).where(ZoomImport.session_id == session.id)
                             .order_by(ZoomImport.id.desc()).limit(1))
    return last.result if last else None


def imports_of(session: LiveSession) -> list[ZoomImport]:
    return list(db.session.scalars(select(ZoomImport).where(ZoomImport.session_id == session.id)
                                   .order_by(ZoomImport.id.desc())))


def resolve(session: LiveSession, key: str, actor: User, *, user_id: int | None = None, email: str | None = None,
            ignore: bool = False) -> dict:
    """Match an unmatched Zoom participant to a participant by hand, or ignore it; remembered for the cohort."""
    result = latest_result(session) or {}
    person = next((p for p in result.get("unmatched_people", []) if p["key"] == key), None)
    if person is None:
        raise ZoomImportError("zoom_unknown_participant")
    target: int | None = None
    if not ignore:
        roster = {r["user_id"]: r for r in _roster(session.cohort_id)}
        if user_id is not None and int(user_id) in roster:
            target = int(user_id)
        elif email:
            wanted = email.strip().casefold()
            target = next((uid for uid, r in roster.items() if r["email"].casefold() == wanted), None)
            if target is None:
                raise ZoomImportError("zoom_user_not_found", "email")
        else:
            raise ZoomImportError("zoom_pick_user")
    keys = {zoom.normalise_name(n) for n in person["names"]} - {""}
    for name_key in keys:
        alias = db.session.scalar(select(ZoomAlias).where(ZoomAlias.cohort_id == session.cohort_id,
                                                          ZoomAlias.name_key == name_key[:200]))
        if alias is None:
            alias = ZoomAlias(cohort_id=session.cohort_id, name_key=name_key[:200])
            db.session.add(alias)
        alias.user_id, alias.created_by_id, alias.created_at = target, actor.id, utcnow()
    db.session.flush()
    audit.record("attendance.zoom_match", "live_session", session.id,
                 summary=", ".join(person["names"])[:200], data={"user_id": target, "ignored": ignore})
    return recompute(session, actor, reason=f"Pencocokan manual laporan Zoom: {', '.join(person['names'])[:200]}")


def candidates(session: LiveSession, people: list[dict], limit: int = 3) -> dict[str, list[dict]]:
    """Up to `limit` likely participants for each unmatched Zoom name, by shared name words."""
    from difflib import SequenceMatcher

    roster = _roster(session.cohort_id)
    index: dict[str, list[dict]] = {}
    keyed = []
    for r in roster:
        key = zoom.normalise_name(r["name"])
        keyed.append((key, r))
        for word in set(key.split()):
            if len(word) >= 3:
                index.setdefault(word, []).append({"key": key, **r})
    out: dict[str, list[dict]] = {}
    for p in people:
        names = [zoom.normalise_name(n) for n in p["names"]]
        pool: dict[int, dict] = {}
        for name in names:
            for word in set(name.split()):
                for r in index.get(word, [])[:200]:
                    pool[r["user_id"]] = r
        scored = sorted(pool.values(), key=lambda r: -max(SequenceMatcher(None, n, r["key"]).ratio() for n in names))
        out[p["key"]] = scored[:limit]
    return out
