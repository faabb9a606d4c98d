"""Account rules: registration, sign-in, passwords, roles. Services never commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from accounts import audit
from accounts.domain import DomainError
from accounts.models import PasswordToken, User, UserRole, UserSession, utcnow
from accounts.passwords import hash_password, password_problem, verify_password
from accounts.provinces import PROVINCES
from accounts.roles import ADMIN, CONSULTANT, CONSULTANT_FIELDS, ROLES
from accounts.sessions import open_session, revoke_all_sessions, token_digest
from extensions import db

PHONE_RE = re.compile(r"^(?:\+62|62|0)([2-9]\d{7,11})$")


class AccountError(DomainError):
    """An account rule was broken."""


def normalise_email(email: str) -> str:
    """Emails are compared and stored lower-cased and trimmed."""
    return (email or "").strip().lower()


def normalise_phone(phone: str | None) -> str | None:
    """Indonesian numbers (08…, 62…, +62…, with spaces or dashes) as +62…; None when empty."""
    if not phone or not phone.strip():
        return None
    digits = re.sub(r"[\s\-().]", "", phone)
    match = PHONE_RE.match(digits)
    if not match:
        raise AccountError("phone_invalid", "phone")
    return "+62" + match.group(1)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@dataclass
class Profile:
    full_name: str
    province: str | None = None
    plut_unit: str | None = None
    consultant_field: str | None = None
    phone: str | None = None


def _check_profile(profile: Profile) -> None:
    if not profile.full_name or not profile.full_name.strip():
        raise AccountError("name_required", "full_name")
    if len(profile.full_name) > 120:
        raise AccountError("too_long", "full_name")
    if profile.province and profile.province not in PROVINCES:
        raise AccountError("province_unknown", "province")
    if profile.consultant_field and profile.consultant_field not in CONSULTANT_FIELDS:
        raise AccountError("field_unknown", "consultant_field")
    if profile.plut_unit and len(profile.plut_unit) > 120:
        raise AccountError("too_long", "plut_unit")


def register(email: str, password: str | None, profile: Profile, roles: tuple[str, ...] = (CONSULTANT,),
             locale: str | None = None) -> User:
    """Create an account; a None password means the user sets one through an emailed link."""
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > 254:
        raise AccountError("email_invalid", "email")
    if get_user_by_email(email) is not None:
        raise AccountError("email_taken", "email")
    _check_profile(profile)
    phone = normalise_phone(profile.phone)
    if password is not None:
        problem = password_problem(password, email, profile.full_name)
        if problem:
            raise AccountError("password_" + problem, "password")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError("role_unknown", "roles")
    user = User(
        email=email,
        full_name=profile.full_name.strip(),
        phone=phone,
        province=profile.province or None,
        plut_unit=(profile.plut_unit or "").strip() or None,
        consultant_field=profile.consultant_field or None,
        password_hash=hash_password(password) if password is not None else None,
        locale=locale,
    )
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.flush()
    return user


def update_profile(user: User, profile: Profile, locale: str | None = None) -> User:
    """Change the editable profile fields."""
    _check_profile(profile)
    user.phone = normalise_phone(profile.phone)
    user.full_name = profile.full_name.strip()
    user.province = profile.province or None
    user.plut_unit = (profile.plut_unit or "").strip() or None
    user.consultant_field = profile.consultant_field or None
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
    return user


def authenticate(email: str, password: str, user_agent: str | None = None) -> User:
    """Check credentials and open a session; one message for unknown email and wrong password."""
    user = get_user_by_email(email)
    ok, rehash = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        raise AccountError("bad_credentials")
    if user.is_demo and not current_app.config["DEMO_ENABLED"]:
        raise AccountError("bad_credentials")
    if rehash:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    open_session(user, user_agent)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a password and sign out every other session of the user."""
    ok, _ = verify_password(user.password_hash, current or "")
    if not ok:
        raise AccountError("current_password_wrong", "current_password")
    problem = password_problem(new, user.email, user.full_name)
    if problem:
        raise AccountError("password_" + problem, "new_password")
    user.password_hash = hash_password(new)
    revoke_all_sessions(user, keep=user.current_session)


def issue_password_token(user: User, purpose: str = "reset", hours: int | None = None) -> str:
    """A single-use link token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    lifetime = hours if hours is not None else current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(PasswordToken(
        user=user, token_hash=token_digest(token), purpose=purpose,
        expires_at=utcnow() + timedelta(hours=lifetime),
    ))
    return token


def find_password_token(token: str) -> PasswordToken | None:
    """A token that is unused and unexpired, or None."""
    if not token or len(token) > 100:
        return None
    record = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == token_digest(token)))
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def reset_password(token: str, new: str) -> User:
    """Use a reset token once: set the password and end every session."""
    record = find_password_token(token)
    if record is None:
        raise AccountError("token_invalid")
    problem = password_problem(new, record.user.email, record.user.full_name)
    if problem:
        raise AccountError("password_" + problem, "password")
    record.used_at = utcnow()
    record.user.password_hash = hash_password(new)
    revoke_all_sessions(record.user)
    return record.user


def count_admins() -> int:
    stmt = select(func.count()).select_from(UserRole).join(User).where(UserRole.role == ADMIN, User.active)
    return db.session.scalar(stmt) or 0


def set_roles(actor: User, user: User, roles: set[str]) -> None:
    """Admins assign roles; the last admin keeps theirs."""
    if not actor.has_role(ADMIN):
        raise AccountError("forbidden")
    roles = set(roles)
    if roles - set(ROLES):
        raise AccountError("role_unknown", "roles")
    before = user.roles
    if ADMIN in before and ADMIN not in roles and count_admins() <= 1:
        raise AccountError("last_admin", "roles")
    user.role_rows = [r for r in user.role_rows if r.role in roles] + [
        UserRole(role=r) for r in sorted(roles - before)
    ]
    audit.record("roles.changed", "user", user.id, summary=user.email,
                 data={"before": sorted(before), "after": sorted(roles)}, actor_id=actor.id)


def active_sessions(user: User) -> list[UserSession]:
    stmt = select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow()
    ).order_by(UserSession.last_seen_at.desc())
    return list(db.session.scalars(stmt))
