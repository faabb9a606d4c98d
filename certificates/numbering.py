"""Certificate numbers and verification codes.

Two different identifiers, kept apart on purpose:

* The **certificate number** (``BH/2022/06/0001``) is for humans and filing. It is sequential,
  therefore guessable, and must never be enough to see a certificate.
* The **verification code** is the only key to ``/verify/<code>`` (security reference §4.3
  CERT-1). It carries 140 random bits from :mod:`secrets`, written as 28 characters of
  Crockford base32 (``0-9`` and ``A-Z`` without ``I L O U``) and shown as seven groups of four
  (``K7QX-M2PD-…``) so that it can be read aloud or typed from paper.

Storage and URLs: store :func:`normalise_code` output (28 characters, no hyphens) under a unique
index; accept either form in the URL and normalise before the lookup; print
:func:`display_code` on paper. Treat a ``None`` from :func:`normalise_code` exactly like an
unknown code (CERT-2: no oracle).
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterator, Mapping

__all__ = [
    "ALPHABET",
    "CODE_BITS",
    "CODE_LENGTH",
    "PatternError",
    "display_code",
    "format_number",
    "new_verification_code",
    "normalise_code",
    "validate_pattern",
]

#: Crockford base32 alphabet: digits and capitals without I, L, O and U (easy to confuse or rude).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters in a stored (normalised) code.
CODE_LENGTH = 28
#: Random bits in a code: 28 characters x 5 bits.
CODE_BITS = CODE_LENGTH * 5
GROUP = 4

_DECODE = {ch: ch for ch in ALPHABET}
# Crockford's decoding rules for characters that people misread or mistype.
_DECODE.update({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")

# ---------------------------------------------------------------------------------------------
# Certificate number patterns
# ---------------------------------------------------------------------------------------------

_INT_FIELDS = frozenset({"year", "month", "seq"})
_STR_FIELDS = frozenset({"cohort_code", "course_code"})
FIELDS = _INT_FIELDS | _STR_FIELDS
# Width and zero padding only ("04d", "2", "d"); anything else (fill characters, nested fields,
# alignment tricks) is refused so a pattern cannot produce surprising or huge output.
_INT_SPEC = re.compile(r"0?[1-9]?d?")
_LITERAL = re.compile(r"[A-Za-z0-9/._\- ]*")
_CODE_VALUE = re.compile(r"[A-Za-z0-9._\-]*")
MAX_PATTERN_LENGTH = 80
MAX_NUMBER_LENGTH = 64


class PatternError(ValueError):
    """Raised for a certificate-number pattern that is unsafe or would not give unique numbers."""


def validate_pattern(pattern: str) -> None:
    """Refuse any pattern that could read attributes, index objects or repeat numbers."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise PatternError("pattern must be a non-empty string")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:  # unbalanced braces
        raise PatternError(f"malformed pattern: {exc}") from exc
    seen: set[str] = set()
    for literal, field, spec, conversion in parts:
        if not _LITERAL.fullmatch(literal):
            raise PatternError(f"pattern text may only hold letters, digits and / . _ - : {literal!r}")
        if field is None:
            continue
        if field not in FIELDS:
            # Catches '', '0', '0.__class__', 'seq[0]', 'year.real' and unknown names alike.
            raise PatternError(f"unknown field {{{field}}}; allowed: {', '.join(sorted(FIELDS))}")
        if conversion is not None:
            raise PatternError(f"conversions such as !{conversion} are not allowed")
        spec = spec or ""
        if field in _INT_FIELDS and not _INT_SPEC.fullmatch(spec):
            raise PatternError(f"format {spec!r} for {{{field}}} not allowed; use e.g. 04d")
        if field in _STR_FIELDS and spec:
            raise PatternError(f"{{{field}}} takes no format spec")
        seen.add(field)
    if "seq" not in seen:
        raise PatternError("pattern must contain {seq} or numbers would repeat")


class _Fields(Mapping[str, object]):
    """Read-only mapping for str.format_map that knows only the allowed fields."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> object:
        if key not in FIELDS:
            raise KeyError(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def format_number(
    pattern: str,
    *,
    year: int,
    month: int,
    seq: int,
    cohort_code: str = "",
    course_code: str = "",
) -> str:
    """Build a certificate number from an admin-editable pattern without format-string risks."""
    validate_pattern(pattern)
    for name, value in (("year", year), ("month", month), ("seq", seq)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int")
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    if not 1900 <= year <= 9999:
        raise ValueError("year must be 1900..9999")
    if seq < 0:
        raise ValueError("seq must not be negative")
    for name, text in (("cohort_code", cohort_code), ("course_code", course_code)):
        if not isinstance(text, str) or not _CODE_VALUE.fullmatch(text) or len(text) > 20:
            raise ValueError(f"{name} may hold up to 20 letters, digits, '.', '_' or '-'")
    fields = _Fields({"year": year, "month": month, "seq": seq, "cohort_code": cohort_code, "course_code": course_code})
    number = pattern.format_map(fields).strip()
    if not number or len(number) > MAX_NUMBER_LENGTH:
        raise ValueError(f"certificate number must be 1..{MAX_NUMBER_LENGTH} characters")
    return number


# ---------------------------------------------------------------------------------------------
# Verification codes
# ---------------------------------------------------------------------------------------------


def new_verification_code() -> str:
    """Return a fresh 140-bit code (normalised form) so certificates cannot be enumerated."""
    value = secrets.randbits(CODE_BITS)
    chars = []
    for _ in range(CODE_LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def normalise_code(s: str | None) -> str | None:
    """Canonicalise what a person typed or scanned; None means 'treat as unknown'."""
    if not isinstance(s, str) or len(s) > 3 * CODE_LENGTH:
        return None
    compact = _SEPARATORS.sub("", s).upper()
    if len(compact) != CODE_LENGTH:
        return None
    out = []
    for ch in compact:
        mapped = _DECODE.get(ch)
        if mapped is None:
            return None
        out.append(mapped)
    return "".join(out)


def display_code(code: str) -> str:
    """Group a code in blocks of four so it can be read aloud and typed from paper."""
    norm = normalise_code(code)
    if norm is None:
        raise ValueError("not a verification code")
    return "-".join(norm[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))
