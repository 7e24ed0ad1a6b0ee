"""The headline numbers of many wards counted from the records, one grouped query per figure family.

``headline.tallies`` computes the figures with the pure definitions of
``nurse_app.domain.metrics`` over the records ``load_records`` reads. These
queries count the very same numbers in SQLite without building domain
objects; each restates the pure definition it mirrors. The dashboard reads
whole days from the maintained totals (``headline_totals``) and uses these
for what is left: the edges of a period that are not whole days, and
databases that keep no totals.

Each query is led by its family's timestamp (an index range, migration 0005)
and filters wards in Python: with ``ward_code IN (…)`` SQLite would walk a
ward-led index over every task the wards ever had. The exception is the
on-time query, whose only discharge index is ward-led.

* call durations are read as integer microseconds (the stored text is
  ``'YYYY-MM-DD HH:MM:SS.ffffff'``) and divided by 10⁶ — exactly
  ``timedelta.total_seconds()``;
* disease groups are taken from the stored ``primary_icd10`` in Python
  (``str.strip`` / ``upper``, as the pure path does);
* a response is superseded when any other response names it in ``supersedes``
  (a correction supersedes a response of the same task, so this is what the
  pure path sees among the records of the task).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, exists, func, literal_column, select

from nurse_app.domain.metrics import EXCLUDED_FROM_MISS_RATE, ON_TIME_LIMIT, Period
from nurse_app.domain.model import (
    SATISFIED_ORDINAL,
    AlertSeverity,
    AlertStatus,
    CallOutcome,
    TaskStatus,
)
from nurse_app.reports.ward_counts import WardCounts
from nurse_app.store.metrics_sql import Executor, add_seconds
from nurse_app.store.models import (
    AlertRow,
    CallAttemptRow,
    EncounterRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
)

__all__ = [
    "FAMILIES",
    "OPEN_ALERT_STATUSES",
    "Counter",
    "icd10_group",
    "open_critical_alerts",
    "record_counts",
]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
responses = ResponseRow.__table__
answers = ResponseAnswerRow.__table__
alerts = AlertRow.__table__

OPEN_ALERT_STATUSES = (AlertStatus.OPEN.value, AlertStatus.ESCALATED.value)

Counts = dict[str, WardCounts]
# Adds one family's numbers of ``period`` to the counts of the wards: (conn, counts, wards, period, as_of).
Counter = Callable[[Executor, Counts, Sequence[str], Period, datetime], None]


def icd10_group(code: str) -> str:
    """``I50.9`` → ``I50``: the disease group a primary diagnosis counts under."""
    return code.strip().upper()[:3]


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return and_(column >= period.start, column < period.end)


def _micros(start, end):  # type: ignore[no-untyped-def]
    """``end − start`` in whole microseconds from the stored text (SQLite)."""

    def seconds(column):  # type: ignore[no-untyped-def]
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)

    def fraction(column):  # type: ignore[no-untyped-def]
        return cast(func.substr(column, 21, 6), Integer)

    return (seconds(end) - seconds(start)) * literal_column("1000000") + (fraction(end) - fraction(start))


def count_miss(conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime) -> None:
    # pure.miss_rate: not cancelled/paused, window_end in the period and <= as_of; missed unless
    # completed with completed_at <= window_end.
    kept = and_(
        tasks.c.status == TaskStatus.COMPLETED.value,
        tasks.c.completed_at.is_not(None),
        tasks.c.completed_at <= tasks.c.window_end,
    )
    query = (
        select(tasks.c.ward_code, func.sum(case((kept, 0), else_=1)), func.count())
        .where(
            _in(tasks.c.window_end, period),
            tasks.c.window_end <= as_of,
            tasks.c.status.not_in([s.value for s in EXCLUDED_FROM_MISS_RATE]),
        )
        .group_by(tasks.c.ward_code)
    )
    scope = set(wards)
    for ward, missed, closed in conn.execute(query):
        if ward in scope:
            counts[ward].add(missed=missed, closed=closed)


def count_on_time(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # pure.on_time_rate: encounters of the wards discharged in the period with a task, whose 24 h
    # have passed by as_of; on time when some attempt of its tasks started by discharge + 24 h.
    has_task = exists(select(1).where(tasks.c.encounter_id == encounters.c.id))
    contacted = exists(
        select(1)
        .select_from(tasks.join(attempts, attempts.c.task_id == tasks.c.id))
        .where(
            tasks.c.encounter_id == encounters.c.id,
            attempts.c.started_at
            <= add_seconds(encounters.c.discharged_at, int(ON_TIME_LIMIT.total_seconds())),
        )
    )
    query = (
        select(encounters.c.ward_code, func.sum(case((contacted, 1), else_=0)), func.count())
        .where(
            encounters.c.ward_code.in_(list(wards)),  # the discharge index is (ward_code, discharged_at)
            _in(encounters.c.discharged_at, period),
            encounters.c.discharged_at <= as_of - ON_TIME_LIMIT,
            has_task,
        )
        .group_by(encounters.c.ward_code)
    )
    for ward, hits, total in conn.execute(query):
        counts[ward].add(on_time=hits, discharges=total)


def count_reach(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # pure.reach_rate: tasks due in the period (any status) with an attempt; reached when one
    # of its attempts reached the patient. Per-task EXISTS keeps the period's tasks the outer loop:
    # as a join, SQLite would rather walk every attempt of the cache.
    of_task = select(1).where(attempts.c.task_id == tasks.c.id)
    reached = exists(of_task.where(attempts.c.outcome == CallOutcome.REACHED.value))
    query = (
        select(tasks.c.ward_code, func.sum(case((reached, 1), else_=0)), func.count())
        .where(_in(tasks.c.due_at, period), exists(of_task))
        .group_by(tasks.c.ward_code)
    )
    scope = set(wards)
    for ward, hits, total in conn.execute(query):
        if ward in scope:
            counts[ward].add(reached=hits, attempted=total)


def count_durations(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # pure.call_durations: reached attempts with an end, started in the period, of the wards' tasks.
    query = (
        select(tasks.c.ward_code, _micros(attempts.c.started_at, attempts.c.ended_at))
        .select_from(attempts.join(tasks, tasks.c.id == attempts.c.task_id))
        .where(
            _in(attempts.c.started_at, period),
            attempts.c.outcome == CallOutcome.REACHED.value,
            attempts.c.ended_at.is_not(None),
        )
    )
    scope = set(wards)
    for ward, micros in conn.execute(query):
        if ward in scope:
            counts[ward].seconds.append(int(micros) / 10**6)


def count_responses(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # Scales filled and pure.satisfaction_rate: responses of the wards' tasks submitted in the
    # period that no other response supersedes; their satisfaction answers with an ordinal
    # (one row per item in response_answers), satisfied at SATISFIED_ORDINAL or above.
    correction = responses.alias("correction")
    superseded = exists(
        select(1).where(correction.c.supersedes == responses.c.id, correction.c.id != responses.c.id)
    )
    rated = and_(
        answers.c.response_id == responses.c.id,
        answers.c.is_satisfaction,
        answers.c.ordinal.is_not(None),
    )
    voted = select(func.count()).where(rated).scalar_subquery()
    satisfied = select(func.count()).where(rated, answers.c.ordinal >= SATISFIED_ORDINAL).scalar_subquery()
    per_response = (
        select(tasks.c.ward_code.label("ward"), voted.label("voted"), satisfied.label("satisfied"))
        .select_from(responses.join(tasks, tasks.c.id == responses.c.task_id))
        .where(_in(responses.c.submitted_at, period), ~superseded)
        .subquery()
    )
    query = select(
        per_response.c.ward,
        func.count(),
        func.sum(per_response.c.satisfied),
        func.sum(per_response.c.voted),
    ).group_by(per_response.c.ward)
    scope = set(wards)
    for ward, filled, hits, total in conn.execute(query):
        if ward in scope:
            counts[ward].add(filled=filled, satisfied=hits, votes=total)


def count_completed(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # Follow-ups completed: status completed, completed_at in the period (ward, status, completed_at index).
    query = (
        select(tasks.c.ward_code, func.count())
        .where(
            tasks.c.ward_code.in_(list(wards)),
            tasks.c.status == TaskStatus.COMPLETED.value,
            _in(tasks.c.completed_at, period),
        )
        .group_by(tasks.c.ward_code)
    )
    for ward, completed in conn.execute(query):
        counts[ward].add(completed=completed)


def count_diseases(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    # Primary diagnoses of encounters with a non-cancelled task of the ward due in the period.
    query = (
        select(tasks.c.ward_code, encounters.c.primary_icd10)
        .select_from(tasks.join(encounters, encounters.c.id == tasks.c.encounter_id))
        .where(_in(tasks.c.due_at, period), tasks.c.status != TaskStatus.CANCELLED.value)
        .distinct()
    )
    scope = set(wards)
    for ward, icd10 in conn.execute(query):
        if ward in scope and icd10 and icd10.strip():
            counts[ward].diseases.add(icd10_group(icd10))


def open_critical_alerts(conn: Executor, wards: Sequence[str], period: Period) -> dict[str, int]:
    """Critical alerts raised in ``period`` that are still open or escalated, per ward."""
    query = (
        select(alerts.c.ward_code, func.count())
        .where(
            alerts.c.ward_code.in_(list(wards)),
            alerts.c.severity == AlertSeverity.CRITICAL.value,
            alerts.c.status.in_(OPEN_ALERT_STATUSES),
            alerts.c.raised_at >= period.start,
            alerts.c.raised_at < period.end,
        )
        .group_by(alerts.c.ward_code)
    )
    return {ward: int(count) for ward, count in conn.execute(query)}


def count_open_critical(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, as_of: datetime
) -> None:
    for ward, number in open_critical_alerts(conn, wards, period).items():
        counts[ward].add(open_critical=number)


# Every figure family, by the name ``headline_totals`` knows it under.
FAMILIES: dict[str, Counter] = {
    "miss": count_miss,
    "on_time": count_on_time,
    "reach": count_reach,
    "durations": count_durations,
    "responses": count_responses,
    "completed": count_completed,
    "diseases": count_diseases,
    "open_critical": count_open_critical,
}


def record_counts(
    conn: Executor, counts: Counts, wards: Sequence[str], period: Period, *, as_of: datetime
) -> None:
    """Add every figure of ``period`` counted from the records to ``counts``."""
    for counter in FAMILIES.values():
        counter(conn, counts, wards, period, as_of)
