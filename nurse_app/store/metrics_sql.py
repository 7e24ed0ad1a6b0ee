"""The ward manager's rates as SQL aggregates over the store tables.

Each function mirrors the pure definition of the same name in
``nurse_app.domain.metrics`` (which cites DESIGN.md) and returns the same
types; ``tests/test_metrics_agree.py`` proves the two agree on random data.
The SQL runs on the local SQLite cache today and on the central service's
PostgreSQL / MariaDB later, so everything dialect-specific lives in four small
constructs compiled per dialect (:func:`local_month`, :func:`add_seconds`,
:func:`duration_ms`, :func:`bytewise`).

Storage facts the SQL relies on (see ``UtcDateTime`` in ``models.py``):
timestamps are naive UTC; on SQLite they are text ``'YYYY-MM-DD HH:MM:SS.ffffff'``
(SQLAlchemy always writes six fraction digits), so text order is time order.
Period bounds and ``as_of`` are bound through the column's own type, i.e. as
naive UTC in exactly that format, so comparisons are exact to the microsecond.
Only durations on SQLite go through ``julianday`` and are therefore resolved to
the millisecond.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, String, and_, case, exists, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from nurse_app.domain.metrics import (
    EXCLUDED_FROM_MISS_RATE,
    ON_TIME_LIMIT,
    Durations,
    GroupBy,
    Period,
    Rate,
    RateTable,
    build_rate_table,
    zone_offset,
)
from nurse_app.domain.model import DEFAULT_ZONE, SATISFIED_ORDINAL, CallOutcome, TaskStatus, require_utc
from nurse_app.store.models import (
    CallAttemptRow,
    EncounterRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
)

__all__ = [
    "add_seconds",
    "bytewise",
    "call_durations",
    "duration_ms",
    "local_month",
    "miss_rate",
    "on_time_rate",
    "rate_table",
    "reach_rate",
    "satisfaction_rate",
]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
responses = ResponseRow.__table__
answers = ResponseAnswerRow.__table__

Executor = Connection | Session


# ---------------------------------------------------------------------------
# Dialect-aware helpers, compiled per dialect by @compiles; other dialects get
# the bare function name and fail loudly. Integer arguments travel as
# literal_column text so that they are part of SQLAlchemy's statement cache key
# (a plain attribute would let a statement cached for UTC+8 be reused for
# another offset) and are inlined into SQL that must contain literals anyway
# (SQLite date modifiers, INTERVAL).


class _LocalMonth(FunctionElement[str]):
    type = String()
    name = "local_month"
    inherit_cache = True


class _AddSeconds(FunctionElement[Any]):
    name = "add_seconds"
    inherit_cache = True


class _DurationMs(FunctionElement[Any]):
    name = "duration_ms"
    inherit_cache = True


class _Bytewise(FunctionElement[str]):
    type = String()
    name = "bytewise"
    inherit_cache = True


def local_month(moment: ColumnElement[Any], offset_seconds: int) -> ColumnElement[str]:
    """``'YYYY-MM'`` of a naive-UTC timestamp column shifted by a fixed offset."""
    return _LocalMonth(moment, literal_column(str(int(offset_seconds)), Integer()))


def add_seconds(moment: ColumnElement[Any], seconds: int) -> ColumnElement[Any]:
    """A timestamp column plus whole seconds, comparable with other timestamp columns."""
    return _AddSeconds(moment, literal_column(str(int(seconds)), Integer()))


def duration_ms(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """``end − start`` in milliseconds (numeric)."""
    return _DurationMs(start, end)


def bytewise(text: ColumnElement[str]) -> ColumnElement[str]:
    """A text column ordered by code point, as Python orders ``str`` (ids break ties)."""
    return _Bytewise(text)


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


def _seconds_arg(element: FunctionElement[Any]) -> int:
    return int(list(element.clauses)[1].name)


@compiles(_LocalMonth, "sqlite")
def _local_month_sqlite(element: _LocalMonth, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    # substr(…, 1, 19) drops the fraction before SQLite parses it: SQLite rounds
    # fractions to milliseconds, which could carry 23:59:59.9996 into the next
    # month. Month boundaries fall on whole seconds, so truncating is exact.
    return f"strftime('%Y-%m', substr({moment}, 1, 19), '{_seconds_arg(element):+d} seconds')"


@compiles(_LocalMonth, "postgresql")
def _local_month_postgresql(element: _LocalMonth, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    return f"to_char({moment} + INTERVAL '{_seconds_arg(element)} seconds', 'YYYY-MM')"


@compiles(_LocalMonth, "mysql")
@compiles(_LocalMonth, "mariadb")
def _local_month_mysql(element: _LocalMonth, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    # LEFT(…, 7) rather than DATE_FORMAT('%Y-%m'): no percent signs to escape for the driver.
    return f"LEFT(CAST(DATE_ADD({moment}, INTERVAL {_seconds_arg(element)} SECOND) AS CHAR), 7)"


@compiles(_AddSeconds, "sqlite")
def _add_seconds_sqlite(element: _AddSeconds, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    # Shift the whole seconds and re-append the stored fraction ('.ffffff'), so the
    # result keeps the storage format and compares exactly, as text, with other columns.
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', substr({moment}, 1, 19), '{_seconds_arg(element):+d} seconds')"
        f" || substr({moment}, 20))"
    )


@compiles(_AddSeconds, "postgresql")
def _add_seconds_postgresql(element: _AddSeconds, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    return f"({moment} + INTERVAL '{_seconds_arg(element)} seconds')"


@compiles(_AddSeconds, "mysql")
@compiles(_AddSeconds, "mariadb")
def _add_seconds_mysql(element: _AddSeconds, compiler: Any, **kw: Any) -> str:
    moment = _args(element, compiler, **kw)[0]
    return f"DATE_ADD({moment}, INTERVAL {_seconds_arg(element)} SECOND)"


@compiles(_DurationMs, "sqlite")
def _duration_ms_sqlite(element: _DurationMs, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    # julianday is a double of ~2.46e6 days: its error (~5e-5 s) is far below half a
    # millisecond, and SQLite parses times to whole milliseconds, so rounding the
    # difference to an integer millisecond is exact.
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


@compiles(_DurationMs, "postgresql")
def _duration_ms_postgresql(element: _DurationMs, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) * 1000)"


@compiles(_DurationMs, "mysql")
@compiles(_DurationMs, "mariadb")
def _duration_ms_mysql(element: _DurationMs, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000)"


@compiles(_Bytewise, "sqlite")
def _bytewise_sqlite(element: _Bytewise, compiler: Any, **kw: Any) -> str:
    return _args(element, compiler, **kw)[0]  # SQLite's default BINARY collation already is


@compiles(_Bytewise, "postgresql")
def _bytewise_postgresql(element: _Bytewise, compiler: Any, **kw: Any) -> str:
    # Locale collations may ignore '-' in UUIDs; "C" compares bytes.
    return f'({_args(element, compiler, **kw)[0]} COLLATE "C")'


@compiles(_Bytewise, "mysql")
@compiles(_Bytewise, "mariadb")
def _bytewise_mysql(element: _Bytewise, compiler: Any, **kw: Any) -> str:
    return f"CAST({_args(element, compiler, **kw)[0]} AS BINARY)"


# ---------------------------------------------------------------------------
# Shared pieces.


def _group_column(
    by: GroupBy,
    period: Period,
    zone: str,
    *,
    ward: ColumnElement[Any],
    nurse: ColumnElement[Any],
    plan: ColumnElement[Any],
    moment: ColumnElement[Any],
) -> ColumnElement[str]:
    """The grouping key, labelled ``g``; same rules as the pure ``_Grouper``."""
    by = GroupBy(by)
    if by is GroupBy.WARD:
        column: ColumnElement[Any] = ward
    elif by is GroupBy.NURSE:
        column = func.coalesce(nurse, "")  # unassigned nurse → ''
    elif by is GroupBy.PLAN:
        column = plan
    else:
        column = local_month(moment, int(zone_offset(zone, period.start).total_seconds()))
    return column.label("g")


def _in_period(column: ColumnElement[Any], period: Period) -> ColumnElement[bool]:
    # Comparing with the column binds through UtcDateTime: naive UTC in the stored format.
    return and_(column >= period.start, column < period.end)


def _rates(executor: Executor, inner: Any) -> dict[str, Rate]:
    """Aggregate a subquery of (g, hit 0/1) rows into one Rate per g.

    Grouping in an outer query (not by the expression itself) keeps GROUP BY
    portable: PostgreSQL wants it to match the SELECT list exactly.
    """
    sub = inner.subquery()
    query = select(sub.c.g, func.sum(sub.c.hit), func.count()).group_by(sub.c.g).order_by(sub.c.g)
    return {g: Rate(int(hits), int(total)) for g, hits, total in executor.execute(query)}


# ---------------------------------------------------------------------------
# The five rates.


def miss_rate(
    executor: Executor, period: Period, *, as_of: datetime, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Rate]:
    """SQL twin of ``nurse_app.domain.metrics.miss_rate`` (DESIGN "Miss rate")."""
    as_of = require_utc(as_of, "as_of")
    on_time = and_(
        tasks.c.status == TaskStatus.COMPLETED.value,
        tasks.c.completed_at.is_not(None),
        tasks.c.completed_at <= tasks.c.window_end,
    )
    inner = select(
        _group_column(
            by,
            period,
            zone,
            ward=tasks.c.ward_code,
            nurse=tasks.c.assignee,
            plan=tasks.c.plan_code,
            moment=tasks.c.window_end,
        ),
        case((on_time, 0), else_=1).label("hit"),
    ).where(
        tasks.c.status.not_in([s.value for s in EXCLUDED_FROM_MISS_RATE]),
        _in_period(tasks.c.window_end, period),
        tasks.c.window_end <= as_of,
    )
    return _rates(executor, inner)


def on_time_rate(
    executor: Executor, period: Period, *, as_of: datetime, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Rate]:
    """SQL twin of ``nurse_app.domain.metrics.on_time_rate`` (DESIGN "On-time rate (24 h)")."""
    as_of = require_utc(as_of, "as_of")
    # The encounter's first task (lowest step_no, then lowest id) carries nurse and plan;
    # joining on it also keeps only encounters that have a task.
    ranked = select(
        tasks.c.encounter_id,
        tasks.c.assignee,
        tasks.c.plan_code,
        func.row_number()
        .over(partition_by=tasks.c.encounter_id, order_by=(tasks.c.step_no, bytewise(tasks.c.id)))
        .label("rn"),
    ).subquery("ranked_tasks")
    first = select(ranked).where(ranked.c.rn == 1).subquery("first_task")

    # "Earliest attempt <= deadline" is the same as "some attempt <= deadline".
    contact_tasks = tasks.alias("contact_tasks")
    contacted = exists(
        select(1)
        .select_from(attempts.join(contact_tasks, contact_tasks.c.id == attempts.c.task_id))
        .where(
            contact_tasks.c.encounter_id == encounters.c.id,
            attempts.c.started_at
            <= add_seconds(encounters.c.discharged_at, int(ON_TIME_LIMIT.total_seconds())),
        )
    )
    inner = (
        select(
            _group_column(
                by,
                period,
                zone,
                ward=encounters.c.ward_code,
                nurse=first.c.assignee,
                plan=first.c.plan_code,
                moment=encounters.c.discharged_at,
            ),
            case((contacted, 1), else_=0).label("hit"),
        )
        .select_from(encounters.join(first, first.c.encounter_id == encounters.c.id))
        .where(
            _in_period(encounters.c.discharged_at, period),
            # discharged + 24 h <= as_of, with the arithmetic on the bound side: exact and index-friendly.
            encounters.c.discharged_at <= as_of - ON_TIME_LIMIT,
        )
    )
    return _rates(executor, inner)


def reach_rate(
    executor: Executor, period: Period, *, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Rate]:
    """SQL twin of ``nurse_app.domain.metrics.reach_rate`` (DESIGN "Reach rate")."""
    per_task = (
        select(
            attempts.c.task_id,
            func.max(case((attempts.c.outcome == CallOutcome.REACHED.value, 1), else_=0)).label("hit"),
        )
        .group_by(attempts.c.task_id)
        .subquery("attempted")
    )
    inner = (
        select(
            _group_column(
                by,
                period,
                zone,
                ward=tasks.c.ward_code,
                nurse=tasks.c.assignee,
                plan=tasks.c.plan_code,
                moment=tasks.c.due_at,
            ),
            per_task.c.hit,
        )
        .select_from(tasks.join(per_task, per_task.c.task_id == tasks.c.id))
        .where(_in_period(tasks.c.due_at, period))
    )
    return _rates(executor, inner)


def call_durations(
    executor: Executor, period: Period, *, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Durations]:
    """SQL twin of ``nurse_app.domain.metrics.call_durations`` (DESIGN "Call duration").

    The median is computed in SQL: rows are numbered within their group and the
    one or two middle rows averaged (row ``rn`` of ``n`` is a middle row when
    ``n <= 2·rn <= n + 2`` — no integer division, which MySQL lacks as ``/``).
    """
    calls = (
        select(
            _group_column(
                by,
                period,
                zone,
                ward=tasks.c.ward_code,
                nurse=attempts.c.nurse,
                plan=tasks.c.plan_code,
                moment=attempts.c.started_at,
            ),
            duration_ms(attempts.c.started_at, attempts.c.ended_at).label("ms"),
        )
        .select_from(attempts.join(tasks, tasks.c.id == attempts.c.task_id))
        .where(
            attempts.c.outcome == CallOutcome.REACHED.value,
            attempts.c.ended_at.is_not(None),
            _in_period(attempts.c.started_at, period),
        )
        .subquery("calls")
    )
    ranked = select(
        calls.c.g,
        calls.c.ms,
        func.row_number().over(partition_by=calls.c.g, order_by=calls.c.ms).label("rn"),
        func.count().over(partition_by=calls.c.g).label("n"),
    ).subquery("ranked_calls")
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    query = (
        select(
            ranked.c.g,
            func.count(),
            func.avg(case((middle, ranked.c.ms))),
            func.avg(ranked.c.ms),
        )
        .group_by(ranked.c.g)
        .order_by(ranked.c.g)
    )
    return {
        g: Durations(int(count), float(median_ms) / 1000, float(mean_ms) / 1000)
        for g, count, median_ms, mean_ms in executor.execute(query)
    }


def satisfaction_rate(
    executor: Executor, period: Period, *, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Rate]:
    """SQL twin of ``nurse_app.domain.metrics.satisfaction_rate`` (DESIGN "Satisfaction rate")."""
    correction = responses.alias("correction")
    superseded = exists(
        select(1).where(correction.c.supersedes == responses.c.id, correction.c.id != responses.c.id)
    )
    inner = (
        select(
            _group_column(
                by,
                period,
                zone,
                ward=tasks.c.ward_code,
                nurse=responses.c.submitted_by,
                plan=tasks.c.plan_code,
                moment=responses.c.submitted_at,
            ),
            case((answers.c.ordinal >= SATISFIED_ORDINAL, 1), else_=0).label("hit"),
        )
        .select_from(
            answers.join(responses, responses.c.id == answers.c.response_id).join(
                tasks, tasks.c.id == responses.c.task_id
            )
        )
        .where(
            answers.c.is_satisfaction,
            answers.c.ordinal.is_not(None),
            _in_period(responses.c.submitted_at, period),
            ~superseded,
        )
    )
    return _rates(executor, inner)


def rate_table(
    executor: Executor, period: Period, *, as_of: datetime, by: GroupBy, zone: str = DEFAULT_ZONE
) -> RateTable:
    """All five rates of the period grouped by ``by``, computed by the database."""
    return build_rate_table(
        by,
        miss=miss_rate(executor, period, as_of=as_of, by=by, zone=zone),
        on_time=on_time_rate(executor, period, as_of=as_of, by=by, zone=zone),
        reach=reach_rate(executor, period, by=by, zone=zone),
        durations=call_durations(executor, period, by=by, zone=zone),
        satisfaction=satisfaction_rate(executor, period, by=by, zone=zone),
    )
