"""Read Zoom participant reports and turn them into attendance.

Organisers export the "Participants" report of a meeting from Zoom (Reports > Usage) and
upload it.  Zoom writes it in two layouts -- with and without a meeting-summary block -- in
English or, with the Indonesian web portal, Indonesian headers; Excel re-saves it with
semicolons.  Everything here works on plain values: text in, dataclasses out.

Date order.  Zoom writes local times as ``06/02/2022 09:01:23 AM`` (US, month first),
``2022-06-02 09:01:23`` (ISO) or ``02/06/2022 09:01:23`` (day first).  For ``a/b/yyyy`` the
order is decided once per file, first rule that applies:

1. a value that can only be a day: any ``a`` > 12 means day first, any ``b`` > 12 month first
   (both in one file is an error);
2. the meeting itself: the summary block's start/end and every join/leave all belong to one
   meeting, so if across the file only one component changes (a meeting crossing midnight,
   ``02/06`` -> ``03/06``) that component is the day.  The summary block is written in the
   same format as the rows, so on its own it cannot tell ``06/02`` from ``02/06``;
3. the ``dayfirst`` argument, when the caller gives it;
4. the clock style: a 12-hour clock with AM/PM is Zoom's US format (month first); a 24-hour
   clock is the Indonesian/European format (day first).

ISO dates and dates with month names (``Jun 2, 2022``, ``2 Juni 2022``) are never ambiguous.
The order used is returned as ``ZoomReport.dayfirst`` so the upload page can show it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "MatchHow",
    "Participant",
    "Row",
    "ZoomReport",
    "ZoomReportError",
    "attendance_status",
    "combine_matched",
    "decode_report",
    "match_participants",
    "merge_participants",
    "minutes_within",
    "normalise_name",
    "parse_zoom_report",
]

AttendanceStatus = Literal["present", "late", "absent"]
MatchHow = Literal["email", "name", "remembered"]


class ZoomReportError(ValueError):
    """A report that cannot be read, with the 1-based line to point the organiser at."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Row:
    """One line of the participant table: one connection of one device."""

    line: int
    name: str
    original_name: str | None
    email: str | None
    join_utc: datetime
    leave_utc: datetime
    guest: bool | None = None
    in_waiting_room: bool | None = None


@dataclass(frozen=True)
class ZoomReport:
    """A parsed report; ``meeting`` is None for the plain participant layout."""

    meeting: dict[str, Any] | None
    rows: list[Row]
    dayfirst: bool | None = None


@dataclass(frozen=True)
class Participant:
    """All connections of one person merged, so reconnections count once."""

    key: str
    names: tuple[str, ...]
    email: str | None
    first_join: datetime
    last_leave: datetime
    minutes: int
    intervals: tuple[tuple[datetime, datetime], ...] = field(default=(), repr=False)
    lines: tuple[int, ...] = field(default=(), repr=False)

    @property
    def seconds(self) -> int:
        """Exact connected time, for callers that need more than whole minutes."""
        return sum(int((b - a).total_seconds()) for a, b in self.intervals)


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


# --------------------------------------------------------------------------- dates

_MONTH_NAMES = {
    "jan": 1, "january": 1, "januari": 1,
    "feb": 2, "february": 2, "februari": 2, "peb": 2, "pebruari": 2,
    "mar": 3, "march": 3, "maret": 3,
    "apr": 4, "april": 4,
    "may": 5, "mei": 5,
    "jun": 6, "june": 6, "juni": 6,
    "jul": 7, "july": 7, "juli": 7,
    "aug": 8, "august": 8, "agu": 8, "ags": 8, "agt": 8, "agustus": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10,
    "nov": 11, "november": 11, "nop": 11, "nopember": 11,
    "dec": 12, "december": 12, "des": 12, "desember": 12,
}
_TIME = r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?"
_RE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]|,\s*)" + _TIME)
_RE_NUM = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2}),?\s+" + _TIME)
_RE_MDY_NAME = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}),?\s+" + _TIME)
_RE_DMY_NAME = re.compile(r"(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{4}),?\s+" + _TIME)


def _clean_time_text(value: str) -> str:
    """Collapse spaces so that Excel's and Zoom's spacing variants read the same."""
    return re.sub(r"\s+", " ", value.replace("\u202f", " ").replace("\xa0", " ")).strip()


def _numeric_parts(value: str) -> tuple[int, int, bool] | None:
    """Return (a, b, has_ampm) for an ambiguous a/b/yyyy value, else None."""
    m = _RE_NUM.fullmatch(_clean_time_text(value))
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), m.group(7) is not None


