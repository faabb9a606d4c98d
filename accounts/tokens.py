"""Personal API tokens: shown once, stored hashed, acting with the owner's current roles, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from accounts.sessions import token_digest
from extensions import UTCDateTime, db

PREFIX = "bh_"
MAX_TOKENS = 10
TOUCH_EVERY = timedelta(minutes=5)

register_messages({
    "token_name": _l("Beri nama token (1–60 karakter)."),
    "token_limit": _l("Paling banyak 10 token aktif. Cabut token lama terlebih dahulu."),
})


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the first characters, to recognise a token in the list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise DomainError("token_name", "name")
    if len(active_tokens(user)) >= MAX_TOKENS:
        raise DomainError("token_limit")
    plain = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, name=name, token_hash=token_digest(plain), hint=plain[:8])
    db.session.add(record)
    db.session.flush()
    return record, plain


def active_tokens(user: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
    return list(db.session.scalars(stmt))


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs."""
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id or record.revoked_at is not None:
        return False
    record.revoked_at = utcnow()
    return True


def load_user_from_request(req) -> User | None:
    """Flask-Login request loader: `Authorization: Bearer bh_…`, only under /api/."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    plain = header[7:].strip()
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        record.last_used_at = now
        db.session.commit()
    user = record.user
    user.api_token = record
    return user


def is_token_request() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")
