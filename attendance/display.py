"""Session times as people read them: the session's clock and, in brackets, the viewer's own.

"Kamis, 2 Juni 2022 · 09.00–12.00 WIB (10.00–13.00 WITA)".
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import has_request_context
from flask_babel import get_locale
from flask_login import current_user

from attendance.zones import DEFAULT_ZONE, format_date_id, format_dual, weekday_name, zone_label


def lang() -> str:
    """The page language ("id" or "en"); Indonesian outside a request."""
    if has_request_context():
        locale = get_locale()
        if locale is not None and str(locale).startswith("en"):
            return "en"
    return "id"


def viewer_zone(user=None) -> str:
    """The zone of the viewer (profile zone, else their province's), WIB for anonymous visitors."""
    if user is None and has_request_context():
        user = current_user
    if user is not None and getattr(user, "is_authenticated", False):
        return user.zone
    return DEFAULT_ZONE


def _hm(dt: datetime, zone: str, language: str) -> str:
    local = dt.astimezone(ZoneInfo(zone))
    return f"{local.hour:02d}{':' if language == 'en' else '.'}{local.minute:02d}"


def span(session, zone: str | None = None, language: str | None = None) -> str:
    """"09.00–12.00 WIB" in one zone; an end on the next day carries its weekday: "22.30–Jumat 00.35 WIT"."""
    zone = zone or session.timezone
    language = language or lang()
    start_local = session.starts_at.astimezone(ZoneInfo(zone))
    end_local = session.ends_at.astimezone(ZoneInfo(zone))
    end = _hm(session.ends_at, zone, language)
    if end_local.date() != start_local.date():
        end = f"{weekday_name(end_local, language)} {end}"
    return f"{_hm(session.starts_at, zone, language)}–{end} {zone_label(zone, session.starts_at)}"


def day(session, zone: str | None = None, language: str | None = None) -> str:
    """The session's date in its own zone: "Kamis, 2 Juni 2022"."""
    return format_date_id(session.starts_at, zone or session.timezone, language or lang())


def when(session, user=None) -> str:
    """Date and time in the session's zone, with the viewer's clock in brackets when it differs."""
    language = lang()
    main = f"{day(session, language=language)} · {span(session, language=language)}"
    zone = viewer_zone(user)
    if zone_label(zone) == zone_label(session.timezone):
        return main
    other = span(session, zone, language)
    start_session = session.starts_at.astimezone(ZoneInfo(session.timezone)).date()
    start_viewer = session.starts_at.astimezone(ZoneInfo(zone))
    if start_viewer.date() != start_session:
        other = f"{weekday_name(start_viewer, language)} {other}"
    return f"{main} ({other})"


def clock(dt: datetime, session, user=None) -> str:
    """One instant in the session's zone and the viewer's: "09.00 WIB (10.00 WITA)"."""
    return format_dual(dt, session.timezone, viewer_zone(user), lang())
