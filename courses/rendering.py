"""Markdown to safe HTML, once at save time: Python-Markdown, then an nh3 allow-list."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import markdown
import nh3

EXTENSIONS = ["tables", "footnotes", "admonition", "fenced_code", "sane_lists", "toc"]
EXTENSION_CONFIGS = {
    "footnotes": {"BACKLINK_TEXT": "↩", "UNIQUE_IDS": False, "BACKLINK_TITLE": "Kembali ke teks (catatan %d)"},
    "toc": {"permalink": False},
}

TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "sub", "sup", "small", "mark", "abbr", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "a", "img", "code", "pre", "kbd", "div", "span", "figure", "figcaption",
}
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "li": {"id"},
    "sup": {"id"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "abbr": {"title"},
}
CLASSES = {
    "div": {"admonition", "penting", "catatan", "note", "warning", "tip", "footnote"},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "code": {"language-text", "language-python", "language-json", "language-yaml"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_ASSET_RE = re.compile(r'(src|href)="assets/([A-Za-z0-9._-]{1,120})"')


_local = threading.local()


def _converter() -> markdown.Markdown:
    """One Markdown instance per thread: building one costs milliseconds, reusing it after reset() is cheap."""
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                           output_format="html")
    return md


def render_markdown(text: str, asset_url: Callable[[str], str | None] | None = None) -> str:
    """Render trusted-format, untrusted-content Markdown to sanitised HTML.

    `asset_url` maps a package asset name (assets/NAME) to the URL it is served from.
    """
    html = _converter().reset().convert(text or "")
    if asset_url is not None:
        def _swap(match: re.Match) -> str:
            url = asset_url(match.group(2))
            return f'{match.group(1)}="{url}"' if url else match.group(0)

        html = _ASSET_RE.sub(_swap, html)
    return sanitise(html)


def sanitise(html: str) -> str:
    """The one allow-list every stored HTML fragment passes through."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def reading_minutes(text: str, words_per_minute: int = 180) -> int:
    """A reading-time estimate for Indonesian text on a phone."""
    words = len(re.findall(r"\w+", text or ""))
    return max(1, round(words / words_per_minute))


def plain_text(html: str) -> str:
    """Strip tags for diffs and search."""
    return re.sub(r"\s+", " ", nh3.clean(html or "", tags=set())).strip()
