"""The dashboard's words that depend on the language and on the figure: read again on every switch.

Figure names and report words come from ``nurse_app.reports.labels`` (shared with
the PDF); the desk's own words from the ``_()`` catalogue. Nothing here is
computed at import time, so a language switch needs only a re-read.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nurse_app.reports.drilldown import DrillRow
from nurse_app.reports.labels import Labels, fmt_local, fmt_seconds
from ui.dashboard.behind import Detail, DrillResult
from ui.i18n import _, current_language


def report_labels() -> Labels:
    return Labels("zh_CN" if current_language() == "zh_CN" else "en")


def figure_name(labels: Labels, key: str) -> str:
    """A figure's short name ('通话时长中位数', without the unit the card shows with the value)."""
    return labels[key].replace("（秒）", "").replace(" (s)", "")


def result_word(key: str, row: DrillRow, detail: Detail) -> str:
    """The "Result" cell: why this row is (or is not) in the figure's numerator."""
    if key == "reach":
        return _("Reached") if row.counted else _("Not reached")
    if key == "miss":
        return _("Missed")
    if key == "completed":
        return _("Completed")
    if key == "on_time":
        if detail.first_call_at is None:
            return _("Not called")
        return _("Within 24 h") if row.counted else _("Late")
    if key in ("duration_median", "duration_mean"):
        return _("Reached")
    if key == "satisfaction":
        return _("Satisfied") if row.counted else _("Below satisfied")
    if key == "responses":
        return _("Scale filled")
    if key == "diseases":
        return detail.icd10_group
    return _("Open alert")


@dataclass(frozen=True, slots=True)
class Column:
    """One figure-specific column of the drill-down table: header and cell, both read at fill time."""

    header: Callable[[Labels], str]
    cell: Callable[[Detail, str], str]  # (detail, zone) → text


def _when(moment: Callable[[Detail], datetime | None]) -> Callable[[Detail, str], str]:
    return lambda detail, zone: fmt_local(moment(detail), zone)


def _first_call(detail: Detail, zone: str) -> str:
    if detail.first_call_at is None:
        return _("no call")
    if detail.discharged_at is None:
        return fmt_local(detail.first_call_at, zone)
    hours = (detail.first_call_at - detail.discharged_at).total_seconds() / 3600
    return _("{time} (+{hours} h)").format(time=fmt_local(detail.first_call_at, zone), hours=f"{hours:.1f}")


_CALL = (
    Column(lambda labels: _("Call started"), _when(lambda d: d.call_started_at)),
    Column(lambda labels: _("Called by"), lambda d, zone: d.call_nurse),
    Column(lambda labels: _("Duration (s)"), lambda d, zone: fmt_seconds(d.call_seconds)),
)

EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "on_time": (
        Column(lambda labels: _("Discharged"), _when(lambda d: d.discharged_at)),
        Column(lambda labels: _("First call"), _first_call),
    ),
    "duration_median": _CALL,
    "duration_mean": _CALL,
    "satisfaction": (
        Column(lambda labels: labels["submitted"], _when(lambda d: d.submitted_at)),
        Column(
            lambda labels: _("Satisfied answers"),
            lambda d, zone: _("{satisfied} of {answers}").format(satisfied=d.satisfied, answers=d.answers),
        ),
    ),
    "responses": (
        Column(lambda labels: labels["submitted"], _when(lambda d: d.submitted_at)),
        Column(lambda labels: _("Scale"), lambda d, zone: d.questionnaire),
        Column(lambda labels: _("Submitted by"), lambda d, zone: d.submitted_by),
    ),
    # The first column is the ICD-10 category the row counts for; this one the diagnosis itself.
    "diseases": (Column(lambda labels: _("Primary diagnosis"), lambda d, zone: d.diagnosis),),
}


def drill_summary(result: DrillResult) -> str:
    """The line above the table: the figure's own numbers, recounted from the rows shown."""
    key = result.key
    if key in ("duration_median", "duration_mean"):
        seconds = result.seconds
        if not seconds:
            return _("No reached calls")
        return _("{count} reached calls · median {median} s · mean {mean} s").format(
            count=len(seconds),
            median=fmt_seconds(statistics.median(seconds)),
            mean=fmt_seconds(sum(seconds) / len(seconds)),
        )
    if key == "satisfaction":
        return _(
            "{satisfied} of {answers} satisfaction answers at “satisfied” or above, in {count} surveys"
        ).format(satisfied=result.counted, answers=result.total, count=len(result.rows))
    if key == "diseases":
        return _("{groups} ICD-10 categories across {count} tasks").format(
            groups=len(result.groups), count=len(result.rows)
        )
    if key == "miss":
        # Only the missed tasks are listed: the ones completed in time need no review.
        return _("{count} missed tasks: the window closed without a completed follow-up").format(
            count=result.counted
        )
    if key == "on_time":
        return _("{counted} of {total} discharges first called within 24 h").format(
            counted=result.counted, total=result.total
        )
    if key == "reach":
        return _("{counted} reached of {total} tasks called").format(
            counted=result.counted, total=result.total
        )
    return _("{count} tasks").format(count=len(result.rows))
