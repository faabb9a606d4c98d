"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) and recovery codes: pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # accept the previous and the next step too: phone clocks drift
SECRET_BYTES = 20  # 160 bits, the RFC 4226 recommendation for HMAC-SHA-1
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed on a phone
RECOVERY_LENGTH = 12  # 12 × log2(31) ≈ 59 bits each


def new_secret() -> str:
    """A fresh 160-bit secret as unpadded base32, the form authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """Base32 text (any case, spaces allowed, padding optional) to the key bytes."""
    text = secret.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """RFC 4226: HMAC the big-endian counter, dynamically truncate, keep `digits` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(timestamp: float, step: int = STEP_SECONDS) -> int:
    """The RFC 6238 time counter T = floor(unix time / step)."""
    return int(timestamp // step)


def code_at(secret: str, timestamp: float, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at `timestamp`."""
    return hotp(decode_secret(secret), step_at(timestamp), digits)


def normalise_code(code: str | None) -> str:
    """What the user typed without spaces or dashes, lower-cased (authenticator apps show "123 456")."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str | None, timestamp: float, last_step: int | None = None,
                  window: int = WINDOW) -> int | None:
    """The time step whose code equals `code` within ±window, newer than `last_step`; None otherwise.

    A step at or before `last_step` was already used (or is older than one that was), so a code seen
    over a shoulder or replayed from a proxy log cannot be used a second time.
    """
    code = normalise_code(code)
    if not looks_like_totp(code):
        return None
    key = decode_secret(secret)
    now = step_at(timestamp)
    found = None
    for step in range(now - window, now + window + 1):
        # compare every candidate in constant time and do not stop early
        if hmac.compare_digest(hotp(key, step), code) and (last_step is None or step > last_step):
            found = step
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def group_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes(count: int = RECOVERY_COUNT) -> list[str]:
    """Single-use codes printed or saved by the user, shown as xxxx-xxxx-xxxx."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def recovery_digest(code: str | None) -> str:
    """SHA-256 of the normalised code; the codes carry ~59 random bits, so no slow hash is needed."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def looks_like_recovery(code: str) -> bool:
    return len(code) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in code)
