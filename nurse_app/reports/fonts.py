"""The report fonts, registered once with reportlab, and text split into runs each font can draw.

Droid Sans Fallback (``resources/fonts``, Apache 2.0) is a TrueType CJK font
that reportlab can subset-embed (it cannot embed the CFF-based Noto CJK OTFs).
Being a *fallback* face it has no ASCII at all — no digits, Latin letters,
spaces or ``%`` — so Latin text is set in DejaVu Sans (also TrueType, also
embedded as a subset). reportlab has no per-glyph font fallback, hence the
helpers here: :func:`markup` tags runs inside a Paragraph, :func:`runs` splits
text for canvas and chart strings. Neither face has a bold; headings use size.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Group, String
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from nurse_app.domain.errors import DomainError

__all__ = [
    "CJK_FONT",
    "LATIN_FONT",
    "ReportFontMissing",
    "best_font",
    "draw_text",
    "fonts_dir",
    "markup",
    "register_report_fonts",
    "runs",
    "text_group",
    "text_width",
]

CJK_FONT = "DroidSansFallback"
LATIN_FONT = "DejaVuSans"
_FILES = {CJK_FONT: "DroidSansFallbackFull.ttf", LATIN_FONT: "DejaVuSans.ttf"}


class ReportFontMissing(DomainError):
    """A bundled report font is not where the application expects it."""


def fonts_dir() -> Path:
    """``resources/fonts`` of the repository (beside the ``nurse_app`` package in a frozen build)."""
    return Path(__file__).resolve().parents[2] / "resources" / "fonts"


@lru_cache(maxsize=1)
def _cjk_coverage() -> frozenset[int]:
    """Code points the CJK face has a glyph for."""
    register_report_fonts()
    return frozenset(pdfmetrics.getFont(CJK_FONT).face.charToGlyph)  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def register_report_fonts() -> str:
    """Register both faces (once per process); returns the name of the paragraph base font (the CJK one)."""
    for name, file in _FILES.items():
        path = fonts_dir() / file
        if not path.is_file():
            raise ReportFontMissing(
                f"report font {path} is missing: the application was installed without resources/fonts "
                "(reinstall it; see resources/fonts/README.md for where the fonts come from)"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
        # Same face for every style, so a <b> can never fall back to Helvetica (which has no Han).
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return CJK_FONT


def runs(text: str) -> Iterator[tuple[str, str]]:
    """``(font, piece)`` pairs: Han and full-width punctuation in the CJK face, everything else in Latin."""
    cjk = _cjk_coverage()
    current, piece = "", []
    for char in text:
        font = CJK_FONT if ord(char) in cjk and ord(char) > 0x2E7F else LATIN_FONT
        if font != current and piece:
            yield current, "".join(piece)
            piece = []
        current = font
        piece.append(char)
    if piece:
        yield current, "".join(piece)


def markup(text: str) -> str:
    """Paragraph markup of plain ``text`` (escaped; newlines become ``<br/>``) with Latin runs tagged."""
    parts = []
    for font, piece in runs(text):
        body = escape(piece).replace("\n", "<br/>")
        parts.append(body if font == CJK_FONT else f'<font name="{LATIN_FONT}">{body}</font>')
    return "".join(parts)


def text_width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in runs(text))


def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float, anchor: str = "start") -> None:
    """Draw mixed text on a canvas; ``anchor`` is ``start``, ``middle`` or ``end``."""
    width = text_width(text, size)
    x -= {"start": 0, "middle": width / 2, "end": width}[anchor]
    for font, piece in runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, font, size)


def text_group(x: float, y: float, text: str, size: float, anchor: str = "start", **style: object) -> Group:
    """Mixed text as a chart Group of Strings (reportlab graphics draw one font per String)."""
    width = text_width(text, size)
    x -= {"start": 0, "middle": width / 2, "end": width}[anchor]
    group = Group()
    for font, piece in runs(text):
        group.add(String(x, y, piece, fontName=font, fontSize=size, **style))
        x += pdfmetrics.stringWidth(piece, font, size)
    return group


def best_font(text: str) -> str:
    """The face for a label that must be one String (chart axis labels): the one covering most of it."""
    cjk = sum(len(piece) for font, piece in runs(text) if font == CJK_FONT)
    return CJK_FONT if cjk * 2 > len(text) else LATIN_FONT
