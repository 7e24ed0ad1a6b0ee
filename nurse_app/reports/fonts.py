"""The CJK font of the reports, registered once with reportlab.

Droid Sans Fallback (Apache 2.0, ``resources/fonts/README.md``) is a TrueType
font with Han, Latin and digits in one face, so a report needs no font
switching. reportlab embeds TrueType fonts as subsets of the glyphs actually
used; it cannot embed the CFF-based Noto CJK OTFs, which is why Noto is not used
here. The face has no bold; headings differ by size instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from nurse_app.domain.errors import DomainError

__all__ = ["FONT_FILE", "FONT_NAME", "ReportFontMissing", "fonts_dir", "register_report_font"]

FONT_NAME = "DroidSansFallback"
FONT_FILE = "DroidSansFallbackFull.ttf"


class ReportFontMissing(DomainError):
    """The bundled CJK font is not where the application expects it."""


def fonts_dir() -> Path:
    """``resources/fonts`` of the repository (beside the ``nurse_app`` package in a frozen build)."""
    return Path(__file__).resolve().parents[2] / "resources" / "fonts"


@lru_cache(maxsize=1)
def register_report_font() -> str:
    """Register the report font with reportlab (once per process) and return its name."""
    path = fonts_dir() / FONT_FILE
    if not path.is_file():
        raise ReportFontMissing(
            f"report font {path} is missing: the application was installed without resources/fonts "
            "(reinstall it, or copy DroidSansFallbackFull.ttf from the Debian package fonts-droid-fallback)"
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
    # Same face for every style: <b> in a paragraph must not fall back to Helvetica (no Han glyphs).
    pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME)
    return FONT_NAME
