"""Check-in at a live session: the presenter's rotating code and QR, and the consultant's check-in.

The code rules are the pure functions of attendance.codes; this module adds the configuration, the
database and a short-lived signed "scan ticket": a consultant who scans the QR while the code is valid
keeps that proof while logging in, so a slow login on a phone does not turn into "code expired".
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from attendance import codes
from attendance.display import clock
from attendance.models import ATTENDED, LATE, PRESENT, LiveSession
from attendance.registers import STATUS_LABELS, get_record, set_status, status_counts
from attendance.services import is_enrolled, open_sessions
from extensions import db

register_messages({
    "checkin_wrong_code": _l("Kode salah. Periksa kode yang tampil di layar Zoom, lalu coba lagi."),
    "checkin_expired_code": _l("Kode ini sudah kedaluwarsa. Masukkan kode yang tampil di layar sekarang."),
    "checkin_other_session": _l("Kode ini milik sesi lain: %(title)s."),
    "checkin_outside_window_before": _l("Check-in sesi ini belum dibuka. Check-in dibuka pukul %(time)s."),
    "checkin_outside_window_after": _l("Check-in sesi ini sudah ditutup pukul %(time)s."),
    "checkin_already": _l("Anda sudah check-in di sesi ini (%(status)s)."),
    "checkin_not_enrolled": _l("Anda tidak terdaftar di angkatan sesi ini."),
    "checkin_code_required": _l("Masukkan kode check-in dari layar."),
})

SCAN_SALT = "attendance-scan"


class CheckinError(DomainError):
    """A check-in was refused; `code` says why, `params` fill the message, `other` is the right session."""

    other: LiveSession | None = None


def secret() -> bytes:
    """CHECKIN_SECRET, or a key derived from SECRET_KEY so codes need no extra setting."""
    configured = current_app.config.get("CHECKIN_SECRET")
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"bimtek-halal:checkin-secret:v1", hashlib.sha256).digest()


def policy() -> codes.CheckinPolicy:
    config = current_app.config
    return codes.CheckinPolicy(
        interval_s=int(config.get("CHECKIN_INTERVAL_S", 60)),
        grace_steps=int(config.get("CHECKIN_GRACE_STEPS", 1)),
        expired_steps=max(10, int(config.get("CHECKIN_GRACE_STEPS", 1))),
        margin_before_min=int(config.get("CHECKIN_MARGIN_BEFORE_MIN", 15)),
        margin_after_min=int(config.get("CHECKIN_MARGIN_AFTER_MIN", 30)),
        late_after_min=int(config.get("LATE_AFTER_MIN", 15)),
    )


def window(session: LiveSession, pol: codes.CheckinPolicy | None = None) -> tuple[datetime, datetime]:
    """First and last instant at which check-in is open."""
    pol = pol or policy()
    return (session.starts_at - timedelta(minutes=pol.margin_before_min),
            session.ends_at + timedelta(minutes=pol.margin_after_min))


@dataclass
class PresenterState:
    """What the host's screen shows now."""

    code: str
    state: str  # before | open | after
    seconds_left: int
    opens_at: datetime
    closes_at: datetime
    checked_in: int


def presenter_state(session: LiveSession, now: datetime | None = None) -> PresenterState:
    now = now or utcnow()
    pol = policy()
    step = codes.current_step(now, pol.interval_s)
    opens, closes = window(session, pol)
    state = codes.window_state(now, session.starts_at, session.ends_at, pol.margin_before_min, pol.margin_after_min)
    counts = status_counts(session)
    return PresenterState(
        code=codes.code_for(secret(), session.id, step), state=state,
        seconds_left=max(1, int(codes.seconds_until_rotation(now, pol.interval_s) + 0.999)),
        opens_at=opens, closes_at=closes, checked_in=sum(counts[s] for s in ATTENDED),
    )


