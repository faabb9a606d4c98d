"""Module Markdown is rendered once and sanitised: a corpus of XSS payloads must come out inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from courses.rendering import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "[klik](javascript:alert(1))",
    "[klik](JAVASCRIPT:alert(1))",
    "[klik](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<body onload=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"color:red\">x</p>",
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "<object data=x.swf></object>",
    "<embed src=x.swf>",
    "<form action=//evil.example><input name=x></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<base href=//evil.example/>",
    "<a href=x onmouseover=alert(1)>x</a>",
    "<img src=\"x\" alt=\"\" onerror=\"alert(1)\">",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<table background=javascript:alert(1)>",
    "<td background=javascript:alert(1)>",
    "<div class=\"admonition penting\" onclick=alert(1)>x</div>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<img srcset=\"x 1x, javascript:alert(1) 2x\">",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<template><script>alert(1)</script></template>",
    "<xmp><script>alert(1)</script></xmp>",
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "!!! penting \"<img src=x onerror=alert(1)>\"\n    isi",
    "[^1]\n\n[^1]: <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "link", "meta", "base", "form", "svg", "math",
                  "input", "button", "body", "video", "audio", "template", "source", "noscript", "xmp", "details"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction", "background", "srcset"}:
                self.problems.append(f"attribute {name}")
            if name in {"href", "src"} and value and not value.startswith(("#", "/", "./")):
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower().split(":", 1)
                if len(scheme) == 2 and "/" not in scheme[0] and scheme[0] not in {"http", "https", "mailto"}:
                    self.problems.append(f"url scheme {scheme[0]}")


def live_markup_problems(html: str) -> list[str]:
    """What in the HTML would be live in a browser: forbidden tags, event handlers, unsafe URLs."""
    collector = _Collector()
    collector.feed(html)
    return collector.problems


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 50


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised(payload):
    html = render_markdown(payload)
    # code spans and blocks may show the payload as escaped text; nothing may remain as live markup
    assert live_markup_problems(html) == [], html


@pytest.mark.parametrize("payload", PAYLOADS[:10])
def test_payload_inside_rich_markdown(payload):
    html = render_markdown(f"# Judul\n\n{payload}\n\n| a | b |\n|---|---|\n| {payload} | 1 |\n")
    assert live_markup_problems(html) == []
    assert "<table>" in html


def test_allowed_markup_survives():
    html = render_markdown("## Sub\n\n> kutipan\n\n- a\n- b\n\n`kode`\n\n[tautan](https://bpjph.halal.go.id)")
    assert "<h2" in html and "<blockquote>" in html and "<ul>" in html and "<code>kode</code>" in html
    assert 'href="https://bpjph.halal.go.id"' in html and 'rel="noopener noreferrer"' in html
