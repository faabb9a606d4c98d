"""iCalendar (RFC 5545) files for live sessions, written by hand to avoid a dependency.

Consultants add a cohort's sessions to Google Calendar, Outlook or a phone calendar.  Times
are written in UTC (``...Z``), which every client converts to the device's own zone -- the
simplest correct answer for people spread over WIB, WITA and WIT.  The session's zone is kept
as ``X-WR-TIMEZONE`` on the calendar (when all events share one), a display hint that Google
and Apple calendars honour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["PRODID", "Event", "calendar", "escape_text", "fold_line", "session_event"]

PRODID = "-//Bimtek Halal//Attendance//ID"
_CRLF = "\r\n"
_MAX_OCTETS = 75


@dataclass(frozen=True)
class Event:
    """One VEVENT; build it with session_event() so the inputs are checked."""

    uid: str
    start_utc: datetime
    end_utc: datetime
    summary: str
    description: str = ""
    url: str | None = None
    tzid: str = "Asia/Jakarta"
    location: str | None = None
    sequence: int = 0


def _require_aware(dt: datetime) -> None:
    """Refuse naive datetimes, which would be written as floating local time by mistake."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("datetime must be timezone-aware (UTC)")


def _no_line_breaks(value: str, what: str) -> None:
    """Refuse CR/LF in values that are not TEXT, since they would inject calendar properties."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain line breaks")


def session_event(
    uid: str,
    start_utc: datetime,
    end_utc: datetime,
    summary: str,
    description: str = "",
    url: str | None = None,
    tzid: str = "Asia/Jakarta",
    *,
    location: str | None = None,
    sequence: int = 0,
) -> Event:
    """Describe one live session as a calendar event, checking what would make clients reject it.

    ``uid`` must be stable for the session (e.g. ``"session-42@bimtek-halal"``) so that a
    re-downloaded calendar updates the event instead of duplicating it; raise ``sequence``
    when the time changes.  ``tzid`` is the session's zone, validated and kept as a hint.
    """
    _require_aware(start_utc)
    _require_aware(end_utc)
    if end_utc < start_utc:
        raise ValueError("end_utc must not be before start_utc")
    if not uid.strip():
        raise ValueError("uid must not be empty")
    _no_line_breaks(uid, "uid")
    if url is not None:
        _no_line_breaks(url, "url")
    ZoneInfo(tzid)  # raises for an unknown zone
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    return Event(
        uid=uid.strip(),
        start_utc=start_utc.astimezone(UTC),
        end_utc=end_utc.astimezone(UTC),
        summary=summary,
        description=description,
        url=url,
        tzid=tzid,
        location=location,
        sequence=sequence,
    )


def escape_text(value: str) -> str:
    r"""Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines as \n."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    return out.replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 3.1)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = _MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append("".join(current))
            current, size = [], 0
            limit = _MAX_OCTETS - 1  # continuation lines start with one space
        current.append(ch)
        size += n
    pieces.append("".join(current))
    return (_CRLF + " ").join(pieces)


def _utc(dt: datetime) -> str:
    """Format a DATE-TIME in UTC form, e.g. 20220602T020000Z."""
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event, dtstamp: datetime) -> list[str]:
    """Return the unfolded content lines of one VEVENT."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(dtstamp)}",
        f"DTSTART:{_utc(event.start_utc)}",
        f"DTEND:{_utc(event.end_utc)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.sequence:
        lines.append(f"SEQUENCE:{event.sequence}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    location = event.location if event.location is not None else event.url
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def calendar(events: Iterable[Event], name: str, dtstamp: datetime | None = None) -> str:
    """Render a whole calendar with CRLF line ends and folded lines, ready to serve as text/calendar.

    ``dtstamp`` defaults to now; pass it to get byte-identical output (tests, ETags).  When no
    ``location`` is given the event's ``url`` is also written as LOCATION, because Google
    Calendar ignores the URL property but shows LOCATION as a link.
    """
    stamp = dtstamp if dtstamp is not None else datetime.now(UTC)
    _require_aware(stamp)
    items = list(events)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    zones = {e.tzid for e in items}
    if len(zones) == 1:
        lines.append(f"X-WR-TIMEZONE:{zones.pop()}")
    for event in items:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + _CRLF for line in lines)
