"""The headline's plain counts, grouped by ward, and call durations of a set of wards.

Definitions (the report's legend repeats them):

* **Follow-ups completed**: tasks of the ward with status ``completed`` whose
  ``completed_at`` is in the period (on time or late).
* **Scales filled**: responses submitted in the period that no correction
  supersedes (a correction replaces a response, as in the satisfaction rate).
* **Diseases covered**: distinct 3-character ICD-10 groups (``I50.9`` → ``I50``)
  of the primary diagnosis of encounters with a non-cancelled task due in the period.
* **Open critical alerts**: critical alerts raised in the period that are
  still open or escalated (not acknowledged or resolved) now.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select

from nurse_app.domain.metrics import Durations, Period
from nurse_app.domain.model import AlertSeverity, AlertStatus, CallOutcome, TaskStatus
from nurse_app.store.metrics_sql import Executor, duration_ms
from nurse_app.store.models import AlertRow, CallAttemptRow, EncounterRow, ResponseRow, TaskRow

__all__ = ["OPEN_ALERT_STATUSES", "WardCounts", "call_durations", "counts_by_ward", "icd10_group"]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
responses = ResponseRow.__table__
alerts = AlertRow.__table__

OPEN_ALERT_STATUSES = (AlertStatus.OPEN.value, AlertStatus.ESCALATED.value)


@dataclass(frozen=True, slots=True)
class WardCounts:
    completed: int = 0
    responses: int = 0
    diseases: frozenset[str] = frozenset()
    open_critical: int = 0


def icd10_group(code: str) -> str:
    """``'I50.9'`` → ``'I50'``: the 3-character category of an ICD-10 code."""
    return code.strip().upper()[:3]


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return and_(column >= period.start, column < period.end)


def _not_superseded():  # type: ignore[no-untyped-def]
    correction = responses.alias("correction")
    return ~exists(
        select(1).where(correction.c.supersedes == responses.c.id, correction.c.id != responses.c.id)
    )


def counts_by_ward(conn: Executor, period: Period) -> dict[str, WardCounts]:
    """Completed follow-ups, scales filled, diseases covered and open critical alerts of every ward."""
    completed = dict(
        conn.execute(
            select(tasks.c.ward_code, func.count())
            .where(tasks.c.status == TaskStatus.COMPLETED.value, _in(tasks.c.completed_at, period))
            .group_by(tasks.c.ward_code)
        ).all()
    )
    filled = dict(
        conn.execute(
            select(tasks.c.ward_code, func.count())
            .select_from(responses.join(tasks, tasks.c.id == responses.c.task_id))
            .where(_in(responses.c.submitted_at, period), _not_superseded())
            .group_by(tasks.c.ward_code)
        ).all()
    )
    diseases: dict[str, set[str]] = defaultdict(set)
    for ward, group in conn.execute(
        select(tasks.c.ward_code, func.upper(func.substr(func.trim(encounters.c.primary_icd10), 1, 3)))
        .select_from(tasks.join(encounters, encounters.c.id == tasks.c.encounter_id))
        .where(
            _in(tasks.c.due_at, period),
            tasks.c.status != TaskStatus.CANCELLED.value,
            encounters.c.primary_icd10 != "",
        )
        .distinct()
    ):
        diseases[ward].add(group)
    open_critical = dict(
        conn.execute(
            select(alerts.c.ward_code, func.count())
            .where(
                alerts.c.severity == AlertSeverity.CRITICAL.value,
                alerts.c.status.in_(OPEN_ALERT_STATUSES),
                _in(alerts.c.raised_at, period),
            )
            .group_by(alerts.c.ward_code)
        ).all()
    )
    wards = set(completed) | set(filled) | set(diseases) | set(open_critical)
    return {
        ward: WardCounts(
            int(completed.get(ward, 0)),
            int(filled.get(ward, 0)),
            frozenset(diseases.get(ward, ())),
            int(open_critical.get(ward, 0)),
        )
        for ward in wards
    }


def call_durations(conn: Executor, period: Period, wards: Sequence[str] | None) -> Durations:
    """Median and mean reached-call duration of several wards together (``None``: every ward).

    The population is ``metrics_sql.call_durations``'s (reached, ended, started
    in the period) restricted to the wards; medians of wards cannot be combined,
    so the durations themselves are fetched — one integer per call.
    """
    query = (
        select(duration_ms(attempts.c.started_at, attempts.c.ended_at))
        .select_from(attempts.join(tasks, tasks.c.id == attempts.c.task_id))
        .where(
            attempts.c.outcome == CallOutcome.REACHED.value,
            attempts.c.ended_at.is_not(None),
            _in(attempts.c.started_at, period),
        )
    )
    if wards is not None:
        query = query.where(tasks.c.ward_code.in_(list(wards)))
    seconds = [float(ms) / 1000 for (ms,) in conn.execute(query)]
    if not seconds:
        return Durations(0, None, None)
    return Durations(len(seconds), statistics.median(seconds), statistics.fmean(seconds))
