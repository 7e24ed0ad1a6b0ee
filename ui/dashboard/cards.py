"""A headline figure as a card: value coloured good / warn / bad, previous period, target; click to drill."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from nurse_app.reports.headline import Figure, Status
from nurse_app.reports.labels import Labels, fmt_value
from ui.dashboard.texts import figure_name
from ui.i18n import _

STATUS_COLOURS = {
    Status.GOOD: ("#1b5e20", "#e8f5e9"),
    Status.WARN: ("#8a5a00", "#fff4d6"),
    Status.BAD: ("#b71c1c", "#fdecea"),
    None: ("#1f2937", "#f3f4f6"),
}


def status_word(status: Status | None) -> str:
    return {Status.GOOD: _("On target"), Status.WARN: _("Near target"), Status.BAD: _("Off target")}.get(
        status, ""
    )


def change_text(figure: Figure) -> str:
    """'上期 4.1% ↑': the arrow says which way the number moved; the card's colour says if that is good."""
    before = fmt_value(figure.kind, figure.previous)
    if figure.value is None or figure.previous is None or figure.value == figure.previous:
        arrow = ""
    else:
        arrow = " ↑" if figure.value > figure.previous else " ↓"
    return _("Previous {value}").format(value=before) + arrow


def target_text(figure: Figure) -> str:
    if figure.target is None:
        return _("No target")
    goal = fmt_value(figure.kind, figure.target)
    return (_("Target ≥ {goal}") if figure.higher_is_better else _("Target ≤ {goal}")).format(goal=goal)


class FigureCard(QFrame):
    """One number; ``sig_clicked(key)`` when it has tasks behind it."""

    sig_clicked = Signal(str)

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.drillable = False
        self.figure: Figure | None = None
        self.setObjectName("figureCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        self.name = QLabel()
        self.name.setWordWrap(True)
        self.value = QLabel("-")
        self.value.setObjectName("figureValue")
        self.previous = QLabel()
        self.target = QLabel()
        for label in (self.name, self.value, self.previous, self.target):
            layout.addWidget(label)
        self._paint(None)

    def set_figure(self, figure: Figure, labels: Labels, drillable: bool) -> None:
        self.figure = figure
        self.drillable = drillable
        self.name.setText(figure_name(labels, figure.key))
        value = fmt_value(figure.kind, figure.value)
        if figure.kind == "seconds" and figure.value is not None:
            value = _("{seconds} s").format(seconds=value)
        self.value.setText(value)
        self.previous.setText(change_text(figure))
        word = status_word(figure.status)
        self.target.setText(target_text(figure) + (f" · {word}" if word else ""))
        counts = f" ({figure.numerator}/{figure.denominator})" if figure.denominator else ""
        tip = f"{labels[figure.key]}: {fmt_value(figure.kind, figure.value)}{counts}"
        if drillable:
            tip += "\n" + _("Click to see the tasks behind this number")
        self.setToolTip(tip)
        self.setCursor(Qt.CursorShape.PointingHandCursor if drillable else Qt.CursorShape.ArrowCursor)
        self._paint(figure.status)

    def _paint(self, status: Status | None) -> None:
        fg, bg = STATUS_COLOURS[status]
        self.setStyleSheet(
            f"QFrame#figureCard {{ background: {bg}; border: 1px solid #d1d5db; border-radius: 6px; }}"
            f"QLabel#figureValue {{ color: {fg}; font-size: 17pt; font-weight: 600; }}"
            "QLabel { background: transparent; }"
        )

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.drillable and event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit(self.key)
        super().mouseReleaseEvent(event)