def _decide_dayfirst(tokens: Sequence[tuple[int, int, int, bool]], dayfirst: bool | None) -> bool | None:
    """Choose the day/month order for the whole file (rules in the module docstring)."""
    if not tokens:
        return None
    day_first_line = next((line for line, a, _, _ in tokens if a > 12), None)
    month_first_line = next((line for line, _, b, _ in tokens if b > 12), None)
    if day_first_line is not None and month_first_line is not None:
        raise ZoomReportError(
            max(day_first_line, month_first_line), "dates mix day/month and month/day order"
        )
    if day_first_line is not None:
        return True
    if month_first_line is not None:
        return False
    firsts = {a for _, a, _, _ in tokens}
    seconds = {b for _, _, b, _ in tokens}
    if len(firsts) > 1 and len(seconds) == 1:
        return True
    if len(seconds) > 1 and len(firsts) == 1:
        return False
    if dayfirst is not None:
        return dayfirst
    return not any(ampm for _, _, _, ampm in tokens)


def _hour24(hour: int, ampm: str | None) -> int:
    """Convert a 12-hour clock to 24 hours; raise ValueError for impossible values."""
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("hour out of range for a 12-hour clock")
    pm = ampm.lower() == "p"
    return (hour % 12) + (12 if pm else 0)


def _year(text: str) -> int:
    """Expand two-digit years, which Excel writes when it re-saves a report."""
    year = int(text)
    return year + 2000 if year < 100 else year


