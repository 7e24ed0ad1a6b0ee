"""``WardMonthFigures``: everything a ward manager's monthly report (or the dashboard) shows, as data.

The builder is a plain function over a connection that reports progress and
checks for cancellation between steps (the Orange3 ``TaskState`` shape), so the
dashboard can run it on its database worker and tests can run it inline.
Renderers (``pdf``, ``tables``) only format what is here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from nurse_app.domain import metrics as pure
from nurse_app.domain.errors import DomainError
from nurse_app.domain.metrics import GroupBy, Period, Rate, RateRow, RateTable
from nurse_app.domain.model import DEFAULT_ZONE, Encounter, FollowUpTask, TaskStatus, User, require_utc
from nurse_app.reports.details import (
    AlertSummary,
    Comment,
    MissedFollowUp,
    SatisfactionItem,
    critical_alerts,
    missed_follow_ups,
    satisfaction_results,
)
from nurse_app.reports.diagnosis import NO_DIAGNOSIS, diagnosis_scope
from nurse_app.reports.headline import ALL, Headline, Targets, headlines_from_records
from nurse_app.reports.records import ScopeRecords, load_records
from nurse_app.reports.scope import (
    WardInfo,
    check_scope,
    check_wards_exist,
    month_period,
    previous_period,
    weekly_periods,
)
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import PlanRow, UserRow

__all__ = [
    "BUILD_STEPS",
    "GroupLine",
    "ProgressCallback",
    "ReportCancelled",
    "WardMonthFigures",
    "WeekPoint",
    "build_figures",
    "build_ward_month",
]

ProgressCallback = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

BUILD_STEPS = (
    "checking wards",
    "loading follow-up records",
    "headline figures",
    "per-nurse, per-plan and per-diagnosis tables",
    "weekly trend",
    "missed follow-ups, alerts, satisfaction",
)


class ReportCancelled(DomainError):
    """The caller's cancel check asked the builder to stop; nothing was written."""


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One row of the per-nurse, per-plan or per-diagnosis table: the five rates plus follow-ups completed."""

    key: str
    label: str
    rates: RateRow
    completed: int


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One 7-day slice of the trend chart."""

    period: Period
    miss: Rate
    on_time: Rate
    reach: Rate
    satisfaction: Rate


@dataclass(frozen=True, slots=True)
class WardMonthFigures:
    """The figures of one or several wards for one period (normally a calendar month)."""

    wards: tuple[WardInfo, ...]
    label: str  # '2026-10' for a month
    period: Period
    as_of: datetime
    zone: str
    targets: Targets
    headline: Headline
    weekly: tuple[WeekPoint, ...]
    by_nurse: tuple[GroupLine, ...]
    by_plan: tuple[GroupLine, ...]
    by_diagnosis: tuple[GroupLine, ...]  # key: ICD-10 category, NO_DIAGNOSIS last
    missed: tuple[MissedFollowUp, ...]
    alerts: AlertSummary
    satisfaction: tuple[SatisfactionItem, ...]
    comments: tuple[Comment, ...]

    @property
    def has_data(self) -> bool:
        """False for a period without any follow-up activity: renderers then say "本期无数据"."""
        return self.headline.has_data

    @property
    def ward_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.wards)


def _in_scope(records: ScopeRecords, wards: Sequence[str]) -> list[FollowUpTask]:
    return [t for t in records.tasks if t.ward_code in wards]


def _rates(
    records: ScopeRecords, wards: Sequence[str], period: Period, as_of: datetime, by: GroupBy, zone: str
) -> RateTable:
    """The pure definitions over the scope's records."""
    encounters = [e for e in records.encounters if e.ward_code in wards]
    return _rates_of(_in_scope(records, wards), encounters, records, period, as_of, by, zone)


def _rates_of(
    tasks: Sequence[FollowUpTask],
    encounters: Sequence[Encounter],
    records: ScopeRecords,
    period: Period,
    as_of: datetime,
    by: GroupBy,
    zone: str,
) -> RateTable:
    """The five rates of ``tasks`` / ``encounters``; the on-time rate sees every task of an encounter."""
    return pure.build_rate_table(
        by,
        miss=pure.miss_rate(tasks, period, as_of=as_of, by=by, zone=zone),
        on_time=pure.on_time_rate(
            encounters, records.tasks, records.attempts, period, as_of=as_of, by=by, zone=zone
        ),
        reach=pure.reach_rate(tasks, records.attempts, period, by=by, zone=zone),
        durations=pure.call_durations(tasks, records.attempts, period, by=by, zone=zone),
        satisfaction=pure.satisfaction_rate(tasks, records.responses, period, by=by, zone=zone),
    )


def _completed_by(tasks: Iterable[FollowUpTask], period: Period, by: GroupBy) -> dict[str, int]:
    """Follow-ups completed in ``period`` per nurse, plan or ward (the headline's "completed" count)."""
    done: dict[str, int] = defaultdict(int)
    for t in tasks:
        if t.status == TaskStatus.COMPLETED and t.completed_at in period:
            key = {GroupBy.NURSE: t.assignee or "", GroupBy.PLAN: t.plan_code}.get(by, t.ward_code)
            done[key] += 1
    return done


