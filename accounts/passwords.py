"""argon2id password hashing with the cost from config, and the password policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MIN_LENGTH = 8
MAX_LENGTH = 128


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher_for(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_password(password: str) -> str:
    """argon2id hash at the configured cost."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash); a missing hash never matches."""
    hasher = _hasher()
    if not stored:
        # spend the same time as a real check so unknown accounts cannot be told apart by timing
        _dummy_verify(hasher, password)
        return False, False
    try:
        hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(stored)


def _dummy_verify(hasher: PasswordHasher, password: str) -> None:
    try:
        hasher.verify(_dummy_hash(hasher), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


@cache
def _dummy_hash_cached(params: tuple) -> str:
    return PasswordHasher(*params).hash("dummy-password-for-timing")


def _dummy_hash(hasher: PasswordHasher) -> str:
    return _dummy_hash_cached((hasher.time_cost, hasher.memory_cost, hasher.parallelism))


@cache
def common_passwords() -> frozenset[str]:
    """A list of passwords too common to allow, shipped with the app."""
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problem(password: str, email: str | None = None, name: str | None = None) -> str | None:
    """The first reason a password is unacceptable, or None. Messages are translated by the caller."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "too_common"
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return "like_email"
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        return "like_name"
    return None
