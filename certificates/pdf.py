"""Printable certificate: one A4-landscape PDF page with a QR code to the verify page.

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
strings. Text is NFC-normalised.

Speed: fpdf2 parses a TrueType font on every ``add_font`` and subsets it on every ``output``,
which together cost ~100 ms for DejaVu Sans. This module therefore (1) builds, once per process,
an in-memory DejaVu subset covering Latin-1, Latin Extended-A and common punctuation, (2) parses it once
into prototype font objects and (3) gives every new PDF a cheap copy with its own fontTools
handle. Text with characters outside that subset falls back to the full DejaVu files (slower,
still correct). If a future fpdf2 changes the internals this relies on, the code falls back to
plain ``add_font``. :func:`preload_fonts` lets the app warm the cache at start-up.
"""

from __future__ import annotations

from certificates.pdf_fonts import FAMILY, FONT_DIR, FONT_FILES, preload_fonts  # noqa: F401
from certificates.pdf_labels import LABELS, MONTHS, format_date, format_date_range  # noqa: F401
from certificates.pdf_layout import (  # noqa: F401  (page constants kept importable from here too)
    GOLD,
    GREEN,
    INK,
    MUTED,
    PAGE_H,
    PAGE_W,
    render_certificate_pdf,
    render_many,
)

__all__ = [
    "FONT_DIR",
    "format_date",
    "format_date_range",
    "preload_fonts",
    "render_certificate_pdf",
    "render_many",
]
