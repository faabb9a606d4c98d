"""Rotating check-in codes for live sessions.

The host shows a short code that changes every ``interval_s`` seconds; a consultant types it
on a phone to prove they are watching now, not copying yesterday's code from a chat group.
Codes are derived with HMAC-SHA256 from a server secret, the session id and the time step, so
nothing has to be stored and a code for one session is useless for another.

Rules (all edges inclusive towards the consultant):

* ``window_state``: open from ``start - margin_before`` to ``end + margin_after``, both
  instants included; strictly earlier is ``before``, strictly later is ``after``.
* ``checkin_status``: ``present`` up to and including ``start + late_after_min``, then ``late``.
* ``verify_code``: the code of the current step and of the ``grace_steps`` steps before it.
* ``evaluate_checkin``: see its docstring for the order in which outcomes are decided.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "CheckinOutcome",
    "CheckinPolicy",
    "checkin_status",
    "code_for",
    "current_step",
    "evaluate_checkin",
    "find_session_for_code",
    "normalise_code",
    "seconds_until_rotation",
    "verify_code",
    "window_state",
]

# 32 symbols: digits 2-9 and A-Z without I and O, so 0/O and 1/I never need telling apart.
# A power of two means each character takes exactly 5 bits of the MAC, with no modulo bias.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
_ALPHABET_SET = frozenset(ALPHABET)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WindowState = Literal["before", "open", "after"]
CheckinStatus = Literal["present", "late"]


class CheckinOutcome(StrEnum):
    """What happened to a check-in attempt; a str so templates and JSON can use it directly."""

    OK = "ok"
    LATE = "late"
    WRONG_CODE = "wrong_code"
    EXPIRED_CODE = "expired_code"
    OTHER_SESSION = "other_session"
    OUTSIDE_WINDOW_BEFORE = "outside_window_before"
    OUTSIDE_WINDOW_AFTER = "outside_window_after"

    @property
    def accepted(self) -> bool:
        """True when attendance should be recorded, so callers need not list the accepting outcomes."""
        return self in (CheckinOutcome.OK, CheckinOutcome.LATE)


@dataclass(frozen=True)
class CheckinPolicy:
    """Tunable check-in rules, kept together so a cohort's settings travel as one value."""

    interval_s: int = 60
    grace_steps: int = 1
    expired_steps: int = 10
    margin_before_min: int = 15
    margin_after_min: int = 15
    late_after_min: int = 15


