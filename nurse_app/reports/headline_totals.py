"""The headline numbers of many wards from the maintained day totals: the dashboard's fast path.

``nurse_app.store.report_totals`` keeps, per ward and day, the sums every
additive figure is made of, and one row per reached call. A period's numbers
are then one grouped read of its whole days, plus the same families counted
from the records (``headline_sql``) for what is not a whole day:

* the edges of a period that does not start or end at a totals day boundary
  (a month in another zone than UTC+8, a custom range);
* for the miss and on-time rates, the day in which "now" cuts their population
  (windows closed by ``as_of``; discharges whose 24 h have passed by ``as_of``).

Every family counts each record on one timestamp, so whole days plus edges
add up to exactly the period. A database without the totals (not migrated to
0006, or made by ``create_all``) is counted from the records alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from nurse_app.domain.metrics import ON_TIME_LIMIT, Period
from nurse_app.reports.headline_sql import FAMILIES, icd10_group, record_counts
from nurse_app.reports.ward_counts import WardCounts, new_counts
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.report_totals import (
    DaySplit,
    ReportCallFactRow,
    ReportDayDiagnosisRow,
    ReportDayTotalsRow,
    split_into_days,
    totals_maintained,
)

__all__ = ["ward_counts"]

day_totals = ReportDayTotalsRow.__table__
day_diagnoses = ReportDayDiagnosisRow.__table__
call_facts = ReportCallFactRow.__table__

_MICROSECOND = timedelta(microseconds=1)

# The columns of report_day_totals each family of headline_sql adds up.
TOTAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "miss": ("closed", "missed"),
    "on_time": ("discharges", "on_time"),
    "reach": ("attempted", "reached"),
    "responses": ("filled", "votes", "satisfied"),
    "completed": ("completed",),
    "open_critical": ("open_critical",),
}


def _judged_part(period: Period, last: datetime) -> Period:
    """The part of ``period`` up to and including ``last`` (stored times are whole microseconds)."""
    end = min(period.end, max(period.start, last + _MICROSECOND))
    return Period(period.start, end)


def _family_periods(period: Period, as_of: datetime) -> dict[str, Period]:
    periods = dict.fromkeys(FAMILIES, period)
    periods["miss"] = _judged_part(period, as_of)  # window_end <= as_of
    periods["on_time"] = _judged_part(period, as_of - ON_TIME_LIMIT)  # discharged + 24 h <= as_of
    return periods


def _in_days(column, split: DaySplit):  # type: ignore[no-untyped-def]
    return and_(column >= split.first_day, column < split.end_day)


def _add_day_totals(conn: Executor, counts: dict[str, WardCounts], splits: dict[str, DaySplit]) -> None:
    """One grouped read of report_day_totals: each family's columns summed over its own whole days."""
    sums, names = [], []
    for family, columns in TOTAL_COLUMNS.items():
        split = splits[family]
        if split.first_day is None:
            continue
        for column in columns:
            sums.append(func.sum(case((_in_days(day_totals.c.day, split), day_totals.c[column]), else_=0)))
            names.append(column)
    if not sums:
        return
    days = [s for s in splits.values() if s.first_day is not None]
    first = min(s.first_day for s in days)  # type: ignore[type-var]
    end = max(s.end_day for s in days)  # type: ignore[type-var]
    query = (
        select(day_totals.c.ward_code, *sums)
        .where(day_totals.c.day >= first, day_totals.c.day < end)
        .group_by(day_totals.c.ward_code)
    )
    for ward, *values in conn.execute(query):
        counts[ward].add(**dict(zip(names, values, strict=True)))


def _add_diseases(conn: Executor, counts: dict[str, WardCounts], split: DaySplit) -> None:
    query = (
        select(day_diagnoses.c.ward_code, day_diagnoses.c.icd10)
        .where(_in_days(day_diagnoses.c.day, split), day_diagnoses.c.tasks > 0)
        .distinct()
    )
    for ward, icd10 in conn.execute(query):
        if icd10 and icd10.strip():
            counts[ward].diseases.add(icd10_group(icd10))


def _add_durations(
    conn: Executor, counts: dict[str, WardCounts], wards: Sequence[str], split: DaySplit
) -> None:
    # One row per ward, its durations joined by SQLite: ~20x fewer rows through the driver than one
    # row per call. Sorted here so that the medians' sorts (per ward, then of all wards) meet runs.
    query = (
        select(call_facts.c.ward_code, func.group_concat(call_facts.c.micros))
        .where(call_facts.c.ward_code.in_(list(wards)), _in_days(call_facts.c.start_day, split))
        .group_by(call_facts.c.ward_code)
    )
    for ward, joined in conn.execute(query):
        micros = sorted(map(int, joined.split(",")))
        counts[ward].seconds.extend(m / 10**6 for m in micros)  # int / int: exactly timedelta.total_seconds()


def ward_counts(
    conn: Executor, wards: Sequence[str], period: Period, *, as_of: datetime
) -> dict[str, WardCounts]:
    """The numbers of each of ``wards`` in ``period`` (wards without any are left out)."""
    counts = new_counts()
    if not totals_maintained(conn):
        record_counts(conn, counts, wards, period, as_of=as_of)
    else:
        splits = {family: split_into_days(part) for family, part in _family_periods(period, as_of).items()}
        _add_day_totals(conn, counts, splits)
        if splits["diseases"].first_day is not None:
            _add_diseases(conn, counts, splits["diseases"])
        if splits["durations"].first_day is not None:
            _add_durations(conn, counts, wards, splits["durations"])
        for family, split in splits.items():
            for edge in split.edges:
                FAMILIES[family](conn, counts, wards, edge, as_of)
    scope = set(wards)
    return {ward: number for ward, number in counts.items() if ward in scope}
