"""A simple monthly ward report PDF (reportlab + the bundled CJK/Latin fonts) from service figures.

The desk's report builders (``nurse_app.reports``) read a cache connection; the
service has no cache, so it renders the figures it computed with
``nurse_app.domain.metrics`` into a plain document here, with the desk's fonts.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nurse_app.reports.fonts import markup, register_report_fonts
from server_sync.service.reports.revisions import revision_of

NO_DATA_TEXT = "本月无随访数据。No follow-up data for this month."

_COLUMNS = (
    ("miss_rate", "漏访率 Miss"),
    ("on_time_rate", "24h 及时率 On time"),
    ("reach_rate", "接通率 Reach"),
    ("duration_median_s", "通话中位 Median s"),
    ("satisfaction_rate", "满意率 Satisfaction"),
)


def _cell(name: str, row: dict[str, Any]) -> str:
    value = row.get(name)
    if value is None:
        return "-"
    if name.endswith("_rate"):
        counts = {
            "miss_rate": ("missed", "closed"),
            "on_time_rate": ("on_time", "discharges"),
            "reach_rate": ("reached", "attempted"),
            "satisfaction_rate": ("satisfied", "satisfaction_answers"),
        }[name]
        return f"{value * 100:.1f}% ({row[counts[0]]}/{row[counts[1]]})"
    return f"{value:.0f}"


def revision_lines(figures: dict[str, Any], replaces: int | None, superseded_by: int | None) -> list[str]:
    """What the reader must know about this revision: its number, what it replaces or what replaced it."""
    revision = revision_of(figures)
    lines = []
    if superseded_by is not None:
        lines.append(
            f"已作废：本版已被第 {superseded_by} 版取代 SUPERSEDED by revision {superseded_by}"
            + (f" ({figures['superseded_at']})" if figures.get("superseded_at") else "")
        )
    text = f"版本 Revision {revision}"
    if replaces is not None:
        text += (
            f"（取代第 {replaces} 版：月末后补传的数据已计入 "
            f"replaces revision {replaces}: late syncs included）"
        )
    if figures.get("source_change_no") is not None:
        text += f" · 数据截至变更号 Data through change {figures['source_change_no']}"
    lines.append(text)
    return lines


def document_title(figures: dict[str, Any], superseded_by: int | None) -> str:
    title = f"{figures['ward']} {figures['month']} follow-up report, revision {revision_of(figures)}"
    return title + (f" (superseded by revision {superseded_by})" if superseded_by is not None else "")


def render_pdf(
    figures: dict[str, Any], *, replaces: int | None = None, superseded_by: int | None = None
) -> bytes:
    """The report of one ward-month; says plainly when the month had no follow-up data.

    ``replaces``: the revision this one supersedes (late syncs changed the figures).
    ``superseded_by``: rendering an earlier revision again — it is marked as replaced.
    """
    font = register_report_fonts()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=8)
    warning = ParagraphStyle("warning", parent=heading, textColor=colors.HexColor("#b71c1c"))

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(markup(text), style)

    def table(rows: list[dict[str, Any]], label: str) -> Table:
        data = [[p(label, small), *(p(h, small) for _, h in _COLUMNS)]]
        data += [
            [p(row["group"] or "(未分配 unassigned)", small), *(p(_cell(n, row), small) for n, _ in _COLUMNS)]
            for row in rows
        ]
        t = Table(data, colWidths=[32 * mm] + [28 * mm] * len(_COLUMNS), repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    ward_label = f"{figures['ward_name']}（{figures['ward']}）"
    story: list[Any] = [
        p(f"{ward_label} 月度随访报告 {figures['month']}", title),
        p(f"统计区间 Period (UTC): {figures['period']['start']} – {figures['period']['end']}"),
        p(f"时区 Zone: {figures['zone']}"),
        p(f"生成于 Built at: {figures['as_of']}"),
    ]
    for line in revision_lines(figures, replaces, superseded_by):
        story.append(p(line, warning if line.startswith("已作废") else body))
    story.append(Spacer(1, 4 * mm))
    if figures["no_data"]:
        story.append(p(NO_DATA_TEXT, heading))
    else:
        story += [p("病区汇总 Ward summary", heading), table([figures["summary"]], "病区 Ward")]
        if figures["by_nurse"]:
            story += [p("按护士 By nurse", heading), table(figures["by_nurse"], "护士 Nurse")]
        if figures["by_plan"]:
            story += [p("按方案 By plan", heading), table(figures["by_plan"], "方案 Plan")]
    story += [
        Spacer(1, 6 * mm),
        p("口径见 DESIGN.md “Definitions that every number uses”；与护士站桌面端同一套计算。", small),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        title=document_title(figures, superseded_by),
        subject="no follow-up data" if figures["no_data"] else "monthly follow-up rates",
        author="随访护士站 central service",
    )
    doc.build(story)
    return out.getvalue()
