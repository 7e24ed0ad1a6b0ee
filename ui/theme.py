"""Fonts and the few colours of the desk: Noto CJK when present, a large elderly-friendly mode."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

NORMAL_POINT_SIZE = 10
LARGE_POINT_SIZE = 13
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
)

ALERT_RED = QColor("#c62828")
ALERT_BACKGROUND = QColor("#fdecea")
OVERDUE_ORANGE = QColor("#b45309")
MUTED_GREY = QColor("#6b7280")

_STYLE = """
QPushButton#outcome { padding: 4px 6px; }
QLabel#patientName { font-size: %(big)dpt; font-weight: 600; }
QLabel#callResult { color: #1d4ed8; font-weight: 600; }
QLabel#loginError { color: #c62828; }
QLabel#offlineHint { color: #6b7280; }
"""


def ui_family() -> str | None:
    families = set(QFontDatabase.families())
    return next((family for family in PREFERRED_FAMILIES if family in families), None)


def apply_theme(app: QApplication, *, large: bool) -> None:
    """Set the application font (CJK-capable) and size; widgets follow the application font."""
    size = LARGE_POINT_SIZE if large else NORMAL_POINT_SIZE
    font = QFont(app.font())
    family = ui_family()
    if family:
        font.setFamily(family)
    font.setPointSize(size)
    app.setFont(font)
    app.setStyleSheet(_STYLE % {"big": size + 4})
