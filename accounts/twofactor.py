"""The second sign-in factor: a TOTP app plus single-use recovery codes. Services never commit."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts import audit, totp
from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from accounts.passwords import verify_password
from accounts.sessions import revoke_all_sessions
from extensions import UTCDateTime, db

ISSUER = "Bimtek Halal"
log = logging.getLogger(__name__)

register_messages({
    "twofactor_code_invalid": _l("Kode tidak cocok atau sudah dipakai. Masukkan kode terbaru dari aplikasi."),
    "twofactor_already_enabled": _l("Verifikasi dua langkah sudah aktif."),
    "twofactor_not_enabled": _l("Verifikasi dua langkah belum aktif."),
    "twofactor_setup_missing": _l("Mulai ulang pengaturan verifikasi dua langkah."),
})


class TwoFactorError(DomainError):
    """A second-factor rule was broken."""


class UserTwoFactor(db.Model):
    """A user's authenticator secret; enabled only once a code from the app has been confirmed."""

    __tablename__ = "user_twofactor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(Integer)  # the newest time step used: codes are single use

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code for when the phone is lost; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def get_record(user: User) -> UserTwoFactor | None:
    return db.session.get(UserTwoFactor, user.id)


def is_enabled(user: User) -> bool:
    record = get_record(user)
    return record is not None and record.enabled_at is not None


def is_required(user: User) -> bool:
    """Roles listed in TWOFACTOR_REQUIRED_ROLES must use a second factor."""
    return user.has_role(*current_app.config.get("TWOFACTOR_REQUIRED_ROLES", ()))


def password_stamp(user: User) -> str:
    """Changes when the password changes, so a pending sign-in dies with the old password."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def hold_for_second_factor(user: User) -> bool:
    """After a correct password: when the user has a second factor, withdraw the login session that
    authenticate() opened, so that nothing lets the browser in before the code is checked."""
    with db.session.no_autoflush:
        if not is_enabled(user):
            return False
    record = user.current_session
    user.current_session = None
    if record is not None:
        if record in db.session.new:
            db.session.expunge(record)
        else:
            db.session.delete(record)
    return True


def begin_setup(user: User) -> UserTwoFactor:
    """A secret for the setup page; reloading the page keeps the same one until it is confirmed."""
    record = get_record(user)
    if record is not None and record.enabled_at is not None:
        raise TwoFactorError("twofactor_already_enabled")
    if record is None:
        record = UserTwoFactor(user_id=user.id, secret=totp.new_secret())
        db.session.add(record)
        db.session.flush()
    return record


def provisioning_uri(user: User, record: UserTwoFactor) -> str:
    return totp.provisioning_uri(record.secret, user.email, ISSUER)


def confirm_setup(user: User, code: str, now: float | None = None) -> list[str]:
    """Turn the second factor on with a first code from the app; returns the new recovery codes."""
    record = get_record(user)
    if record is None:
        raise TwoFactorError("twofactor_setup_missing")
    if record.enabled_at is not None:
        raise TwoFactorError("twofactor_already_enabled")
    step = totp.matching_step(record.secret, code, time.time() if now is None else now)
    if step is None:
        raise TwoFactorError("twofactor_code_invalid", "code")
    record.enabled_at = utcnow()
    record.last_step = step
    codes = _replace_recovery_codes(user)
    # other devices signed in with the password alone; from now on a sign-in needs the code too
    revoke_all_sessions(user, keep=user.current_session)
    audit.record("twofactor.enabled", "user", user.id, summary=user.email, actor_id=user.id)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.recovery_digest(c)) for c in codes)
    return codes


def verify_code(user: User, code: str, now: float | None = None) -> str:
    """Check a code from the app or a recovery code and use it up; returns "totp" or "recovery".

    Both are spent with a conditional UPDATE, so two requests racing with one code cannot both pass.
    """
    record = get_record(user)
    if record is None or record.enabled_at is None:
        raise TwoFactorError("twofactor_not_enabled")
    typed = totp.normalise_code(code)
    if totp.looks_like_totp(typed):
        step = totp.matching_step(record.secret, typed, time.time() if now is None else now, record.last_step)
        if step is not None and _spend_step(user, step):
            audit.record("twofactor.passed", "user", user.id, actor_id=user.id)
            return "totp"
    elif totp.looks_like_recovery(typed) and _spend_recovery(user, typed):
        audit.record("twofactor.recovery_used", "user", user.id, actor_id=user.id,
                     data={"remaining": remaining_recovery_codes(user)})
        return "recovery"
    # the caller rolls back on a failed code, so the failure goes to the log rather than the audit table
    log.warning("second factor refused for user %s", user.id)
    raise TwoFactorError("twofactor_code_invalid", "code")


def _spend_step(user: User, step: int) -> bool:
    result = db.session.execute(
        update(UserTwoFactor)
        .where(UserTwoFactor.user_id == user.id,
               or_(UserTwoFactor.last_step.is_(None), UserTwoFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def _spend_recovery(user: User, typed: str) -> bool:
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.recovery_digest(typed),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    stmt = select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(stmt) or 0


def regenerate_recovery_codes(user: User, code: str, now: float | None = None) -> list[str]:
    """New recovery codes (the old ones stop working), confirmed with a current code."""
    verify_code(user, code, now)
    codes = _replace_recovery_codes(user)
    audit.record("twofactor.recovery_regenerated", "user", user.id, actor_id=user.id)
    return codes


def disable(user: User, password: str, code: str, now: float | None = None) -> None:
    """Turn the second factor off: needs the password and a code (or a recovery code)."""
    ok, _ = verify_password(user.password_hash, password or "")
    if not ok:
        raise TwoFactorError("current_password_wrong", "password")
    verify_code(user, code, now)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.delete(get_record(user))
    audit.record("twofactor.disabled", "user", user.id, summary=user.email, actor_id=user.id)
