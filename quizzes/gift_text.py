"""GIFT text pieces shared by the reader and the writer: escapes, format tags, weights, numbers, tokens.

The file format and the mapping to question dicts are described in :mod:`quizzes.gift`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Escaped characters are swapped for private-use placeholders while the structure is parsed.
_PLACEHOLDER = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
    "n": "\ue007",
}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _PLACEHOLDER.items()})
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT_RE = re.compile(r"^\s*\[(html|markdown|moodle|plain)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%\s*(-?\d+(?:[.,]\d+)?)\s*%")
_TOKEN_RE = re.compile(r"\[(id|tag|points|scoring):((?:\\\]|[^\]])*)\]")
_LONE_P_RE = re.compile(r"^<p(?:\s[^>]*)?>(.*)</p>$", re.DOTALL | re.IGNORECASE)
_SOURCE_MARK = "(Sumber:"
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT_RE = re.compile(r"[+-]?\d+")


class _Refusal(Exception):
    """Raised inside the parser when a block is not importable; the message becomes the reason."""


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def slugify(text: str) -> str:
    """Make an ASCII, lowercase, hyphenated slug for ids and tags."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _protect(text: str) -> str:
    """Replace GIFT escapes by placeholders so structural characters can be found with plain searches."""
    return _ESCAPE_RE.sub(lambda m: _PLACEHOLDER[m.group(1)], text)


def _restore(text: str) -> str:
    """Turn placeholders back into the characters they stand for."""
    return text.translate(_RESTORE)


def _unwrap_html(text: str) -> str:
    """Drop a single ``<p>`` wrapper that Moodle's editor puts around one-paragraph text."""
    match = _LONE_P_RE.match(text.strip())
    if match and not re.search(r"<p[\s>]|</p>", match.group(1), re.IGNORECASE):
        return match.group(1).strip()
    return text


def _split_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading ``[format]`` tag off a (protected) text."""
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1).lower(), text[match.end():]
    return default, text


def _clean(text: str, fmt: str) -> str:
    """Finish a protected text piece: own format tag, placeholders back, trimmed, html wrapper dropped."""
    piece_fmt, body = _split_format(text, fmt)
    body = _restore(body.strip()).strip()
    return _unwrap_html(body) if piece_fmt == "html" else body


def _parse_weight(text: str) -> tuple[float | None, str]:
    """Read a leading ``%50%`` weight as a fraction, returning it and the rest of the answer."""
    match = _WEIGHT_RE.match(text)
    if not match:
        return None, text
    return round(float(match.group(1).replace(",", ".")) / 100.0, 7), text[match.end():]


def _number(text: str) -> int | float:
    """Parse a GIFT number, keeping integers as int so YAML and GIFT agree on ``14`` vs ``14.0``."""
    text = text.strip()
    if _INT_RE.fullmatch(text):
        return int(text)
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    raise _Refusal(f"numeric answer {text!r} is not a number")


def _split_explanation(general: str) -> tuple[str, str]:
    """Split ``explanation (Sumber: source)`` into its parts; the source may contain parentheses."""
    text = general.strip()
    start = text.rfind(_SOURCE_MARK)
    if start == -1 or not text.endswith(")"):
        return text, ""
    return text[:start].strip(), text[start + len(_SOURCE_MARK):-1].strip()


def _category_tags(path: str) -> list[str]:
    """Tags for a ``$CATEGORY`` path: the last real segment slugified and ``cat:<path>``."""
    segments = [s.strip() for s in path.split("/") if s.strip()]
    meaningful = [s for s in segments if not (s.startswith("$") and s.endswith("$")) and s.lower() != "top"]
    if not meaningful:
        return []
    tags = []
    slug = slugify(meaningful[-1])
    if slug:
        tags.append(slug)
    if path.strip() != slug:
        # A one-word category that is already a slug needs no second tag; any real path keeps its own.
        tags.append(f"cat:{path.strip()}")
    return tags


def _comment_tokens(comments: Sequence[str]) -> dict[str, list[str]]:
    """Collect ``[id:..]``, ``[tag:..]``, ``[points:..]``, ``[scoring:..]`` tokens from comment lines."""
    found: dict[str, list[str]] = {}
    for comment in comments:
        for name, value in _TOKEN_RE.findall(comment):
            found.setdefault(name, []).append(value.replace("\\]", "]").strip())
    return found
