"""Register exports: CSV (streamed, one row per participant and session) and XLSX (summary + sessions)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from accounts.models import User
from attendance.display import day, span
from attendance.models import LiveSession
from attendance.registers import STATUS_LABELS, Filters, participants_stmt, summaries
from attendance.services import cohort_sessions
from courses.models import Cohort
from extensions import db

CHUNK = 500


def _cell(value) -> object:
    """Neutralise spreadsheet formulas in text typed by people (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def session_info(session: LiveSession) -> dict:
    return {"title": session.title, "date": day(session, language="id"), "time": span(session, language="id"),
            "zone": session.timezone, "speakers": session.speakers or "", "minutes": session.minutes}


def csv_header() -> list[str]:
    return [_("Nama"), _("Email"), _("Provinsi"), _("Unit PLUT"), _("Sesi"), _("Tanggal"), _("Waktu"),
            _("Zona waktu"), _("Pembicara"), _("Status"), _("Menit hadir"), _("Menit terjadwal"),
            _("Kehadiran (%)"), _("Memenuhi syarat")]


def _user_chunks(cohort: Cohort, filters: Filters) -> Iterator[list[User]]:
    ids = db.session.execute(participants_stmt(cohort.id, filters).with_only_columns(User.id)).scalars().all()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(chunk)))}
        yield [users[i] for i in chunk]


def _labels() -> tuple[dict[str, str], dict[bool | None, str]]:
    """Status and yes/no words translated once per export, not once per cell."""
    return {k: str(v) for k, v in STATUS_LABELS.items()}, {None: "", True: _("ya"), False: _("tidak")}


def csv_rows(cohort_id: int, filters: Filters) -> Iterator[str]:
    """The CSV text in pieces, a chunk of participants at a time, so 5,000 people never sit in memory."""
    cohort = db.session.get(Cohort, cohort_id)
    sessions = cohort_sessions(cohort_id)
    infos = [(s.id, session_info(s)) for s in sessions]
    plan = [(sid, [_cell(info[k]) for k in ("title", "date", "time", "zone", "speakers")], info["minutes"])
            for sid, info in infos]
    status_text, met_text = _labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer.writerow(csv_header())
    yield buffer.getvalue()
    for users in _user_chunks(cohort, filters):
        sums = summaries(cohort, [u.id for u in users], sessions)
        buffer.seek(0)
        buffer.truncate()
        for user in users:
            summary = sums[user.id]
            person = [_cell(user.full_name), user.email, _cell(user.province or ""), _cell(user.plut_unit or "")]
            tail = [f"{summary.percent:g}", met_text[summary.met]]
            for sid, info, scheduled in plan:
                status, minutes = summary.statuses.get(sid), summary.minutes.get(sid)
                writer.writerow([*person, *info, status_text[status] if status else "",
                                 "" if minutes is None else minutes, scheduled, *tail])
        yield buffer.getvalue()


def xlsx_bytes(cohort: Cohort, filters: Filters) -> bytes:
    """A workbook: "Rekap" (participant x session statuses and minutes) and "Sesi" (the schedule)."""
    from openpyxl import Workbook

    sessions = cohort_sessions(cohort.id)
    infos = [session_info(s) for s in sessions]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rekap"))
    header = [_("Nama"), _("Email"), _("Provinsi"), _("Unit PLUT")]
    for number, info in enumerate(infos, start=1):
        label = f"{number}. {info['title']} ({info['date']}, {info['time']})"
        header += [f"{label} — {_('status')}", f"{label} — {_('menit')}"]
    header += [_("Kehadiran (%)"), _("Memenuhi syarat")]
    sheet.append(header)
    status_text, met_text = _labels()
    for users in _user_chunks(cohort, filters):
        sums = summaries(cohort, [u.id for u in users], sessions)
        for user in users:
            summary = sums[user.id]
            row = [_cell(user.full_name), user.email, user.province or "", _cell(user.plut_unit or "")]
            for s in sessions:
                status = summary.statuses.get(s.id)
                row += [status_text[status] if status else "", summary.minutes.get(s.id)]
            row += [summary.percent, met_text[summary.met]]
            sheet.append(row)
    plan = workbook.create_sheet(_("Sesi"))
    plan.append([_("No"), _("Judul"), _("Tanggal"), _("Waktu"), _("Zona waktu"), _("Pembicara"),
                 _("Durasi (menit)")])
    for number, info in enumerate(infos, start=1):
        plan.append([number, _cell(info["title"]), info["date"], info["time"], info["zone"], _cell(info["speakers"]),
                     info["minutes"]])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
