"""The records of a few wards that one period's rates can touch, loaded as domain objects.

The report's per-nurse, per-plan and weekly tables are computed by the pure
definitions of ``nurse_app.domain.metrics`` over these records: the SQL twins
cannot filter by ward before grouping by nurse or plan, and a ward-month is a
few hundred tasks, so memory is no concern. The selection is exactly what the
definitions read, so nothing that counts is left out:

* tasks whose window closes, that fall due, or that were completed in the period;
* every task of an encounter discharged in the period (on-time rate);
* tasks with an attempt started, or a response submitted, in the period;
* all attempts and responses of those tasks (corrections supersede responses
  of the same task), and their encounters and patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, union

from nurse_app.domain.metrics import Period
from nurse_app.domain.model import CallAttempt, Encounter, FollowUpTask, Patient, Response
from nurse_app.store import mapping as m
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import CallAttemptRow, EncounterRow, PatientRow, ResponseRow, TaskRow

__all__ = ["ScopeRecords", "load_records"]

tasks = TaskRow.__table__
attempts = CallAttemptRow.__table__
encounters = EncounterRow.__table__
responses = ResponseRow.__table__
patients = PatientRow.__table__


@dataclass(frozen=True, slots=True)
class ScopeRecords:
    tasks: tuple[FollowUpTask, ...]
    attempts: tuple[CallAttempt, ...]
    encounters: tuple[Encounter, ...]
    responses: tuple[Response, ...]
    patients: dict[str, Patient]


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return and_(column >= period.start, column < period.end)


def _task_ids(wards: Sequence[str], period: Period):  # type: ignore[no-untyped-def]
    """The ids of every task of ``wards`` that a rate of ``period`` may read (see the module docstring)."""
    in_wards = tasks.c.ward_code.in_(list(wards))
    own = select(tasks.c.id).where(
        in_wards,
        or_(_in(tasks.c.window_end, period), _in(tasks.c.due_at, period), _in(tasks.c.completed_at, period)),
    )
    discharged = select(tasks.c.id).where(
        tasks.c.encounter_id.in_(
            select(encounters.c.id).where(
                encounters.c.ward_code.in_(list(wards)), _in(encounters.c.discharged_at, period)
            )
        )
    )
    called = (
        select(attempts.c.task_id)
        .select_from(attempts.join(tasks, tasks.c.id == attempts.c.task_id))
        .where(in_wards, _in(attempts.c.started_at, period))
    )
    answered = (
        select(responses.c.task_id)
        .select_from(responses.join(tasks, tasks.c.id == responses.c.task_id))
        .where(in_wards, _in(responses.c.submitted_at, period))
    )
    return union(own, discharged, called, answered).subquery("wanted")


def load_records(conn: Executor, wards: Sequence[str], period: Period) -> ScopeRecords:
    """Every record of ``wards`` that a rate of ``period`` may read, as domain objects."""
    wanted = _task_ids(wards, period)
    ids = [task_id for (task_id,) in conn.execute(select(wanted.c.id))]
    task_list: list[FollowUpTask] = []
    attempt_list: list[CallAttempt] = []
    response_list: list[Response] = []
    # Chunked IN lists stay under SQLite's bound-parameter limit on a busy ward.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        task_list += [m.task_from_row(r) for r in conn.execute(select(tasks).where(tasks.c.id.in_(chunk)))]
        attempt_list += [
            m.attempt_from_row(r) for r in conn.execute(select(attempts).where(attempts.c.task_id.in_(chunk)))
        ]
        response_list += [
            m.response_from_row(r)
            for r in conn.execute(select(responses).where(responses.c.task_id.in_(chunk)))
        ]
    encounter_ids = sorted({t.encounter_id for t in task_list})
    patient_ids = sorted({t.patient_id for t in task_list})
    encounter_list: list[Encounter] = []
    patient_map: dict[str, Patient] = {}
    for start in range(0, max(len(encounter_ids), len(patient_ids)), 500):
        e_chunk = encounter_ids[start : start + 500]
        p_chunk = patient_ids[start : start + 500]
        if e_chunk:
            encounter_list += [
                m.encounter_from_row(r)
                for r in conn.execute(select(encounters).where(encounters.c.id.in_(e_chunk)))
            ]
        if p_chunk:
            for r in conn.execute(select(patients).where(patients.c.id.in_(p_chunk))):
                patient_map[r.id] = m.patient_from_row(r)
    return ScopeRecords(
        tuple(sorted(task_list, key=lambda t: t.id)),
        tuple(sorted(attempt_list, key=lambda a: (a.started_at, a.id))),
        tuple(encounter_list),
        tuple(response_list),
        patient_map,
    )
