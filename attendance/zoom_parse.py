"""Parse Zoom participant reports: decoding, CSV dialects, both layouts and their headers.

Organisers export the "Participants" report of a meeting from Zoom (Reports > Usage) and
upload it.  Zoom writes it in two layouts -- with and without a meeting-summary block -- in
English or, with the Indonesian web portal, Indonesian headers; Excel re-saves it with
semicolons.  Everything here works on plain values: text in, dataclasses out.  How the
date order of a file is decided is described in ``attendance.zoom_dates``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from attendance.zoom_dates import _decide_dayfirst, _numeric_parts, _to_utc
from attendance.zoom_types import Row, ZoomReport, ZoomReportError

# --------------------------------------------------------------------------- input


def decode_report(data: bytes) -> str:
    """Decode an uploaded file, since Excel may save UTF-16 or Windows-1252 instead of UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _hkey(cell: str) -> str:
    """Fold a header cell so case, BOMs, quotes and spacing don't matter."""
    text = cell.replace("\ufeff", "").strip().strip('"').strip().casefold()
    text = re.sub(r"\s+", " ", text).rstrip(":")
    return re.sub(r"\s*\(\s*", " (", text).replace(" )", ")")


_PARTICIPANT_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name (original name)", "name", "participant name", "display name", "user name",
        "nama (nama asli)", "nama", "nama peserta", "nama tampilan", "nama pengguna", "nama partisipan",
    ),
    "email": (
        "user email", "email", "e-mail", "email address", "participant email",
        "email pengguna", "email peserta", "alamat email", "surel", "surel pengguna",
    ),
    "join": (
        "join time", "joined", "join", "time joined",
        "waktu bergabung", "waktu gabung", "waktu masuk", "jam masuk", "bergabung", "masuk",
    ),
    "leave": (
        "leave time", "left", "leave", "time left",
        "waktu keluar", "waktu meninggalkan", "waktu pergi", "jam keluar", "keluar",
    ),
    "duration": ("duration (minutes)", "duration (mins)", "duration", "durasi (menit)", "durasi"),
    "guest": ("guest", "tamu"),
    "waiting": ("in waiting room", "waiting room", "di ruang tunggu", "dalam ruang tunggu", "ruang tunggu"),
}
_MEETING_ALIASES: dict[str, tuple[str, ...]] = {
    "meeting_id": ("meeting id", "id meeting", "id rapat", "id pertemuan", "meeting id/webinar id"),
    "topic": ("topic", "meeting topic", "topik", "judul"),
    "start": ("start time", "waktu mulai", "jam mulai"),
    "end": ("end time", "waktu selesai", "waktu berakhir", "jam selesai"),
    "host_email": ("user email", "host email", "email pengguna", "email host", "email penyelenggara"),
    "duration": ("duration (minutes)", "duration (mins)", "durasi (menit)", "duration", "durasi"),
    "participants": ("participants", "peserta", "jumlah peserta", "partisipan"),
}