def qr_svg(text: str, caption: str = "") -> str:
    """An SVG QR code (dark modules as one path), with an optional large caption under it."""
    qr = segno.make(text, error="m")
    border, scale = 4, 10
    rows = list(qr.matrix_iter(border=border))
    size = len(rows) * scale
    path = "".join(f"M{x * scale} {y * scale}h{scale}v{scale}h-{scale}z"
                   for y, row in enumerate(rows) for x, dark in enumerate(row) if dark)
    extra = 90 if caption else 0
    caption_svg = (f'<text x="{size // 2}" y="{size + 62}" font-family="ui-monospace,Menlo,Consolas,monospace" '
                   f'font-size="72" font-weight="700" text-anchor="middle" letter-spacing="6">{_xml(caption)}</text>'
                   if caption else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size + extra}" '
            f'width="{size}" height="{size + extra}" role="img">'
            f'<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{path}"/>{caption_svg}</svg>')


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# --------------------------------------------------------------------------- scan tickets


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret(), salt=SCAN_SALT)


def make_ticket(session: LiveSession, code: str, now: datetime | None = None) -> str | None:
    """A signed proof that `code` was valid for the session when scanned, or None if it was not."""
    now = now or utcnow()
    pol = policy()
    typed = codes.normalise_code(code or "")
    if not codes.verify_code(secret(), session.id, typed, now, pol.interval_s, pol.grace_steps):
        return None
    return _serializer().dumps({"s": session.id, "c": typed, "t": int(now.timestamp())})


def read_ticket(ticket: str | None, session: LiveSession, code: str) -> datetime | None:
    """The scan time a valid ticket proves for this session and code; None when absent, altered or too old."""
    if not ticket:
        return None
    max_age = int(current_app.config.get("CHECKIN_SCAN_TICKET_S", 300))
    try:
        data = _serializer().loads(ticket, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != session.id or data.get("c") != codes.normalise_code(code):
        return None
    return datetime.fromtimestamp(int(data["t"]), UTC)


# --------------------------------------------------------------------------- checking in


@dataclass
class CheckinResult:
    status: str  # present | late
    at: datetime


def check_in(session: LiveSession, user: User, code: str, *, now: datetime | None = None,
             ticket: str | None = None) -> CheckinResult:
    """Record the consultant as Hadir or Terlambat, or raise CheckinError saying exactly why not."""
    now = now or utcnow()
    if not is_enrolled(user, session.cohort_id):
        raise CheckinError("checkin_not_enrolled")
    if not (code or "").strip():
        raise CheckinError("checkin_code_required", "code")
    record = get_record(session.id, user.id)
    if record is not None and record.status in ATTENDED:
        raise CheckinError("checkin_already", status=str(STATUS_LABELS[record.status]))
    pol = policy()
    scanned_at = read_ticket(ticket, session, code)
    at = scanned_at or now
    others = [s for s in open_sessions(at, pol.margin_before_min, pol.margin_after_min) if s.id != session.id]
    outcome = codes.evaluate_checkin(secret(), session.id, code, at, session.starts_at, session.ends_at, pol,
                                     other_session_ids=[s.id for s in others])
    if not outcome.accepted:
        params: dict = {}
        other = None
        if outcome == codes.CheckinOutcome.OTHER_SESSION:
            sid = codes.find_session_for_code(secret(), code, at, [s.id for s in others], pol.interval_s,
                                              pol.grace_steps)
            other = next((s for s in others if s.id == sid), None)
            params["title"] = other.title if other else "?"
        elif outcome == codes.CheckinOutcome.OUTSIDE_WINDOW_BEFORE:
            params["time"] = clock(window(session, pol)[0], session, user)
        elif outcome == codes.CheckinOutcome.OUTSIDE_WINDOW_AFTER:
            params["time"] = clock(window(session, pol)[1], session, user)
        error = CheckinError(f"checkin_{outcome.value}", "code", **params)
        error.other = other
        raise error
    status = PRESENT if outcome == codes.CheckinOutcome.OK else LATE
    set_status(session, user.id, status, source="checkin", actor_id=user.id, reason="check-in",
               checked_in_at=at, record=record, lookup=False)
    db.session.flush()
    return CheckinResult(status=status, at=at)
