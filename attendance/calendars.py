"""Calendar (.ics) files: one session, a cohort, and each consultant's personal subscription feed."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import url_for
from sqlalchemy import select

from accounts.models import User
from attendance import ics
from attendance.checkin import secret
from attendance.display import day, span
from attendance.models import CalendarFeed, LiveSession
from extensions import db


def event(session: LiveSession, with_link: bool) -> ics.Event:
    """A calendar event; the meeting link only goes to people allowed to see it."""
    page = url_for("attendance.session_detail", session_id=session.id, _external=True)
    lines = [f"{day(session, language='id')} · {span(session, language='id')}"]
    if session.speakers:
        lines.append(f"Pembicara: {session.speakers}")
    if with_link and session.meeting_url:
        lines.append(f"Zoom: {session.meeting_url}")
    lines.append(f"Halaman sesi dan check-in: {page}")
    return ics.session_event(
        uid=f"session-{session.id}@bimtek-halal", start_utc=session.starts_at, end_utc=session.ends_at,
        summary=session.title, description="\n".join(lines), url=page, tzid=session.timezone,
        location=session.meeting_url if with_link and session.meeting_url else page, sequence=session.sequence or 0,
    )


def calendar_text(sessions: list[LiveSession], name: str, with_link: bool) -> str:
    return ics.calendar([event(s, with_link) for s in sessions], name)


def _digest(user_id: int, nonce: str) -> str:
    return hmac.new(secret(), f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def feed_token(user: User, *, reset: bool = False) -> str:
    """The secret part of the user's feed address; reset=True revokes the old address."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, nonce=secrets.token_hex(8))
        db.session.add(feed)
        db.session.flush()
    elif reset:
        feed.nonce = secrets.token_hex(8)
    return f"{user.id}-{_digest(user.id, feed.nonce)}"


def existing_feed_token(user: User) -> str | None:
    """The user's feed token if they have made one, without creating it."""
    feed = db.session.get(CalendarFeed, user.id)
    return None if feed is None else f"{user.id}-{_digest(user.id, feed.nonce)}"


def feed_user(token: str) -> User | None:
    """The user a feed token belongs to, or None for an unknown or revoked token."""
    user_part, _, digest = (token or "").partition("-")
    if not user_part.isdigit() or len(digest) != 32:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_part)))
    if feed is None or not hmac.compare_digest(digest, _digest(feed.user_id, feed.nonce)):
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None
