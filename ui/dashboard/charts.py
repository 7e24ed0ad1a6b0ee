"""Two small QPainter charts a manager reads at a glance (no QtCharts: it is not in PySide6-Essentials).

``LineChart``: a rate over weeks or months, with the target as a dashed line.
``BarChart``: one horizontal bar per ward / nurse / plan, coloured against the target.
Values are fractions 0–1; ``None`` (no population) leaves a gap rather than a false 0 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GOOD = QColor("#2e7d32")
WARN = QColor("#b7791f")
BAD = QColor("#c62828")
LINE = QColor("#1d4ed8")
GRID = QColor("#e5e7eb")
TEXT = QColor("#374151")
NONE = QColor("#9ca3af")


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def colour_for(
    value: float | None, target: float | None, higher_is_better: bool | None, margin: float = 0.02
) -> QColor:
    if value is None:
        return NONE
    if target is None or higher_is_better is None:
        return LINE
    shortfall = target - value if higher_is_better else value - target
    return GOOD if shortfall <= 1e-12 else WARN if shortfall <= margin else BAD


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: QColor


class LineChart(QWidget):
    """Rates over time: one or more series, x labels, an optional dashed target line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.labels: tuple[str, ...] = ()
        self.series: tuple[Series, ...] = ()
        self.target: float | None = None
        self.target_text = ""
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 220)

    def set_data(
        self,
        title: str,
        labels: Sequence[str],
        series: Sequence[Series],
        target: float | None = None,
        target_text: str = "",
    ) -> None:
        self.title, self.labels, self.series = title, tuple(labels), tuple(series)
        self.target, self.target_text = target, target_text
        self.update()

    def _top(self) -> float:
        values = [v for s in self.series for v in s.values if v is not None]
        if self.target is not None:
            values.append(self.target)
        peak = max(values, default=0.0)
        # Small rates (a miss rate of 4 %) get a scale that shows them; rates near 100 % use 0–100 %.
        for top in (0.1, 0.2, 0.5, 1.0):
            if peak <= top * 0.95 or top == 1.0:
                return top
        return 1.0

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        line_h = metrics.height()
        painter.setPen(TEXT)
        painter.drawText(QRectF(0, 0, self.width(), line_h + 2), Qt.AlignmentFlag.AlignLeft, self.title)
        # Legend on the title line, right-aligned; on a line of its own when both do not fit
        # (English series names are two to three times as wide as the Chinese ones).
        legend_w = sum(metrics.horizontalAdvance(s.name) + 26 for s in self.series)
        legend_line = 0 if metrics.horizontalAdvance(self.title) + 12 + legend_w <= self.width() - 4 else 1
        base = legend_line * line_h
        x = self.width() - 4
        for s in reversed(self.series):
            width = metrics.horizontalAdvance(s.name)
            x -= width
            painter.setPen(s.colour)
            painter.drawText(QPointF(x, base + line_h - 3), s.name)
            x -= 14
            painter.fillRect(QRectF(x, base + line_h / 2 - 3, 10, 6), s.colour)
            x -= 12
        left = metrics.horizontalAdvance("100%") + 8
        plot_top = base + line_h + 8
        plot = QRectF(left, plot_top, self.width() - left - 10, self.height() - plot_top - line_h - 8)
        if plot.width() <= 10 or plot.height() <= 10:
            return
        top = self._top()
        painter.setPen(QPen(GRID, 1))
        steps = 5 if top in (0.1, 0.5) else 4  # whole-percent ticks: 0/10/20… or 0/25/50…
        for step in range(steps + 1):
            fraction = step / steps
            y = plot.bottom() - fraction * plot.height()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(TEXT)
            painter.drawText(
                QRectF(0, y - line_h / 2, left - 4, line_h),
                Qt.AlignmentFlag.AlignRight,
                f"{top * fraction * 100:.0f}%",
            )
            painter.setPen(QPen(GRID, 1))
        count = max(1, len(self.labels))
        slot = plot.width() / count

        def point(index: int, value: float) -> QPointF:
            return QPointF(
                plot.left() + slot * (index + 0.5), plot.bottom() - min(value, top) / top * plot.height()
            )

        painter.setPen(TEXT)
        for index, label in enumerate(self.labels):
            rect = QRectF(plot.left() + slot * index, plot.bottom() + 2, slot, line_h + 2)
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignHCenter,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(slot)),
            )
        if self.target is not None:
            pen = QPen(BAD, 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            y = plot.bottom() - min(self.target, top) / top * plot.height()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            if self.target_text:
                painter.drawText(QPointF(plot.left() + 4, y - 3), self.target_text)
        for s in self.series:
            painter.setPen(QPen(s.colour, 2))
            previous: QPointF | None = None
            for index, value in enumerate(s.values):
                if value is None:
                    previous = None
                    continue
                here = point(index, value)
                if previous is not None:
                    painter.drawLine(previous, here)
                painter.setBrush(s.colour)
                painter.drawEllipse(here, 3, 3)
                previous = here
        painter.end()


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None
    text: str  # shown after the bar, e.g. "4.2% (3/71)"


class BarChart(QWidget):
    """Horizontal bars, one per group, coloured good / warn / bad against the target."""

    BAR_H = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.bars: tuple[Bar, ...] = ()
        self.target: float | None = None
        self.higher_is_better: bool | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(
        self, title: str, bars: Sequence[Bar], target: float | None, higher_is_better: bool | None
    ) -> None:
        self.title, self.bars = title, tuple(bars)
        self.target, self.higher_is_better = target, higher_is_better
        self.setMinimumHeight(self._height())
        self.updateGeometry()
        self.update()

    def _height(self) -> int:
        line_h = QFontMetrics(self.font()).height()
        return line_h + 10 + max(1, len(self.bars)) * (self.BAR_H + 6)

    def sizeHint(self) -> QSize:
        return QSize(420, self._height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        line_h = metrics.height()
        painter.setPen(TEXT)
        painter.drawText(QRectF(0, 0, self.width(), line_h + 2), Qt.AlignmentFlag.AlignLeft, self.title)
        label_w = min(
            max((metrics.horizontalAdvance(b.label) for b in self.bars), default=40) + 8, self.width() // 3
        )
        text_w = max((metrics.horizontalAdvance(b.text) for b in self.bars), default=40) + 8
        area = QRectF(label_w, line_h + 8, max(10.0, self.width() - label_w - text_w - 4), 0)
        top = max([b.value for b in self.bars if b.value is not None] + [self.target or 0.0, 0.05])
        top = 1.0 if top > 0.5 else top * 1.15
        for index, bar in enumerate(self.bars):
            y = area.top() + index * (self.BAR_H + 6)
            painter.setPen(TEXT)
            label = metrics.elidedText(bar.label, Qt.TextElideMode.ElideMiddle, int(label_w - 6))
            painter.drawText(
                QRectF(0, y, label_w - 6, self.BAR_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            width = 0.0 if bar.value is None else area.width() * min(bar.value, top) / top
            painter.fillRect(
                QRectF(area.left(), y + 2, max(width, 1.0), self.BAR_H - 4),
                colour_for(bar.value, self.target, self.higher_is_better),
            )
            painter.setPen(TEXT)
            painter.drawText(
                QRectF(area.left() + width + 4, y, text_w, self.BAR_H),
                Qt.AlignmentFlag.AlignVCenter,
                bar.text,
            )
        if self.target is not None and self.bars:
            x = area.left() + area.width() * min(self.target, top) / top
            painter.setPen(QPen(BAD, 1, Qt.PenStyle.DashLine))
            painter.drawLine(
                QPointF(x, area.top() - 2), QPointF(x, area.top() + len(self.bars) * (self.BAR_H + 6))
            )
        painter.end()
