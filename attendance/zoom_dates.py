"""Read the local times in a Zoom participant report and settle the file's date order.

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

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from attendance.zoom_types import ZoomReportError

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