def _parse_local(value: str, dayfirst: bool | None) -> datetime:
    """Parse one Zoom time string into a naive local datetime; raise ValueError if impossible."""
    text = _clean_time_text(value)
    if m := _RE_ISO.fullmatch(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh, mm, ss, ap = m.group(4), m.group(5), m.group(6), m.group(7)
    elif m := _RE_NUM.fullmatch(text):
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        d, mo = (a, b) if dayfirst else (b, a)
        hh, mm, ss, ap = m.group(4), m.group(5), m.group(6), m.group(7)
    elif (m := _RE_MDY_NAME.fullmatch(text)) and m.group(1).lower() in _MONTH_NAMES:
        mo, d, y = _MONTH_NAMES[m.group(1).lower()], int(m.group(2)), int(m.group(3))
        hh, mm, ss, ap = m.group(4), m.group(5), m.group(6), m.group(7)
    elif (m := _RE_DMY_NAME.fullmatch(text)) and m.group(2).lower() in _MONTH_NAMES:
        d, mo, y = int(m.group(1)), _MONTH_NAMES[m.group(2).lower()], int(m.group(3))
        hh, mm, ss, ap = m.group(4), m.group(5), m.group(6), m.group(7)
    else:
        raise ValueError("unrecognised date format")
    return datetime(y, mo, d, _hour24(int(hh), ap), int(mm), int(ss or 0))


def _to_utc(value: str, line: int, what: str, zone: ZoneInfo, dayfirst: bool | None) -> datetime:
    """Parse a report time in the report's zone and return it in UTC."""
    if not value.strip():
        raise ZoomReportError(line, f"{what} is empty")
    try:
        local = _parse_local(value, dayfirst)
    except ValueError as exc:
        raise ZoomReportError(line, f"cannot read {what} {value!r} ({exc})") from exc
    return local.replace(tzinfo=zone).astimezone(UTC)


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


# --------------------------------------------------------------------------- names

_PREFIX_RE = re.compile(
    r"^(?:prof|dr|drg|drs|dra|ir|hj|h|k\.?\s?h|kyai|kiai|haji|hajjah|ustadzah|ustadz|ustazah|ustaz|ust"
    r"|bapak|bpk|pak|ibu|bu|sdri|sdra|sdr|tn|ny|nn|mrs|mr|ms|apt|ns)\b\.?\s*",
    re.IGNORECASE,
)
# Degrees and professional titles written after a name, compared without dots, case-folded.
_DEGREES = frozenset(
    """
    se sei sh shi sag sap sip sikom spd spdi ssi ssos ssn ssy st stp sp spt spsi shum skom skm skep sked
    sgz sfarm sak sstp sst str strkeb stt sth sn sds skg ssit sm smb sos sps sesy sfil
    ak ca cpa amd amdkeb amdkep amdkes amdfarm amdkom amdpar
    mm mba msi mpd mpdi mag mh mhi mkn mt mkom msc ma me mei mkes mkm mp mak mhum msos mph mtp mars mpsi
    mtr mfarm mkep msie mesy mtech meng
    phd dba lc bsc ba bba llm llb apt ns spkg sppd spog spa spb
    """.split()
)
# Dotless degrees that are also plausible name parts are only dropped after a comma.
_NAME_LIKE_DEGREES = frozenset({"ma", "me", "ba", "sp", "ms", "sn", "sm", "ca", "ns"})
_DEGREE_HEADS = frozenset({"s", "m", "d", "a", "sp", "ph", "b"})


def _strip_accents(text: str) -> str:
    """Drop combining marks so "José" and "Jose" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_degree(token: str, after_comma: bool) -> bool:
    """Say whether a token is an academic degree or title rather than part of the name."""
    t = token.strip(".,;:")
    if not t:
        return True
    compact = t.replace(".", "").casefold()
    if "." in t:
        groups = [g for g in t.split(".") if g]
        if compact in _DEGREES:
            return True
        return (
            len(groups) >= 2
            and all(g.isalpha() and len(g) <= 4 for g in groups)
            and groups[0].casefold() in _DEGREE_HEADS
        )
    if compact not in _DEGREES:
        return False
    if after_comma:
        return True
    return t.isupper() and len(t) > 1 and compact not in _NAME_LIKE_DEGREES


def normalise_name(s: str) -> str:
    """Reduce a display name to a comparison key: people add titles, degrees and brackets inconsistently.

    Casefolds, strips accents, drops bracketed text (Zoom's "(Original Name)"), leading titles
    (Prof., Dr., Ir., H., Hj., Bpk., Ibu, ...), trailing degrees (S.E., S.Pd.I, M.M., Ph.D, ST, ...,
    and anything after a comma that is only degrees), apostrophes and other punctuation.
    """
    text = _strip_accents(s or "")
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\([^()]*\)", " ", text)  # one level of nesting
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text)
    text = re.sub(r"\s+", " ", text).strip()

    segments = [seg.strip() for seg in text.split(",")]
    kept = [segments[0]] + [
        seg for seg in segments[1:] if seg and not all(_is_degree(tok, True) for tok in seg.split())
    ]
    text = " ".join(kept).strip()

    while True:
        m = _PREFIX_RE.match(text)
        rest = text[m.end():] if m else ""
        if not m or not re.search(r"[^\W\d_]", rest):
            break
        text = rest.strip()

    tokens = text.split()
    while len(tokens) > 1 and _is_degree(tokens[-1], False):
        tokens.pop()
    text = " ".join(tokens).casefold()
    text = re.sub(r"[^\w]+|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- merging


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge overlapping or touching intervals so simultaneous devices are not counted twice."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _whole_minutes(seconds: float) -> int:
    """Round seconds to whole minutes, half up, as people read "90 minutes"."""
    return int((seconds + 30) // 60)


def _participant(key: str, rows: Sequence[Row]) -> Participant:
    """Build one Participant from all of its rows."""
    names: list[str] = []
    for row in sorted(rows, key=lambda r: (r.join_utc, r.line)):
        for n in (row.name, row.original_name):
            if n and n not in names:
                names.append(n)
    intervals = _union((r.join_utc, r.leave_utc) for r in rows)
    seconds = sum((b - a).total_seconds() for a, b in intervals)
    email = next((r.email for r in rows if r.email), None)
    return Participant(
        key=key,
        names=tuple(names),
        email=email,
        first_join=min(r.join_utc for r in rows),
        last_leave=max(r.leave_utc for r in rows),
        minutes=_whole_minutes(seconds),
        intervals=tuple(intervals),
        lines=tuple(sorted(r.line for r in rows)),
    )


def _row_name_keys(row: Row) -> list[str]:
    """Return the normalised names of a row, original name first (it survives renames)."""
    keys = [normalise_name(n) for n in (row.original_name, row.name) if n]
    return [k for k in dict.fromkeys(keys) if k]


def merge_participants(rows: Iterable[Row]) -> list[Participant]:
    """Group each person's reconnections and merge their time, so attendance is per person.

    Rows are grouped by e-mail (lowercased).  A row without e-mail joins an e-mail group when
    one of its normalised names belongs to exactly one e-mail group (someone who rejoined from
    a phone without signing in); otherwise it is grouped by the normalised original name (the
    display name when there is none).  Waiting-room rows are not attendance and are ignored.
    Overlapping or touching intervals are merged before the minutes are added up.
    """
    usable = [r for r in rows if not r.in_waiting_room]
    groups: dict[str, list[Row]] = {}
    name_to_email_keys: dict[str, set[str]] = {}
    for row in usable:
        if row.email:
            key = f"email:{row.email.strip().casefold()}"
            groups.setdefault(key, []).append(row)
            for n in _row_name_keys(row):
                name_to_email_keys.setdefault(n, set()).add(key)
    for row in usable:
        if row.email:
            continue
        names = _row_name_keys(row)
        owners = set().union(*(name_to_email_keys.get(n, set()) for n in names)) if names else set()
        if len(owners) == 1:
            key = owners.pop()
        elif names:
            key = f"name:{names[0]}"
        else:
            key = f"line:{row.line}"
        groups.setdefault(key, []).append(row)
    people = [_participant(key, group) for key, group in groups.items()]
    return sorted(people, key=lambda p: (p.first_join, p.key))


def minutes_within(participant: Participant, start: datetime, end: datetime) -> int:
    """Count minutes connected inside the session's scheduled time, ignoring early joins and overruns."""
    total = 0.0
    for a, b in participant.intervals:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return _whole_minutes(total)


def attendance_status(
    minutes_present: float,
    session_minutes: float,
    first_join: datetime | None,
    start: datetime,
    present_share: float = 0.75,
    late_after_min: float = 15,
) -> AttendanceStatus:
    """Turn time in the meeting into present/late/absent, the way organisers mark a register.

    * absent  -- never joined, or ``minutes_present < present_share * session_minutes``;
    * present -- enough minutes and first joined at or before ``start + late_after_min``;
    * late    -- enough minutes but first joined after that.
    Both edges are inclusive for the consultant: exactly the share is enough, and joining at
    exactly the threshold is on time.
    """
    if session_minutes <= 0:
        raise ValueError("session_minutes must be positive")
    if not 0 < present_share <= 1:
        raise ValueError("present_share must be in (0, 1]")
    if first_join is None or minutes_present <= 0:
        return "absent"
    if minutes_present + 1e-9 < present_share * session_minutes:
        return "absent"
    return "present" if first_join <= start + timedelta(minutes=late_after_min) else "late"


# --------------------------------------------------------------------------- matching


def match_participants(
    participants: Iterable[Participant],
    roster: Iterable[Mapping[str, Any]],
    remembered: Mapping[str, int],
) -> tuple[list[tuple[Participant, int, MatchHow]], list[Participant]]:
    """Link Zoom participants to enrolled users, never guessing between two people with one name.

    1. ``email``: the participant's e-mail equals exactly one roster e-mail (case-insensitive);
    2. ``remembered``: one of the participant's normalised names is a remembered alias
       (normalised name -> user_id, from earlier manual matches) of a user on this roster;
       aliases pointing at two different users are ignored;
    3. ``name``: the participant's normalised names point at exactly one roster user.
    Anything else is returned as unmatched for the organiser.  Several participants may match
    the same user (laptop and phone); use ``combine_matched`` to merge them per user.
    """
    roster_list = list(roster)
    ids = {int(r["user_id"]) for r in roster_list}
    by_email: dict[str, set[int]] = {}
    by_name: dict[str, set[int]] = {}
    for r in roster_list:
        uid = int(r["user_id"])
        email = (r.get("email") or "").strip().casefold()
        if email:
            by_email.setdefault(email, set()).add(uid)
        key = normalise_name(r.get("name") or "")
        if key:
            by_name.setdefault(key, set()).add(uid)
    aliases: dict[str, set[int]] = {}
    for alias, uid in remembered.items():
        key = normalise_name(alias)
        if key and int(uid) in ids:
            aliases.setdefault(key, set()).add(int(uid))

    matched: list[tuple[Participant, int, MatchHow]] = []
    unmatched: list[Participant] = []
    for p in participants:
        keys = [k for k in dict.fromkeys(normalise_name(n) for n in p.names) if k]
        email_ids = by_email.get((p.email or "").casefold(), set()) if p.email else set()
        if len(email_ids) == 1:
            matched.append((p, next(iter(email_ids)), "email"))
            continue
        alias_ids = set().union(*(aliases.get(k, set()) for k in keys)) if keys else set()
        if len(alias_ids) == 1:
            matched.append((p, alias_ids.pop(), "remembered"))
            continue
        name_ids = set().union(*(by_name.get(k, set()) for k in keys)) if keys else set()
        if len(name_ids) == 1:
            matched.append((p, name_ids.pop(), "name"))
            continue
        unmatched.append(p)
    return matched, unmatched


def combine_matched(matched: Iterable[tuple[Participant, int, str]]) -> dict[int, Participant]:
    """Merge all participants matched to one user, so two devices give one attendance record."""
    by_user: dict[int, list[Participant]] = {}
    for p, uid, _ in matched:
        by_user.setdefault(uid, []).append(p)
    out: dict[int, Participant] = {}
    for uid, ps in by_user.items():
        if len(ps) == 1:
            out[uid] = ps[0]
            continue
        intervals = _union(iv for p in ps for iv in p.intervals)
        names = tuple(dict.fromkeys(n for p in ps for n in p.names))
        out[uid] = Participant(
            key=f"user:{uid}",
            names=names,
            email=next((p.email for p in ps if p.email), None),
            first_join=min(p.first_join for p in ps),
            last_leave=max(p.last_leave for p in ps),
            minutes=_whole_minutes(sum((b - a).total_seconds() for a, b in intervals)),
            intervals=tuple(intervals),
            lines=tuple(sorted(line for p in ps for line in p.lines)),
        )
    return out
