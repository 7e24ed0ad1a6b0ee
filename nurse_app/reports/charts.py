"""The report's two charts as reportlab drawings (vector, no image files, same font as the text)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from nurse_app.reports.data import WardMonthFigures
from nurse_app.reports.fonts import LATIN_FONT, best_font, text_group
from nurse_app.reports.labels import Labels

__all__ = ["miss_trend_chart", "nurse_bar_chart"]

BLUE = colors.HexColor("#2F6DB5")
RED = colors.HexColor("#C0392B")
GREEN = colors.HexColor("#3C9D5D")
GREY = colors.HexColor("#888888")


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    # The renderer starts every drawing in this font: the default (Helvetica) would be referenced unembedded.
    drawing.initialFontName = LATIN_FONT
    return drawing


def _title(drawing: Drawing, text: str) -> None:
    drawing.add(text_group(0, drawing.height - 12, text, 10))


def miss_trend_chart(figures: WardMonthFigures, labels: Labels, width: float = 460) -> Drawing:
    """Weekly miss rate (%) as a line and the target as a dashed red line; empty weeks are left out."""
    drawing = _drawing(width, 170)
    _title(drawing, labels["trend"])
    points = [
        (index + 1, week.miss.value * 100)
        for index, week in enumerate(figures.weekly)
        if week.miss.value is not None
    ]
    weeks = max(len(figures.weekly), 1)
    target = figures.targets.miss_max * 100
    top = max([target, *(y for _, y in points)]) * 1.25 or 10
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 30, width - 60, 110
    plot.data = [points or [(1, 0)], [(0.5, target), (weeks + 0.5, target)]]
    plot.lines[0].strokeColor = BLUE if points else colors.white
    plot.lines[0].strokeWidth = 1.5
    plot.lines[0].symbol = makeMarker("FilledCircle", size=4, fillColor=BLUE)
    plot.lines[1].strokeColor = RED
    plot.lines[1].strokeDashArray = (4, 3)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0.5, weeks + 0.5
    plot.xValueAxis.valueSteps = [i + 1 for i in range(weeks)]
    # Each tick is the first day of its 7-day slice, in the ward's zone.
    starts = [w.period.start.astimezone(ZoneInfo(figures.zone)).strftime("%m-%d") for w in figures.weekly]
    plot.xValueAxis.labelTextFormat = lambda v: starts[int(v) - 1] if 1 <= int(v) <= len(starts) else ""
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, top
    plot.yValueAxis.labelTextFormat = "%.0f%%"
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = LATIN_FONT  # dates and percentages only
        axis.labels.fontSize = 8
    drawing.add(plot)
    y = plot.y + plot.height * target / top + 3
    drawing.add(
        text_group(plot.x + plot.width - 4, y, f"{labels['target']} {target:.0f}%", 7, "end", fillColor=RED)
    )
    return drawing


def nurse_bar_chart(figures: WardMonthFigures, labels: Labels, width: float = 460) -> Drawing:
    """Follow-ups completed and missed per nurse, side by side."""
    lines = figures.by_nurse
    drawing = _drawing(width, 190)
    _title(drawing, labels["nurse_chart"])
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 45, width - 150, 115
    chart.data = [
        [line.completed for line in lines] or [0],
        [line.rates.miss.numerator for line in lines] or [0],
    ]
    chart.bars[0].fillColor = GREEN
    chart.bars[1].fillColor = RED
    names = [_short(line.label or labels["unassigned"]) for line in lines] or [""]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.angle = 30 if len(lines) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(lines) > 6 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.labels.fontName = LATIN_FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    for index, name in enumerate(names):  # one String per label: the face that covers most of it
        chart.categoryAxis.labels[index].fontName = best_font(name)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 95, 140
    legend.fontName, legend.fontSize = best_font(labels["completed"]), 8
    legend.colorNamePairs = [(GREEN, labels["completed"]), (RED, labels["missed_count"])]
    drawing.add(legend)
    drawing.add(Line(chart.x, chart.y, chart.x + chart.width, chart.y, strokeColor=GREY, strokeWidth=0.5))
    return drawing


def _short(label: str) -> str:
    # "白雯静 (N1001)" → "白雯静": the axis has room for the name only; the table below has both.
    return label.split(" (")[0][:8]
