"""Printable certificate layout: one A4-landscape PDF page with a QR code to the verify page.

The paper is a convenience copy; the verify page is the record (CERT-3). So the page prints the
verification code under the QR code, names the site in text (CERT-9) and says plainly that it is
a training certificate, not the BPJPH registration of a Pendamping PPH (domain brief §4.6).

``cert`` keys used (all strings unless noted; missing optional keys are simply left out):

* ``holder_name`` (required), ``number`` (required), ``verification_code`` (required),
* ``province``, ``course_title`` (required), ``course_version``, ``content_valid_as_of``
  (date: the "berlaku per" date of the course content), ``cohort_name``, ``start_date``,
  ``end_date`` (dates), ``jp`` (teaching hours, number), ``issued_at`` (date or datetime),
  ``valid_until`` (date), ``issuer_name`` (line above the title).

Dates may be ``date``, ``datetime`` (its own calendar date is used, so pass local time) or ISO
strings. Text is NFC-normalised. Fonts come from ``certificates.pdf_fonts``, words and dates from
``certificates.pdf_labels``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from fpdf import FPDF

from certificates.numbering import display_code
from certificates.pdf_fonts import FAMILY, _install_fonts
from certificates.pdf_labels import LABELS, _lang, format_date, format_date_range

PAGE_W, PAGE_H = 297.0, 210.0
GREEN = (27, 77, 62)
GOLD = (176, 141, 87)
INK = (33, 37, 41)
MUTED = (98, 106, 114)

# ---------------------------------------------------------------------------------------------
# Layout helpers
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(value: object) -> str:
    """NFC-normalise and drop control characters so user text cannot upset the layout."""
    if value is None:
        return ""
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(value))).strip()


def _fit_size(pdf: FPDF, text: str, style: str, size: float, max_w: float, min_size: float) -> float:
    """Largest font size not above ``size`` at which ``text`` fits in ``max_w`` millimetres."""
    pdf.set_font(FAMILY, style, size)
    width = pdf.get_string_width(text)
    if width <= max_w:
        return size
    return max(min_size, size * max_w / width)


def _centered(
    pdf: FPDF,
    y: float,
    text: str,
    *,
    size: float,
    style: str = "",
    color: tuple[int, int, int] = INK,
    x: float = 0.0,
    w: float = PAGE_W,
    min_size: float | None = None,
    h: float | None = None,
) -> None:
    """One centred line, shrunk to fit its box when ``min_size`` allows."""
    if not text:
        return
    if min_size is not None:
        size = _fit_size(pdf, text, style, size, w - 4, min_size)
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.set_xy(x, y)
    pdf.cell(w=w, h=h or size * 0.45, text=text, align="C")


def _site(url: str) -> str:
    """The host (and port) a person should see printed, for phishing resistance (CERT-9)."""
    return urlsplit(url).netloc or url


def _qr_png(url: str) -> bytes:
    """Encode the verify URL as a QR PNG; whole-pixel modules keep the print crisp."""
    qr = segno.make(url, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=4, border=0, dark="#1b1d1f", light="#ffffff")
    return buf.getvalue()


def _draw_frame(pdf: FPDF) -> None:
    """Double border and small corner marks: calm, formal, printer-friendly."""
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(1.1)
    pdf.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.rect(11.5, 11.5, PAGE_W - 23, PAGE_H - 23)
    pdf.set_fill_color(*GOLD)
    for cx, cy in ((11.5, 11.5), (PAGE_W - 11.5, 11.5), (11.5, PAGE_H - 11.5), (PAGE_W - 11.5, PAGE_H - 11.5)):
        pdf.polygon([(cx, cy - 2.2), (cx + 2.2, cy), (cx, cy + 2.2), (cx - 2.2, cy)], style="F")


def _rule_line(pdf: FPDF, y: float, half_width: float) -> None:
    """A short gold rule centred on the page, used to separate the heading blocks."""
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.line(PAGE_W / 2 - half_width, y, PAGE_W / 2 + half_width, y)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render_certificate_pdf(
    cert: Mapping[str, Any],
    verify_url: str,
    *,
    title: str,
    statement: str,
    signatories: Sequence[Mapping[str, Any]],
    lang: str = "id",
) -> bytes:
    """Render one certificate as PDF bytes (A4 landscape, Unicode text, QR to ``verify_url``)."""
    labels = LABELS[_lang(lang)]
    for key in ("holder_name", "number", "verification_code", "course_title"):
        if not cert.get(key):
            raise ValueError(f"cert[{key!r}] is required")
    if not verify_url.startswith(("https://", "http://")):
        raise ValueError("verify_url must be an absolute http(s) URL")
    if len(signatories) > 4:
        raise ValueError("at most four signatories fit on the page")
    for s in signatories:
        if s.get("image_path") and not Path(s["image_path"]).is_file():
            raise FileNotFoundError(f"signature image not found: {s['image_path']}")

    holder = _clean(cert["holder_name"])
    number = _clean(cert["number"])
    code = display_code(str(cert["verification_code"]))
    site = _site(verify_url)
    title_text = _clean(title)
    statement_text = _clean(statement)
    course = _clean(cert["course_title"])
    issuer = _clean(cert.get("issuer_name")).upper()
    province = _clean(cert.get("province"))

    details1 = []
    if cert.get("course_version"):
        details1.append(f"{labels['version']} {_clean(cert['course_version'])}")
    if cert.get("content_valid_as_of"):
        details1.append(f"{labels['valid_as_of']} {format_date(cert['content_valid_as_of'], lang)}")
    details2 = []
    if cert.get("cohort_name"):
        details2.append(f"{labels['cohort']}: {_clean(cert['cohort_name'])}")
    dates = format_date_range(cert.get("start_date"), cert.get("end_date"), lang)
    if dates:
        details2.append(dates)
    if cert.get("jp"):
        jp = cert["jp"]
        details2.append(labels["hours"].format(jp=f"{jp:g}" if isinstance(jp, float) else jp))
    issued_line = ""
    if cert.get("issued_at"):
        issued_line = f"{labels['issued']} {format_date(cert['issued_at'], lang)}"
    if cert.get("valid_until"):
        until = f"{labels['valid_until']} {format_date(cert['valid_until'], lang)}"
        issued_line = f"{issued_line} \u00b7 {until}" if issued_line else until
    line1 = " \u00b7 ".join(details1)
    line2 = " \u00b7 ".join(details2)
    sigs = [(_clean(s.get("name")), _clean(s.get("role")), s.get("image_path")) for s in signatories]
    disclaimer = labels["disclaimer"]
    check = labels["check"].format(site=site)

    texts = [
        holder,
        number,
        code,
        site,
        title_text,
        statement_text,
        course,
        issuer,
        province,
        line1,
        line2,
        issued_line,
        disclaimer,
        check,
        labels["awarded_to"],
        labels["code"],
        labels["scan"],
        *(n + r for n, r, _ in sigs),
    ]

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    _install_fonts(pdf, texts)
    pdf.set_title(f"{title_text} \u2013 {holder}")
    pdf.set_subject(f"{number} \u00b7 {course}")
    if issuer:
        pdf.set_author(issuer)
    pdf.set_creator("Bimtek Halal")
    pdf.set_lang("id-ID" if lang == "id" else "en")
    pdf.add_page()
    _draw_frame(pdf)

    # Heading block
    if issuer:
        pdf.set_char_spacing(1.2)
        _centered(pdf, 19, issuer, size=9.5, style="B", color=GREEN, x=20, w=PAGE_W - 40, min_size=6.5)
        pdf.set_char_spacing(0)
    pdf.set_char_spacing(1.5)
    _centered(pdf, 26, title_text.upper(), size=26, style="B", color=GREEN, x=20, w=PAGE_W - 40, min_size=14)
    pdf.set_char_spacing(0)
    _centered(pdf, 40, labels["number"].format(number=number), size=10.5, color=MUTED)
    _rule_line(pdf, 48, 22)

    # Holder
    _centered(pdf, 53, labels["awarded_to"], size=11, color=MUTED)
    _centered(pdf, 60, holder, size=27, style="B", x=25, w=PAGE_W - 50, min_size=13, h=12)
    if province:
        _centered(pdf, 74, f"{labels['province']} {province}", size=11.5, color=MUTED)

    # Statement, course and details
    y = 84.0
    if statement_text:
        pdf.set_font(FAMILY, "", 11.5)
        pdf.set_text_color(*INK)
        pdf.set_xy(38.5, y)
        pdf.multi_cell(w=220, h=5.6, text=statement_text, align="C", max_line_height=5.6)
        y = pdf.get_y() + 2.5
    pdf.set_font(FAMILY, "B", 15)
    pdf.set_text_color(*GREEN)
    pdf.set_xy(28.5, y)
    pdf.multi_cell(w=240, h=7, text=course, align="C")
    y = pdf.get_y() + 1.5
    for line in (line1, line2):
        if line:
            _centered(pdf, y, line, size=10, color=INK, x=20, w=PAGE_W - 40, min_size=7)
            y += 5.2

    # QR block (left)
    # The labels start 4 mm below the code: the QR quiet zone (4 modules) stays clear.
    qr_size, qr_x, qr_y = 33.0, 31.5, 135.0
    pdf.image(io.BytesIO(_qr_png(verify_url)), x=qr_x, y=qr_y, w=qr_size, h=qr_size)
    col_x, col_w = 14.0, 68.0
    _centered(pdf, qr_y + qr_size + 4.0, labels["code"], size=6.5, color=MUTED, x=col_x, w=col_w)
    _centered(pdf, qr_y + qr_size + 7.2, code, size=8, style="B", x=col_x, w=col_w, min_size=5.5)
    _centered(pdf, qr_y + qr_size + 11.0, labels["scan"], size=6.5, color=MUTED, x=col_x, w=col_w, min_size=5)

    # Signatories (right)
    area_x, area_w = 92.0, PAGE_W - 92.0 - 18.0
    _centered(pdf, 134, issued_line, size=10, color=INK, x=area_x, w=area_w, min_size=7)
    if sigs:
        col = area_w / len(sigs)
        for i, (name, role, image) in enumerate(sigs):
            cx = area_x + col * i
            if image:
                box_w = min(50.0, col - 8)
                pdf.image(str(image), x=cx + (col - box_w) / 2, y=142, w=box_w, h=20, keep_aspect_ratio=True)
            pdf.set_draw_color(*INK)
            pdf.set_line_width(0.25)
            half = min(28.0, col / 2 - 4)
            pdf.line(cx + col / 2 - half, 164, cx + col / 2 + half, 164)
            _centered(pdf, 166, name, size=10.5, style="B", x=cx, w=col, min_size=7)
            _centered(pdf, 171.5, role, size=8.8, color=MUTED, x=cx, w=col, min_size=6)

    # Footer
    _rule_line(pdf, 186.5, 60)
    _centered(pdf, 188.5, disclaimer, size=7.6, style="B", color=INK, x=16, w=PAGE_W - 32, min_size=6)
    _centered(pdf, 192.8, check, size=7.2, color=MUTED, x=16, w=PAGE_W - 32, min_size=5.5)
    return bytes(pdf.output())


def _filename(cert: Mapping[str, Any]) -> str:
    """A safe, readable file name from the certificate number (or code)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", str(cert.get("number") or cert.get("verification_code") or ""))
    return (base.strip("-._") or "sertifikat")[:80]


def render_many(
    certs: Iterable[Mapping[str, Any]],
    verify_url_for: Callable[[Mapping[str, Any]], str],
    *,
    title: str,
    statement: str,
    signatories: Sequence[Mapping[str, Any]],
    lang: str = "id",
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(file name, pdf bytes)`` one at a time so a bulk ZIP never holds every PDF in memory."""
    seen: dict[str, int] = {}
    for cert in certs:
        name = _filename(cert)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}-{seen[name]}"
        pdf = render_certificate_pdf(
            cert, verify_url_for(cert), title=title, statement=statement, signatories=signatories, lang=lang
        )
        yield f"{name}.pdf", pdf
