"""The monthly ward report as an A4 PDF (reportlab platypus), Chinese or English.

Layout: a cover, then the headline table (previous period, target, coloured
status), the two charts, the per-nurse and per-plan tables, the missed
follow-ups, the critical alerts and the satisfaction survey. Every page after
the cover has a header; every page a "第 N 页 / 共 M 页" footer (the total is
known only at the end, so pages are drawn after the story is laid out). Long
tables repeat their header row on each page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from nurse_app.reports import sections
from nurse_app.reports.charts import miss_trend_chart, nurse_bar_chart
from nurse_app.reports.data import WardMonthFigures
from nurse_app.reports.fonts import LATIN_FONT, draw_text, markup, register_report_fonts
from nurse_app.reports.labels import Labels, fmt_local

__all__ = ["render_pdf", "write_pdf"]

MARGIN = 16 * mm
HEADER_RULE = colors.HexColor("#2F6DB5")
HEAD_FILL = colors.HexColor("#E8EEF7")
STATUS_FILL = {
    "good": colors.HexColor("#D5F0DD"),
    "warn": colors.HexColor("#FFF1C2"),
    "bad": colors.HexColor("#F8D0CC"),
}


class _Styles:
    def __init__(self, font: str, lang: str) -> None:
        self.font = font
        base = {"fontName": font, "wordWrap": "CJK"}
        self.body = ParagraphStyle("body", fontSize=9, leading=13, **base)
        self.small = ParagraphStyle("small", fontSize=7, leading=9, **base)
        self.cell = ParagraphStyle("cell", fontSize=7.5, leading=9.5, **base)
        # Column headings are the report's own words: English ones wrap at spaces ("Follow-ups
        # completed"), not mid-word as CJK wrapping (needed for Chinese cells) would break them.
        heading_wrap = "CJK" if lang == "zh_CN" else None
        self.heading = ParagraphStyle(
            "heading", fontSize=7.5, leading=9.5, fontName=font, wordWrap=heading_wrap
        )
        self.h1 = ParagraphStyle("h1", fontSize=13, leading=18, spaceBefore=8, spaceAfter=6, **base)
        self.cover_title = ParagraphStyle("cover", fontSize=28, leading=36, alignment=1, **base)
        self.cover_line = ParagraphStyle("cover_line", fontSize=14, leading=22, alignment=1, **base)
        self.no_data = ParagraphStyle(
            "no_data", fontSize=20, leading=28, alignment=1, textColor=colors.red, **base
        )


def _numbered_canvas(header: str, labels: Labels, font: str) -> type[Canvas]:
    """A canvas class that holds pages back until the end, then stamps header and "page N of M" on each."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Otherwise every page would reference (unembedded) Helvetica, used for nothing.
            kwargs.setdefault("initialFontName", LATIN_FONT)
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.setFillColor(colors.black)
            if number > 1:  # the cover carries its own title
                draw_text(self, MARGIN, height - MARGIN + 4, header, 8)
                self.setStrokeColor(HEADER_RULE)
                self.setLineWidth(0.6)
                self.line(MARGIN, height - MARGIN, width - MARGIN, height - MARGIN)
            draw_text(self, width / 2, MARGIN / 2, labels["page"].format(n=number, m=total), 8, "middle")

    return NumberedCanvas


def _table(
    rows: Sequence[Sequence[Any]], widths: Sequence[float], styles: _Styles, extra: Sequence[Any] = ()
) -> Table:
    """A data table: header row repeated on every page, grid, small CJK text wrapped inside its cell."""
    wrapped = [
        [
            cell
            if isinstance(cell, Flowable)
            else Paragraph(markup(str(cell)), styles.heading if number == 0 else styles.cell)
            for cell in row
        ]
        for number, row in enumerate(rows)
    ]
    table = Table(wrapped, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1")),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                *extra,
            ]
        )
    )
    return table


def _fit(fractions: Sequence[float]) -> list[float]:
    usable = A4[0] - 2 * MARGIN
    total = sum(fractions)
    return [usable * f / total for f in fractions]


def _cover(figures: WardMonthFigures, labels: Labels, styles: _Styles, hospital: str) -> list[Flowable]:
    wards = "、".join(f"{w.name}（{w.code}）" for w in figures.wards)
    zone = figures.zone
    period = sections.period_text(figures.period, zone)
    previous = sections.period_text(figures.headline.previous_period, zone)
    story: list[Flowable] = [
        Spacer(1, 60 * mm),
        Paragraph(markup(hospital), styles.cover_line),
        Spacer(1, 6 * mm),
        Paragraph(markup(labels["title"]), styles.cover_title),
        Spacer(1, 14 * mm),
        Paragraph(markup(f"{labels['wards']}：{wards}"), styles.cover_line),
        Paragraph(markup(f"{labels['period']}：{figures.label or period}（{period}）"), styles.cover_line),
        Paragraph(markup(f"{labels['previous_period']}：{previous}"), styles.cover_line),
        Paragraph(markup(f"{labels['generated']}：{fmt_local(figures.as_of, zone)}"), styles.cover_line),
    ]
    if not figures.has_data:
        story += [Spacer(1, 16 * mm), Paragraph(markup(labels["no_data"]), styles.no_data)]
    return [*story, PageBreak()]


