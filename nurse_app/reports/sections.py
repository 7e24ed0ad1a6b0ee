"""The report's tables as typed rows, shared by the PDF, the CSV and the xlsx renderers.

A cell is ``str``, ``int``, :class:`Pct` (a 0–1 fraction), :class:`Secs`
(seconds or minutes, one decimal) or ``None`` (undefined). Renderers decide
how a kind looks (``'12.3%'`` in text, a percent-formatted number in Excel),
so every output shows the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from nurse_app.domain.metrics import Period
from nurse_app.reports.data import GroupLine, WardMonthFigures
from nurse_app.reports.labels import Labels, fmt_local, fmt_minutes, fmt_rate, fmt_seconds

__all__ = ["Cell", "DataTable", "Pct", "Secs", "cell_text", "report_tables"]


class Pct(float):
    """A rate as a 0–1 fraction."""


class Secs(float):
    """A duration (seconds, or minutes where the column says so), shown with one decimal."""


Cell = str | int | float | None


def cell_text(value: Cell) -> str:
    """A cell as text, in the same format as ``nurse-station stats``."""
    if value is None:
        return "-"
    if isinstance(value, Pct):
        return fmt_rate(value)
    if isinstance(value, Secs):
        return fmt_seconds(value)
    return str(value)


def _pct(value: float | None) -> Pct | None:
    return None if value is None else Pct(value)


def _secs(value: float | None) -> Secs | None:
    return None if value is None else Secs(value)


@dataclass(frozen=True, slots=True)
class DataTable:
    key: str  # sheet / section id: headline, weekly, by_nurse, …
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def period_text(period: Period, zone: str) -> str:
    """``2026-10-01 – 2026-10-31``: local days, the end day inclusive as people read it."""
    last = period.end - timedelta(microseconds=1)
    return f"{fmt_local(period.start, zone)[:10]} – {fmt_local(last, zone)[:10]}"


def headline_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    rows = []
    for f in figures.headline.figures:
        wrap = _pct if f.kind == "rate" else _secs if f.kind == "seconds" else (lambda v: v)
        target = None
        if f.target is not None:
            target = ("≤ " if not f.higher_is_better else "≥ ") + (
                fmt_rate(f.target) if f.kind == "rate" else str(f.target)
            )
        rows.append(
            (
                labels[f.key],
                wrap(f.value),
                wrap(f.previous),
                target,
                labels[f.status.value] if f.status else None,
                f.numerator,
                f.denominator,
            )
        )
    header = (
        labels["figure"],
        labels["current"],
        labels["previous"],
        labels["target"],
        labels["status"],
        "n",
        "N",
    )
    return DataTable("headline", labels["headline"], header, tuple(rows))


def weekly_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    header = (
        labels["week"],
        labels["miss"],
        labels["closed"],
        labels["on_time"],
        labels["reach"],
        labels["satisfaction"],
    )
    rows = tuple(
        (
            period_text(w.period, figures.zone),
            _pct(w.miss.value),
            w.miss.denominator,
            _pct(w.on_time.value),
            _pct(w.reach.value),
            _pct(w.satisfaction.value),
        )
        for w in figures.weekly
    )
    return DataTable("weekly", labels["trend"], header, rows)


def _group_table(
    key: str,
    title: str,
    first: str,
    lines: Sequence[GroupLine],
    labels: Labels,
    unlabeled: str = "unassigned",
) -> DataTable:
    """One row per group; a group without a label is named by ``labels[unlabeled]``."""
    header = (
        first,
        labels["completed"],
        labels["closed"],
        labels["missed_count"],
        labels["miss"],
        labels["on_time"],
        labels["reach"],
        labels["calls"],
        labels["duration_median"],
        labels["satisfaction"],
    )
    rows = tuple(
        (
            line.label or labels[unlabeled],
            line.completed,
            line.rates.miss.denominator,
            line.rates.miss.numerator,
            _pct(line.rates.miss.value),
            _pct(line.rates.on_time.value),
            _pct(line.rates.reach.value),
            line.rates.durations.count,
            _secs(line.rates.durations.median_s),
            _pct(line.rates.satisfaction.value),
        )
        for line in lines
    )
    return DataTable(key, title, header, rows)


def missed_table(figures: WardMonthFigures, labels: Labels, *, short: bool = False) -> DataTable:
    """Missed follow-ups; ``short`` drops the year from times (the PDF's narrow columns)."""

    def when(moment) -> str:  # type: ignore[no-untyped-def]
        text = fmt_local(moment, figures.zone)
        return text[5:] if short else text

    header = (
        labels["patient"],
        labels["mrn"],
        labels["phone"],
        labels["plan_step"],
        labels["due"],
        labels["window_end"],
        labels["attempts"],
        labels["assignee"],
    )
    rows = tuple(
        (
            m.patient,
            m.mrn,
            m.phone,
            f"{m.plan_code} / {m.step_no}",
            when(m.due_at),
            when(m.window_end),
            "\n".join(f"{when(a.started_at)} {a.nurse} {labels.outcome(a.outcome)}" for a in m.attempts)
            or labels["no_attempt"],
            m.assignee or labels["unassigned"],
        )
        for m in figures.missed
    )
    return DataTable("missed", labels["missed_list"], header, rows)


def alert_summary_text(figures: WardMonthFigures, labels: Labels) -> str:
    a = figures.alerts
    return labels["alerts_summary"].format(
        count=a.count,
        acked=a.acknowledged,
        open=a.open,
        median=fmt_minutes(a.median_ack_min),
        max=fmt_minutes(a.max_ack_min),
    )


def alerts_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    header = (
        labels["raised"],
        labels["patient"],
        labels["mrn"],
        labels["rule"],
        labels["message"],
        labels["status"],
        labels["ack_by"],
        labels["ack_minutes"],
    )
    rows = tuple(
        (
            fmt_local(line.raised_at, figures.zone),
            line.patient,
            line.mrn,
            line.rule_code,
            line.message,
            labels.alert_status(line.status),
            line.acknowledged_by or None,
            _secs(line.minutes_to_ack),
        )
        for line in figures.alerts.lines
    )
    return DataTable("alerts", labels["alerts"], header, rows)


def satisfaction_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    levels = range(1, 6)
    header = (
        labels["item"],
        labels["answers"],
        *(labels["level"].format(n=n) for n in levels),
        labels["satisfaction"],
    )
    rows = tuple(
        (labels.item(i.link_id), i.answers, *(i.levels.get(n, 0) for n in levels), _pct(i.rate))
        for i in figures.satisfaction
    )
    return DataTable("satisfaction", labels["satisfaction_section"], header, rows)


def comments_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    rows = tuple((fmt_local(c.submitted_at, figures.zone), c.text) for c in figures.comments)
    return DataTable("comments", labels["comments"], (labels["submitted"], labels["comment"]), rows)


def report_tables(figures: WardMonthFigures, labels: Labels) -> tuple[DataTable, ...]:
    """Every table of the report, in report order."""
    return (
        headline_table(figures, labels),
        weekly_table(figures, labels),
        by_nurse_table(figures, labels),
        by_plan_table(figures, labels),
        by_diagnosis_table(figures, labels),
        missed_table(figures, labels),
        alerts_table(figures, labels),
        satisfaction_table(figures, labels),
        comments_table(figures, labels),
    )


def by_nurse_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    return _group_table("by_nurse", labels["by_nurse"], labels["nurse"], figures.by_nurse, labels)


def by_plan_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    return _group_table("by_plan", labels["by_plan"], labels["plan"], figures.by_plan, labels)


def by_diagnosis_table(figures: WardMonthFigures, labels: Labels) -> DataTable:
    first = labels["diagnosis"]
    return _group_table(
        "by_diagnosis", labels["by_diagnosis"], first, figures.by_diagnosis, labels, "no_diagnosis"
    )