def _diagnosis_lines(
    records: ScopeRecords, wards: Sequence[str], period: Period, as_of: datetime, zone: str
) -> tuple[GroupLine, ...]:
    """Per diagnosis group: the ward-grouped definitions over tasks relabeled with their group."""
    scope = diagnosis_scope(records, wards)
    table = _rates_of(scope.tasks, scope.encounters, records, period, as_of, GroupBy.WARD, zone)
    lines = _group_lines(table, _completed_by(scope.tasks, period, GroupBy.WARD), scope.labels)
    # "No diagnosis" is a remainder, not a category: it goes last (a stable sort keeps code order).
    return tuple(sorted(lines, key=lambda line: line.key == NO_DIAGNOSIS))


def _group_lines(table: RateTable, done: dict[str, int], labels: dict[str, str]) -> tuple[GroupLine, ...]:
    rows = {row.group: row for row in table.rows}
    keys = sorted(set(rows) | set(done))
    return tuple(
        GroupLine(key, labels.get(key, key), rows.get(key, RateRow(key)), done.get(key, 0)) for key in keys
    )


def _sum(rates: Iterable[Rate]) -> Rate:
    rates = list(rates)
    return Rate(sum(r.numerator for r in rates), sum(r.denominator for r in rates))


def _weekly(
    records: ScopeRecords, wards: Sequence[str], period: Period, as_of: datetime, zone: str
) -> tuple[WeekPoint, ...]:
    points = []
    for week in weekly_periods(period):
        table = _rates(records, wards, week, as_of, GroupBy.WARD, zone)
        points.append(
            WeekPoint(
                week,
                _sum(r.miss for r in table.rows),
                _sum(r.on_time for r in table.rows),
                _sum(r.reach for r in table.rows),
                _sum(r.satisfaction for r in table.rows),
            )
        )
    return tuple(points)


def nurse_labels(conn: Executor) -> dict[str, str]:
    """username → "display name (username)"; the unassigned group gets an empty key."""
    return {u: f"{name} ({u})" for u, name in conn.execute(select(UserRow.username, UserRow.display_name))}


def plan_labels(conn: Executor) -> dict[str, str]:
    """plan code → "name (code)" of its newest version."""
    labels: dict[str, str] = {}
    for code, name in conn.execute(
        select(PlanRow.code, PlanRow.name).order_by(PlanRow.code, PlanRow.version)
    ):
        labels[code] = f"{name} ({code})"
    return labels


def build_figures(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    label: str = "",
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
    user: User | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> WardMonthFigures:
    """All figures of ``wards`` for ``period``.

    Raises ``WardNotPermitted`` / ``UnknownWard`` before any work, and
    :class:`ReportCancelled` at the next step after ``cancel()`` turns true.
    ``progress(step, total, label)`` is called before each step (1-based) and
    once more with ``step == total`` when done.
    """
    as_of = require_utc(as_of, "as_of")
    targets = targets or Targets()
    total = len(BUILD_STEPS)

    def step(number: int) -> None:
        if cancel is not None and cancel():
            raise ReportCancelled("report cancelled")
        if progress is not None:
            progress(number - 1, total, BUILD_STEPS[number - 1])

    step(1)
    codes = check_scope(user, wards)
    infos = check_wards_exist(conn, codes)
    step(2)
    # One read serves this period and the previous one (the headline's comparison column).
    span = Period(previous_period(period).start, period.end)
    records = load_records(conn, codes, span, with_text=True, with_patients=True)
    step(3)
    head = headlines_from_records(conn, records, codes, period, as_of=as_of, zone=zone, targets=targets)[ALL]
    step(4)
    by_nurse = _group_lines(
        _rates(records, codes, period, as_of, GroupBy.NURSE, zone),
        _completed_by(_in_scope(records, codes), period, GroupBy.NURSE),
        nurse_labels(conn),
    )
    by_plan = _group_lines(
        _rates(records, codes, period, as_of, GroupBy.PLAN, zone),
        _completed_by(_in_scope(records, codes), period, GroupBy.PLAN),
        plan_labels(conn),
    )
    by_diagnosis = _diagnosis_lines(records, codes, period, as_of, zone)
    step(5)
    weekly = _weekly(records, codes, period, as_of, zone)
    step(6)
    missed = missed_follow_ups(records, codes, period, as_of)
    alerts = critical_alerts(conn, codes, period)
    items, comments = satisfaction_results(records, codes, period)
    if progress is not None:
        progress(total, total, "done")
    return WardMonthFigures(
        infos,
        label,
        period,
        as_of,
        zone,
        targets,
        head,
        weekly,
        by_nurse,
        by_plan,
        by_diagnosis,
        missed,
        alerts,
        items,
        comments,
    )


def build_ward_month(
    conn: Executor,
    wards: Sequence[str],
    month: str,
    *,
    as_of: datetime,
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
    user: User | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> WardMonthFigures:
    """The figures of ``wards`` for the local calendar ``month`` ('YYYY-MM'); see :func:`build_figures`."""
    return build_figures(
        conn,
        wards,
        month_period(month, zone),
        as_of=as_of,
        label=month,
        zone=zone,
        targets=targets,
        user=user,
        progress=progress,
        cancel=cancel,
    )