def _headline_rows(figures: WardMonthFigures, labels: Labels) -> list[list[str]]:
    """The headline table as the PDF shows it: a rate with its counts, ``10.3% (4/39)``."""
    table = sections.headline_table(figures, labels)
    rows = [list(table.header[:5])]
    for cells, figure in zip(table.rows, figures.headline.figures, strict=True):
        current = sections.cell_text(cells[1])
        if figure.kind == "rate" and figure.value is not None:
            current += f" ({figure.numerator}/{figure.denominator})"
        rows.append([str(cells[0]), current, *(sections.cell_text(c) for c in cells[2:5])])
    return rows


def _headline(figures: WardMonthFigures, labels: Labels, styles: _Styles) -> list[Flowable]:
    fills = []
    for index, figure in enumerate(figures.headline.figures, start=1):
        if figure.status is not None:
            for column in (1, 4):
                fills.append(
                    ("BACKGROUND", (column, index), (column, index), STATUS_FILL[figure.status.value])
                )
    story: list[Flowable] = [Paragraph(markup(labels["headline"]), styles.h1)]
    if not figures.has_data:
        story.append(Paragraph(markup(labels["no_data"]), styles.no_data))
    story += [
        _table(_headline_rows(figures, labels), _fit([3.2, 2.4, 2.4, 1.2, 1.2]), styles, fills),
        Spacer(1, 3 * mm),
        Paragraph(markup(labels["legend"]), styles.small),
    ]
    return story


def _section(
    table: sections.DataTable, fractions: Sequence[float], labels: Labels, styles: _Styles
) -> list[Flowable]:
    title = f"{table.title}（{len(table.rows)}）" if table.key == "missed" else table.title
    story: list[Flowable] = [CondPageBreak(40 * mm), Paragraph(markup(title), styles.h1)]
    if not table.rows:
        story.append(Paragraph(markup(labels["none"]), styles.body))
    else:
        rows = [list(table.header), *([sections.cell_text(c) for c in row] for row in table.rows)]
        story.append(_table(rows, _fit(fractions), styles))
    return story


def story_of(figures: WardMonthFigures, labels: Labels, styles: _Styles, hospital: str) -> list[Flowable]:
    story = _cover(figures, labels, styles, hospital) + _headline(figures, labels, styles)
    if figures.has_data:
        story += [Spacer(1, 5 * mm), miss_trend_chart(figures, labels)]
        story += [Spacer(1, 3 * mm), nurse_bar_chart(figures, labels)]
    groups = [2.4, 1, 1, 1, 1.1, 1.1, 1.1, 1, 1.2, 1.1]
    story += _section(sections.by_nurse_table(figures, labels), groups, labels, styles)
    story += _section(sections.by_plan_table(figures, labels), groups, labels, styles)
    story += _section(sections.by_diagnosis_table(figures, labels), groups, labels, styles)
    story += _section(
        sections.missed_table(figures, labels, short=True),
        [0.8, 1.45, 2.0, 2.0, 1.4, 1.4, 2.8, 1.0],
        labels,
        styles,
    )
    story += [CondPageBreak(40 * mm), Paragraph(markup(labels["alerts"]), styles.h1)]
    story.append(Paragraph(markup(sections.alert_summary_text(figures, labels)), styles.body))
    alerts = sections.alerts_table(figures, labels)
    if alerts.rows:
        rows = [list(alerts.header), *([sections.cell_text(c) for c in row] for row in alerts.rows)]
        story += [Spacer(1, 2 * mm), _table(rows, _fit([1.7, 1, 1.4, 1.3, 3, 1, 1, 1.1]), styles)]
    story += _section(
        sections.satisfaction_table(figures, labels), [2.2, 1, 0.8, 0.8, 0.8, 0.8, 0.8, 1.3], labels, styles
    )
    story += _section(sections.comments_table(figures, labels), [1.4, 6], labels, styles)
    return story


def render_pdf(
    figures: WardMonthFigures,
    out: str | os.PathLike[str] | BinaryIO,
    *,
    lang: str = "zh_CN",
    hospital: str | None = None,
) -> None:
    """Write the report of ``figures`` to a path or a binary file object."""
    labels = Labels(lang)
    font = register_report_fonts()
    styles = _Styles(font, lang)
    hospital = hospital or labels["default_hospital"]
    wards = "、".join(w.name for w in figures.wards)
    label = figures.label or sections.period_text(figures.period, figures.zone)
    header = f"{hospital}  {labels['title']}  {wards}  {label}"
    target = os.fspath(out) if isinstance(out, str | os.PathLike) else out
    document = SimpleDocTemplate(
        target,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{labels['title']} {wards} {figures.label}",
        author=hospital,
        subject=labels["title"],
        creator="Follow-up Nurse Station",
    )
    document.build(
        story_of(figures, labels, styles, hospital), canvasmaker=_numbered_canvas(header, labels, font)
    )


def write_pdf(
    figures: WardMonthFigures,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh_CN",
    hospital: str | None = None,
) -> Path:
    """Write the PDF next to ``path`` first and move it into place, so a failure leaves no half file."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        render_pdf(figures, partial, lang=lang, hospital=hospital)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
