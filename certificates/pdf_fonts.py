"""DejaVu fonts for the certificate PDF, parsed once per process and shared by every document.

Speed: fpdf2 parses a TrueType font on every ``add_font`` and subsets it on every ``output``,
which together cost ~100 ms for DejaVu Sans. This module therefore (1) builds, once per process,
an in-memory DejaVu subset covering Latin-1, Latin Extended-A and common punctuation, (2) parses it once
into prototype font objects and (3) gives every new PDF a cheap copy with its own fontTools
handle. Text with characters outside that subset falls back to the full DejaVu files (slower,
still correct). If a future fpdf2 changes the internals this relies on, the code falls back to
plain ``add_font``. :func:`preload_fonts` lets the app warm the cache at start-up.
"""

from __future__ import annotations

import copy
import io
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "dejavu"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}

# ---------------------------------------------------------------------------------------------
# Fonts, loaded once per process
# ---------------------------------------------------------------------------------------------

# Latin-1, Latin Extended-A and common punctuation: enough for Indonesian and English names and
# text. Anything else (Vietnamese, Cyrillic, Arabic…) switches to the full font files.
_LATIN_RANGES = [
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x2010, 0x2027),
    (0x2030, 0x203A),
    (0x20AC, 0x20AC),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
]
_DROP_TABLES = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "kern"]


class _FontSet:
    """Parsed DejaVu fonts (one prototype per style) shared by every PDF in this process."""

    def __init__(self, datas: Mapping[str, bytes]) -> None:
        holder = FPDF()
        self.data = dict(datas)
        self.protos: dict[str, TTFFont] = {}
        for style, data in self.data.items():
            self.protos[style] = TTFFont(holder, io.BytesIO(data), FAMILY + style, style)  # type: ignore[arg-type]
        self.coverage = frozenset(self.protos[""].cmap) & frozenset(self.protos["B"].cmap)

    def install(self, pdf: FPDF) -> None:
        """Give ``pdf`` its own copies: shared metrics, private subset and font handle."""
        for style, proto in self.protos.items():
            font = copy.copy(proto)
            font.i = len(pdf.fonts) + 1
            font.ttfont = ttLib.TTFont(
                io.BytesIO(self.data[style]), recalcTimestamp=False, recalcBBoxes=False, lazy=True
            )
            font.missing_glyphs = []
            font.biggest_size_pt = 0
            font._hbfont = None
            font.subset = SubsetMap(font)
            pdf.fonts[proto.fontkey] = font


_LOCK = threading.Lock()
_SETS: dict[str, _FontSet | None] = {}


def _subset_bytes(path: Path) -> bytes:
    """Cut DejaVu down to Latin scripts so each PDF parses and subsets far less."""
    font = ttLib.TTFont(path, recalcTimestamp=False)
    options = ftsubset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        layout_features=[],
        hinting=False,
        name_IDs=["*"],
        name_languages=["*"],
        glyph_names=True,
    )
    options.drop_tables += _DROP_TABLES
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in _LATIN_RANGES for c in range(lo, hi + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _font_set(kind: str) -> _FontSet | None:
    """Build (once) the 'latin' subset set or the 'full' set; None if fpdf2 internals changed."""
    with _LOCK:
        if kind not in _SETS:
            try:
                if kind == "latin":
                    datas = {style: _subset_bytes(path) for style, path in FONT_FILES.items()}
                else:
                    datas = {style: path.read_bytes() for style, path in FONT_FILES.items()}
                _SETS[kind] = _FontSet(datas)
            except (AttributeError, TypeError):  # fpdf2 internals moved: use the public API
                _SETS[kind] = None
        return _SETS[kind]


def preload_fonts() -> None:
    """Parse the fonts now (about half a second) instead of on the first certificate."""
    _font_set("latin")


def _install_fonts(pdf: FPDF, texts: Iterable[str]) -> None:
    """Attach DejaVu regular and bold to ``pdf`` by the fastest route that covers ``texts``."""
    latin = _font_set("latin")
    needed = {ord(ch) for text in texts for ch in text}
    chosen = latin if latin is not None and needed <= latin.coverage else _font_set("full")
    if chosen is not None:
        try:
            chosen.install(pdf)
            return
        except (AttributeError, TypeError):
            pdf.fonts.pop(FAMILY, None)
            pdf.fonts.pop(FAMILY + "B", None)
    for style, path in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(path))