def _require_aware(dt: datetime) -> None:
    """Refuse naive datetimes because their instant, and so the code step, is undefined."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("datetime must be timezone-aware (UTC)")


def _check_interval(interval_s: int) -> None:
    """Reject non-positive intervals, which would make every instant its own step or divide by zero."""
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")


def current_step(now: datetime, interval_s: int) -> int:
    """Return the number of whole intervals since the Unix epoch, the counter codes are derived from."""
    _require_aware(now)
    _check_interval(interval_s)
    # Integer arithmetic on the timedelta avoids float rounding right at a boundary.
    micro = (now - _EPOCH) // timedelta(microseconds=1)
    return micro // (interval_s * 1_000_000)


def seconds_until_rotation(now: datetime, interval_s: int) -> float:
    """Seconds before the displayed code changes, so the host page can show a countdown."""
    step = current_step(now, interval_s)
    next_start = _EPOCH + timedelta(seconds=(step + 1) * interval_s)
    return (next_start - now).total_seconds()


def code_for(secret: bytes, session_id: int, step: int) -> str:
    """Derive the code for one session and step, so codes can be recomputed instead of stored."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise ValueError("secret must be non-empty bytes")
    message = f"bimtek-checkin:v1:{int(session_id)}:{int(step)}".encode()
    digest = hmac.new(bytes(secret), message, hashlib.sha256).digest()
    value = int.from_bytes(digest[: (CODE_LENGTH * 5 + 7) // 8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        chars.append(ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(chars)


def normalise_code(code: str) -> str:
    """Upper-case and drop spaces/hyphens, since people type codes on phones as they please.

    NFKC first, so full-width letters from some phone keyboards count as the plain ones.
    """
    text = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-\u2010\u2011\u2012\u2013\u2212")


def _matches_any(expected: Iterable[str], typed: str) -> bool:
    """Compare against every candidate in constant time per candidate, without stopping early."""
    typed_bytes = typed.encode()
    found = False
    for candidate in expected:
        found |= hmac.compare_digest(candidate.encode(), typed_bytes)
    return found


def _steps(now: datetime, interval_s: int, first_back: int, last_back: int) -> range:
    """Return the steps from ``first_back`` to ``last_back`` intervals before now, inclusive."""
    step = current_step(now, interval_s)
    return range(step - last_back, step - first_back + 1)


def _valid_typed(code: str) -> str | None:
    """Return the normalised code if it could be a code at all, else None."""
    typed = normalise_code(code)
    if len(typed) != CODE_LENGTH or not set(typed) <= _ALPHABET_SET:
        return None
    return typed


def verify_code(
    secret: bytes,
    session_id: int,
    code: str,
    now: datetime,
    interval_s: int,
    grace_steps: int = 1,
) -> bool:
    """Accept the current code or one of the ``grace_steps`` before it, allowing for Zoom lag and typing."""
    if grace_steps < 0:
        raise ValueError("grace_steps must not be negative")
    typed = _valid_typed(code)
    steps = _steps(now, interval_s, 0, grace_steps)
    if typed is None:
        return False
    return _matches_any((code_for(secret, session_id, s) for s in steps), typed)


def find_session_for_code(
    secret: bytes,
    code: str,
    now: datetime,
    session_ids: Iterable[int],
    interval_s: int,
    grace_steps: int = 1,
) -> int | None:
    """Return the session this code currently belongs to, so a consultant on the wrong page is redirected."""
    for sid in session_ids:
        if verify_code(secret, sid, code, now, interval_s, grace_steps):
            return sid
    return None


def window_state(
    now: datetime,
    start: datetime,
    end: datetime,
    margin_before_min: float,
    margin_after_min: float,
) -> WindowState:
    """Say whether check-in is open; both margin edges count as open so a click at the edge is not lost."""
    for dt in (now, start, end):
        _require_aware(dt)
    if end < start:
        raise ValueError("end must not be before start")
    if now < start - timedelta(minutes=margin_before_min):
        return "before"
    if now > end + timedelta(minutes=margin_after_min):
        return "after"
    return "open"


def checkin_status(now: datetime, start: datetime, late_after_min: float) -> CheckinStatus:
    """Classify a check-in as present or late; exactly at the threshold is still present."""
    _require_aware(now)
    _require_aware(start)
    return "present" if now <= start + timedelta(minutes=late_after_min) else "late"


def evaluate_checkin(
    secret: bytes,
    session_id: int,
    code: str,
    now: datetime,
    start: datetime,
    end: datetime,
    policy: CheckinPolicy | None = None,
    other_session_ids: Iterable[int] = (),
) -> CheckinOutcome:
    """Decide one check-in attempt and say why it failed, so the consultant gets a useful message.

    Order, first match wins:

    1. ``other_session``: the code is not valid for this session (within grace) but is valid,
       within grace, for one of ``other_session_ids`` -- the consultant opened the wrong page.
       Checked before the window so that message is shown even when this session is closed.
    2. ``outside_window_before`` / ``outside_window_after``: this session is not open.
    3. ``ok`` / ``late``: the code is valid within grace; late after ``late_after_min``.
    4. ``expired_code``: the code was this session's code within the last ``expired_steps``
       steps but is older than the grace allows (e.g. copied from a chat group).
    5. ``wrong_code``: anything else, including text that cannot be a code.
    """
    policy = policy or CheckinPolicy()
    if policy.expired_steps < policy.grace_steps:
        raise ValueError("expired_steps must be at least grace_steps")
    valid_here = verify_code(secret, session_id, code, now, policy.interval_s, policy.grace_steps)
    if not valid_here:
        others = [sid for sid in other_session_ids if sid != session_id]
        other = find_session_for_code(secret, code, now, others, policy.interval_s, policy.grace_steps)
        if other is not None:
            return CheckinOutcome.OTHER_SESSION
    state = window_state(now, start, end, policy.margin_before_min, policy.margin_after_min)
    if state == "before":
        return CheckinOutcome.OUTSIDE_WINDOW_BEFORE
    if state == "after":
        return CheckinOutcome.OUTSIDE_WINDOW_AFTER
    if valid_here:
        if checkin_status(now, start, policy.late_after_min) == "present":
            return CheckinOutcome.OK
        return CheckinOutcome.LATE
    typed = _valid_typed(code)
    if typed is not None:
        old_steps = _steps(now, policy.interval_s, policy.grace_steps + 1, policy.expired_steps)
        if _matches_any((code_for(secret, session_id, s) for s in old_steps), typed):
            return CheckinOutcome.EXPIRED_CODE
    return CheckinOutcome.WRONG_CODE