def _invert(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Build a lookup from folded header text to field name."""
    return {_hkey(alias): name for name, group in aliases.items() for alias in group}


_P_LOOKUP = _invert(_PARTICIPANT_ALIASES)
_M_LOOKUP = _invert(_MEETING_ALIASES)
_P_REQUIRED = ("name", "join", "leave")
_FIELD_LABELS = {"name": "Name (Original Name)", "join": "Join Time", "leave": "Leave Time"}


def _columns(cells: Sequence[str], lookup: Mapping[str, str]) -> dict[str, int]:
    """Map field name -> column index, first occurrence wins."""
    out: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = lookup.get(_hkey(cell))
        if name is not None and name not in out:
            out[name] = i
    return out


def _sniff_delimiter(text: str) -> str:
    """Pick comma, semicolon or tab from the first non-blank line, as Excel's locale decides it."""
    for line in text.splitlines():
        if line.strip():
            unquoted = re.sub(r'"[^"]*"', "", line)
            counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Split the text into (first physical line, cells), keeping blank records as []."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    out: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for cells in reader:
            start = last + 1
            last = reader.line_num
            cleaned = [c.replace("\ufeff", "").strip() for c in cells]
            out.append((start, cleaned if any(cleaned) else []))
    except csv.Error as exc:
        raise ZoomReportError(reader.line_num or 1, f"not a readable CSV file ({exc})") from exc
    return out


# --------------------------------------------------------------------------- parsing


def _cell(cells: Sequence[str], cols: Mapping[str, int], name: str) -> str:
    """Return a cell by field name, or "" when the column or the cell is missing."""
    i = cols.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def _yes_no(value: str) -> bool | None:
    """Read Zoom's Yes/No (and Ya/Tidak) flags; None when blank or unknown."""
    v = value.strip().casefold()
    if v in {"yes", "ya", "y", "true", "1"}:
        return True
    if v in {"no", "tidak", "n", "false", "0", "tdk"}:
        return False
    return None


def _int_or_none(value: str) -> int | None:
    """Read an integer cell such as a duration, tolerating blanks."""
    v = value.strip().replace(" ", "")
    return int(v) if v.isdigit() else None


def _split_original(value: str) -> tuple[str, str | None]:
    """Split Zoom's "Display (Original)" into both names; the last bracket group is the original."""
    text = value.strip()
    m = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", text)
    if m and m.group(2).strip():
        return m.group(1).strip(), m.group(2).strip()
    return text, None


def _find_meeting(records: Sequence[tuple[int, list[str]]]) -> tuple[int, int] | None:
    """Return indexes of the meeting-summary header and data record, if the file has them."""
    for i, (_, cells) in enumerate(records):
        if not cells:
            continue
        cols = _columns(cells, _M_LOOKUP)
        if "meeting_id" in cols and "start" in cols:
            for j in range(i + 1, len(records)):
                if records[j][1]:
                    if set(_P_REQUIRED) <= set(_columns(records[j][1], _P_LOOKUP)):
                        raise ZoomReportError(records[j][0], "meeting summary has no data row")
                    return i, j
            raise ZoomReportError(records[i][0], "meeting summary has no data row")
        return None  # only the first non-blank record can start a summary block
    return None


def _find_header(records: Sequence[tuple[int, list[str]]], skip: set[int]) -> tuple[int, dict[str, int]]:
    """Find the participant header, or explain which required columns it lacks."""
    partial: tuple[int, dict[str, int]] | None = None
    for i, (_, cells) in enumerate(records):
        if not cells or i in skip:
            continue
        cols = _columns(cells, _P_LOOKUP)
        if set(_P_REQUIRED) <= set(cols):
            return i, cols
        if partial is None and ("name" in cols or "join" in cols or "leave" in cols):
            partial = (i, cols)
    if partial is not None:
        i, cols = partial
        missing = ", ".join(_FIELD_LABELS[f] for f in _P_REQUIRED if f not in cols)
        raise ZoomReportError(records[i][0], f"participant header is missing required columns: {missing}")
    first = next((line for line, cells in records if cells), 1)
    raise ZoomReportError(first, "no participant header found (expected e.g. 'Name (Original Name),"
                                 "User Email,Join Time,Leave Time')")


def parse_zoom_report(
    text: str,
    report_zone: str,
    dayfirst: bool | None = None,
) -> ZoomReport:
    """Parse a Zoom participants export into UTC rows, failing loudly with a line number.

    ``report_zone`` is the zone the report was exported in (the Zoom account's time zone);
    ``dayfirst`` is only used when the file itself cannot settle the date order.
    """
    zone = ZoneInfo(report_zone)
    records = _records(text.lstrip("\ufeff"))
    meeting_at = _find_meeting(records)
    skip = set(meeting_at) if meeting_at else set()
    header_i, cols = _find_header(records, skip)
    has_original = any(
        w in _hkey(records[header_i][1][cols["name"]]) for w in ("original", "asli")
    )

    body = [(line, cells) for line, cells in records[header_i + 1:] if cells]
    m_cols: dict[str, int] = {}
    m_line, m_cells = 0, []
    if meeting_at:
        m_cols = _columns(records[meeting_at[0]][1], _M_LOOKUP)
        m_line, m_cells = records[meeting_at[1]]

    raw_times = [(m_line, _cell(m_cells, m_cols, f)) for f in ("start", "end")] if meeting_at else []
    raw_times += [(line, _cell(cells, cols, f)) for line, cells in body for f in ("join", "leave")]
    tokens = [(line, *parts) for line, value in raw_times if (parts := _numeric_parts(value))]
    order = _decide_dayfirst(tokens, dayfirst)

    meeting: dict[str, Any] | None = None
    if meeting_at:
        start = _cell(m_cells, m_cols, "start")
        end = _cell(m_cells, m_cols, "end")
        meeting = {
            "line": m_line,
            "meeting_id": re.sub(r"[\s-]", "", _cell(m_cells, m_cols, "meeting_id")) or None,
            "topic": _cell(m_cells, m_cols, "topic") or None,
            "start_utc": _to_utc(start, m_line, "start time", zone, order) if start else None,
            "end_utc": _to_utc(end, m_line, "end time", zone, order) if end else None,
            "host_email": _cell(m_cells, m_cols, "host_email").casefold() or None,
            "duration_min": _int_or_none(_cell(m_cells, m_cols, "duration")),
            "participants": _int_or_none(_cell(m_cells, m_cols, "participants")),
        }

    rows: list[Row] = []
    for line, cells in body:
        raw_name = _cell(cells, cols, "name")
        if not raw_name:
            raise ZoomReportError(line, "participant name is empty")
        name, original = _split_original(raw_name) if has_original else (raw_name.strip(), None)
        join = _to_utc(_cell(cells, cols, "join"), line, "join time", zone, order)
        leave = _to_utc(_cell(cells, cols, "leave"), line, "leave time", zone, order)
        if leave < join:
            raise ZoomReportError(line, "leave time is before join time")
        email = _cell(cells, cols, "email").strip().casefold() or None
        rows.append(
            Row(
                line=line,
                name=name,
                original_name=original,
                email=email,
                join_utc=join,
                leave_utc=leave,
                guest=_yes_no(_cell(cells, cols, "guest")),
                in_waiting_room=_yes_no(_cell(cells, cols, "waiting")),
            )
        )
    return ZoomReport(meeting=meeting, rows=rows, dayfirst=order)
