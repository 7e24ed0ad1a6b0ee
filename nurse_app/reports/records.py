"""The records of some wards that one period's rates can touch, loaded as domain objects.

Every figure of the reports is computed by the pure definitions of
``nurse_app.domain.metrics`` over these records (``metrics_sql`` computes the
same numbers, ``tests/test_metrics_agree.py`` proves it, and the report tests
compare with ``nurse-station stats``). Why not the SQL twins: they cannot filter
by ward before grouping by nurse or plan, and on a 500 k-task cache their
on-time query rescans ``tasks`` once per discharge (no index on
``tasks.encounter_id``) — a ward-month read here is a few indexed lookups.

The selection is exactly what the definitions read, so nothing that counts is
left out:

* tasks of the wards whose window closes, that fall due, or that were completed in the period;
* every task of an encounter of the wards discharged in the period (on-time rate),
  found through ``enrollments`` (indexed) rather than ``tasks.encounter_id`` (not indexed);
* tasks of the wards with an attempt started, or a response submitted, in the period;
* all attempts and responses of those tasks (a correction supersedes a response
  of the same task), their encounters and their patients.

Answers come from ``response_answers`` (one row per item, the first answer —
what the SQL satisfaction rate reads); ``with_text=True`` also parses
``answers_json`` for the free-text comments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from nurse_app.domain.metrics import Period
from nurse_app.domain.model import Answer, CallAttempt, Encounter, FollowUpTask, Patient, Response, TaskStatus
from nurse_app.store import mapping as m
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import (
    CallAttemptRow,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
)

__all__ = ["ScopeRecords", "load_records"]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
enrollments = EnrollmentRow.__table__
responses = ResponseRow.__table__
answers = ResponseAnswerRow.__table__
patients = PatientRow.__table__

_CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit
_STATUSES = [s.value for s in TaskStatus]


@dataclass(frozen=True, slots=True)
class ScopeRecords:
    tasks: tuple[FollowUpTask, ...]
    attempts: tuple[CallAttempt, ...]
    encounters: tuple[Encounter, ...]
    responses: tuple[Response, ...]
    patients: dict[str, Patient] = field(default_factory=dict)


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return and_(column >= period.start, column < period.end)


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _task_rows(conn: Executor, wards: list[str], period: Period) -> dict[str, object]:
    """Task rows by id. Each clause is shaped for an index: ``status IN (all)`` lets SQLite
    seek ``ix_tasks_ward_status_due`` / ``…_completed`` per ward and status instead of scanning."""
    in_wards = tasks.c.ward_code.in_(wards)
    queries = [
        select(tasks).where(in_wards, _in(tasks.c.window_end, period)),
        select(tasks).where(in_wards, tasks.c.status.in_(_STATUSES), _in(tasks.c.due_at, period)),
        select(tasks).where(
            in_wards, tasks.c.status == TaskStatus.COMPLETED.value, _in(tasks.c.completed_at, period)
        ),
        select(tasks)
        .select_from(tasks.join(enrollments, enrollments.c.id == tasks.c.enrollment_id))
        .where(
            enrollments.c.encounter_id.in_(
                select(encounters.c.id).where(
                    encounters.c.ward_code.in_(wards), _in(encounters.c.discharged_at, period)
                )
            )
        ),
        select(tasks)
        .select_from(tasks.join(attempts, attempts.c.task_id == tasks.c.id))
        .where(in_wards, _in(attempts.c.started_at, period)),
        select(tasks)
        .select_from(tasks.join(responses, responses.c.task_id == tasks.c.id))
        .where(in_wards, _in(responses.c.submitted_at, period)),
    ]
    rows: dict[str, object] = {}
    for query in queries:
        for row in conn.execute(query):
            rows.setdefault(row.id, row)
    return rows


def _answers(conn: Executor, response_ids: Sequence[str]) -> dict[str, list[Answer]]:
    found: dict[str, list[Answer]] = defaultdict(list)
    for chunk in _chunks(response_ids):
        query = select(answers).where(answers.c.response_id.in_(chunk)).order_by(answers.c.link_id)
        for row in conn.execute(query):
            found[row.response_id].append(Answer(row.link_id, None, row.ordinal, bool(row.is_satisfaction)))
    return found


def load_records(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    *,
    with_text: bool = False,
    with_patients: bool = False,
) -> ScopeRecords:
    """Every record of ``wards`` that a rate of ``period`` may read (see the module docstring)."""
    task_rows = _task_rows(conn, list(wards), period)
    task_list = [m.task_from_row(row) for row in task_rows.values()]
    ids = sorted(task_rows)
    attempt_list: list[CallAttempt] = []
    response_rows = []
    for chunk in _chunks(ids):
        attempt_list += [
            m.attempt_from_row(r) for r in conn.execute(select(attempts).where(attempts.c.task_id.in_(chunk)))
        ]
        columns = [c for c in responses.c if with_text or c.name != "answers_json"]
        response_rows += list(conn.execute(select(*columns).where(responses.c.task_id.in_(chunk))))
    if with_text:
        response_list = [m.response_from_row(r) for r in response_rows]
    else:
        by_response = _answers(conn, [r.id for r in response_rows])
        response_list = [
            Response(
                r.task_id,
                r.questionnaire_code,
                r.questionnaire_version,
                tuple(by_response.get(r.id, ())),
                r.submitted_by,
                r.submitted_at,
                r.score,
                r.supersedes,
                r.id,
            )
            for r in response_rows
        ]
    encounter_ids = sorted({t.encounter_id for t in task_list})
    encounter_list = []
    for chunk in _chunks(encounter_ids):
        encounter_list += [
            m.encounter_from_row(r)
            for r in conn.execute(select(encounters).where(encounters.c.id.in_(chunk)))
        ]
    patient_map: dict[str, Patient] = {}
    if with_patients:
        for chunk in _chunks(sorted({t.patient_id for t in task_list})):
            for r in conn.execute(select(patients).where(patients.c.id.in_(chunk))):
                patient_map[r.id] = m.patient_from_row(r)
    return ScopeRecords(
        tuple(sorted(task_list, key=lambda t: t.id)),
        tuple(sorted(attempt_list, key=lambda a: (a.started_at, a.id))),
        tuple(encounter_list),
        tuple(response_list),
        patient_map,
    )
