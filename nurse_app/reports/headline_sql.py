"""The headline tallies of many wards as grouped SQL: the dashboard's fast path.

``headline.tallies`` computes the figures with the pure definitions of
``nurse_app.domain.metrics`` over the records ``load_records`` reads; for the
whole hospital that means building every task, attempt and response of two
months as domain objects. This module computes the very same counts with one
grouped query per figure, each reading only index entries (migration 0005),
and returns the same :class:`~nurse_app.reports.headline.Tally` values. Each
query below restates the pure definition it mirrors; the ones that are not
plain counts stay in Python:

* the call durations are read as integer microseconds (the stored text is
  ``'YYYY-MM-DD HH:MM:SS.ffffff'``) and divided by 10⁶ — exactly
  ``timedelta.total_seconds()`` — and their median and mean are taken by
  ``statistics`` as the pure function does;
* disease groups are the distinct ``primary_icd10`` (the primary diagnosis
  the encounter row is saved with), grouped by ``icd10_group`` in Python.

A response is superseded when any other response names it in ``supersedes``
(a correction supersedes a response of the same task, so this is what the
pure path sees among the records of the task).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, exists, func, literal_column, select

from nurse_app.domain.metrics import EXCLUDED_FROM_MISS_RATE, ON_TIME_LIMIT, Durations, Period, Rate
from nurse_app.domain.model import SATISFIED_ORDINAL, CallOutcome, TaskStatus, require_utc
from nurse_app.store.metrics_sql import Executor, add_seconds
from nurse_app.store.models import (
    CallAttemptRow,
    EncounterRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
)

__all__ = ["sql_tallies"]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
responses = ResponseRow.__table__
answers = ResponseAnswerRow.__table__


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


def _miss(conn: Executor, wards: list[str], period: Period, as_of: datetime) -> dict[str, Rate]:
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
            tasks.c.ward_code.in_(wards),
            _in(tasks.c.window_end, period),
            tasks.c.window_end <= as_of,
            tasks.c.status.not_in([s.value for s in EXCLUDED_FROM_MISS_RATE]),
        )
        .group_by(tasks.c.ward_code)
    )
    return {ward: Rate(int(hits), int(total)) for ward, hits, total in conn.execute(query)}


def _on_time(conn: Executor, wards: list[str], period: Period, as_of: datetime) -> dict[str, Rate]:
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
            encounters.c.ward_code.in_(wards),
            _in(encounters.c.discharged_at, period),
            encounters.c.discharged_at <= as_of - ON_TIME_LIMIT,
            has_task,
        )
        .group_by(encounters.c.ward_code)
    )
    return {ward: Rate(int(hits), int(total)) for ward, hits, total in conn.execute(query)}


def _reach(conn: Executor, wards: list[str], period: Period) -> dict[str, Rate]:
    # pure.reach_rate: tasks due in the period (any status) with an attempt; reached when one
    # of its attempts reached the patient.
    per_task = (
        select(
            tasks.c.ward_code.label("ward"),
            func.max(case((attempts.c.outcome == CallOutcome.REACHED.value, 1), else_=0)).label("hit"),
        )
        .select_from(tasks.join(attempts, attempts.c.task_id == tasks.c.id))
        .where(tasks.c.ward_code.in_(wards), _in(tasks.c.due_at, period))
        .group_by(tasks.c.id)
        .subquery()
    )
    query = select(per_task.c.ward, func.sum(per_task.c.hit), func.count()).group_by(per_task.c.ward)
    return {ward: Rate(int(hits), int(total)) for ward, hits, total in conn.execute(query)}


def _durations(conn: Executor, wards: list[str], period: Period) -> dict[str, list[float]]:
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
    # No ward condition in SQL: the planner would then walk every task of the wards instead of
    # the period's attempts (the start-time index); other wards are dropped here.
    scope = set(wards)
    seconds: dict[str, list[float]] = defaultdict(list)
    for ward, micros in conn.execute(query):
        if ward in scope:
            seconds[ward].append(int(micros) / 10**6)
    return seconds


def _responses(conn: Executor, wards: list[str], period: Period) -> tuple[dict[str, int], dict[str, Rate]]:
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
        .where(_in(responses.c.submitted_at, period), ~superseded)  # wards: see _durations
        .subquery()
    )
    query = select(
        per_response.c.ward,
        func.count(),
        func.sum(per_response.c.satisfied),
        func.sum(per_response.c.voted),
    ).group_by(per_response.c.ward)
    filled: dict[str, int] = {}
    satisfaction: dict[str, Rate] = {}
    scope = set(wards)
    for ward, count, hits, total in conn.execute(query):
        if ward not in scope:
            continue
        filled[ward] = int(count)
        if total:
            satisfaction[ward] = Rate(int(hits), int(total))
    return filled, satisfaction


def _completed(conn: Executor, wards: list[str], period: Period) -> dict[str, int]:
    query = (
        select(tasks.c.ward_code, func.count())
        .where(
            tasks.c.ward_code.in_(wards),
            tasks.c.status == TaskStatus.COMPLETED.value,
            _in(tasks.c.completed_at, period),
        )
        .group_by(tasks.c.ward_code)
    )
    return {ward: int(count) for ward, count in conn.execute(query)}


def _diseases(conn: Executor, wards: list[str], period: Period) -> dict[str, set[str]]:
    # Primary diagnoses of encounters with a non-cancelled task of the ward due in the period.
    query = (
        select(tasks.c.ward_code, encounters.c.primary_icd10)
        .select_from(tasks.join(encounters, encounters.c.id == tasks.c.encounter_id))
        .where(
            tasks.c.ward_code.in_(wards),
            _in(tasks.c.due_at, period),
            tasks.c.status != TaskStatus.CANCELLED.value,
        )
        .distinct()
    )
    found: dict[str, set[str]] = defaultdict(set)
    for ward, icd10 in conn.execute(query):
        if icd10 and icd10.strip():
            found[ward].add(icd10_group(icd10))
    return found


def _durations_of(values: list[float]) -> Durations:
    return Durations(len(values), statistics.median(values), statistics.fmean(values))


def sql_tallies(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    open_critical: Mapping[str, int],
) -> dict[str, object]:
    """The numbers of ``headline.tallies`` per ward and for all of ``wards`` (key ``ALL``).

    Returns ``{ward or ALL: Tally}`` (typed loosely to avoid an import cycle with ``headline``).
    """
    from nurse_app.reports.headline import ALL, Tally

    as_of = require_utc(as_of, "as_of")
    codes = list(dict.fromkeys(wards))
    miss = _miss(conn, codes, period, as_of)
    on_time = _on_time(conn, codes, period, as_of)
    reach = _reach(conn, codes, period)
    seconds = _durations(conn, codes, period)
    filled, satisfaction = _responses(conn, codes, period)
    completed = _completed(conn, codes, period)
    diseases = _diseases(conn, codes, period)

    def total(rates: Mapping[str, Rate], members: list[str]) -> Rate:
        return Rate(
            sum(rates[w].numerator for w in members if w in rates),
            sum(rates[w].denominator for w in members if w in rates),
        )

    result: dict[str, object] = {}
    for key in [*wards, ALL]:
        members = list(wards) if key == ALL else [key]
        distinct = codes if key == ALL else [key]  # the pure rates count a record once per group
        values = [v for w in distinct for v in seconds.get(w, ())]
        result[key] = Tally(
            miss=total(miss, distinct),
            on_time=total(on_time, distinct),
            reach=total(reach, distinct),
            satisfaction=total(satisfaction, distinct),
            durations=_durations_of(values) if values else Durations(0, None, None),
            completed=sum(completed.get(w, 0) for w in members),
            responses=sum(filled.get(w, 0) for w in members),
            diseases=frozenset().union(*(diseases.get(w, set()) for w in distinct)),
            open_critical=sum(open_critical.get(w, 0) for w in members),
        )
    return result
