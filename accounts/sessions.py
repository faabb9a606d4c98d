"""Server-side login sessions: the cookie holds a random token whose hash is stored per device."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from accounts.models import User, UserSession, utcnow
from extensions import db

TOUCH_EVERY = timedelta(minutes=5)


def token_digest(token: str) -> str:
    """SHA-256 of a random token; tokens have full entropy, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, user_agent: str | None) -> UserSession:
    """A new server-side session for one login; the caller commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        user=user,
        token_hash=token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=current_app.config["SESSION_DAYS"]),
        user_agent=(user_agent or "")[:200],
    )
    record.token = token
    db.session.add(record)
    user.current_session = record
    return record


def load_user_session(token: str) -> User | None:
    """Flask-Login loader: the user of a live, unrevoked session, or None."""
    if not token or len(token) > 100:
        return None
    # one query: the session, its user and the user's roles (every signed-in request runs this)
    record = db.session.scalars(
        select(UserSession)
        .where(UserSession.token_hash == token_digest(token))
        .options(joinedload(UserSession.user).joinedload(User.role_rows))
    ).unique().first()
    now = utcnow()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    user = record.user
    if not user.active:
        return None
    if user.is_demo and not current_app.config["DEMO_ENABLED"]:
        return None
    record.token = token
    user.current_session = record
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
        db.session.commit()
    return user


def revoke_session(record: UserSession) -> None:
    """End one session (logout)."""
    record.revoked_at = utcnow()


def revoke_all_sessions(user: User, keep: UserSession | None = None) -> int:
    """End every session of a user except `keep` (password change, reset, deactivation)."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None and keep.id is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt).rowcount or 0


def unauthorized():
    """Anonymous visitors to a protected page: JSON 401 under /api, else the login page with `next`."""
    if request.path.startswith("/api/"):
        body = {"error": {"status": 401, "code": "unauthorized", "message": _("Silakan masuk terlebih dahulu.")}}
        return jsonify(body), 401
    flash(_("Silakan masuk untuk membuka halaman itu."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
