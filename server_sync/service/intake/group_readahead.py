"""Read, in a few bulk queries, what a group of intake events will look up one by one.

MPI identifiers (and the merges they lead through), the patients (locked, with their
ward links), their index rows and encounters, the visit keys (locked) and their
encounters (locked), the stays' plan matches, the wards, and the MPI blocks of the
birth dates of unknown patients. Each key asked for is entered in the read-ahead,
found or known absent, so the messages then run without a query of their own.
Locks are taken in the order the messages take them one by one: patients, visit keys,
encounters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server_sync.service.config.models import WardRow
from server_sync.service.intake.apply import visit_key
from server_sync.service.intake.events import IntakeEvent
from server_sync.service.intake.group_cache import ReadAhead, cache
from server_sync.service.intake.models import (
    EncounterKeyRow,
    PatientIdentifierRow,
    PatientIndexRow,
    PatientMergeRow,
    PlanMatchRow,
)
from server_sync.service.records.models import EncounterRow
from server_sync.service.sync.context import BatchContext

_CHUNK = 500


def _where_in(model: type, column: Any):
    """SELECT rows of ``model`` whose ``column`` is IN the list bound as ``values``: built once,
    compiled once (a list of literals would be coerced value by value on every call)."""
    return select(model).where(column.in_(bindparam("values", expanding=True)))


_IDENTIFIERS = _where_in(PatientIdentifierRow, PatientIdentifierRow.value)
_MERGES = _where_in(PatientMergeRow, PatientMergeRow.merged_id)
_INDEX_BY_PATIENT = _where_in(PatientIndexRow, PatientIndexRow.patient_id)
_INDEX_BY_BIRTH = _where_in(PatientIndexRow, PatientIndexRow.birth_date)
_KEYS = _where_in(EncounterKeyRow, EncounterKeyRow.key).order_by(EncounterKeyRow.key).with_for_update()
_ENCOUNTERS = _where_in(EncounterRow, EncounterRow.patient_id)
_PLAN_MATCHES = _where_in(PlanMatchRow, PlanMatchRow.encounter_id)
_WARDS = _where_in(WardRow, WardRow.code)


def read_ahead(ctx: BatchContext, events: Sequence[IntakeEvent]) -> ReadAhead:
    """Load what ``events`` need into a new read-ahead of ``ctx``'s transaction and return it."""
    db_session = ctx.db_session
    state = cache(db_session)
    ahead = state.ahead = ReadAhead()
    identifiers = _identifier_keys(events)
    wanted = set(identifiers)
    for row in _select(db_session, _IDENTIFIERS, sorted({value for _, value in identifiers})):
        if (row.system, row.value) in wanted:
            ahead.rows[(PatientIdentifierRow, (row.system, row.value))] = row
    _absent(ahead, PatientIdentifierRow, identifiers)
    patient_ids = _follow_merges(ctx, ahead, {row.patient_id for row in _found(ahead, PatientIdentifierRow)})
    ctx.prefetch({"patient": patient_ids}, lock=True)
    for row in _select(db_session, _INDEX_BY_PATIENT, sorted(patient_ids)):
        ahead.rows[(PatientIndexRow, row.patient_id)] = row
    _absent(ahead, PatientIndexRow, patient_ids)
    births = sorted({e.patient.birth_date for e in events if e.patient.birth_date and _unknown(ahead, e)})
    ahead.index_by_birth.update((birth, []) for birth in births)
    for row in _select(db_session, _INDEX_BY_BIRTH, births):
        ahead.rows[(PatientIndexRow, row.patient_id)] = row
        ahead.index_by_birth[row.birth_date].append(row)
    keys = sorted({key for key in map(visit_key, events) if key is not None})
    for row in _select(db_session, _KEYS, keys):
        ahead.rows[(EncounterKeyRow, row.key)] = row
    _absent(ahead, EncounterKeyRow, keys)
    encounter_ids = {row.encounter_id for row in _found(ahead, EncounterKeyRow)}
    ctx.prefetch({"encounter": encounter_ids}, lock=True)
    ahead.encounters_by_patient.update((patient_id, []) for patient_id in patient_ids)
    for row in _select(db_session, _ENCOUNTERS, sorted(patient_ids)):
        ahead.encounters_by_patient[row.patient_id].append(row)
        encounter_ids.add(row.id)
    ahead.plan_matches.update((encounter_id, []) for encounter_id in encounter_ids)
    for row in _select(db_session, _PLAN_MATCHES, sorted(encounter_ids)):
        ahead.plan_matches[row.encounter_id].append(row)
    wards = {e.visit.ward_code for e in events if e.visit is not None and e.visit.ward_code}
    wards |= {row.ward_code for rows in ahead.encounters_by_patient.values() for row in rows if row.ward_code}
    for row in _select(db_session, _WARDS, sorted(wards)):
        ahead.rows[(WardRow, row.code)] = row
    _absent(ahead, WardRow, wards)
    state.keep.extend(ahead.rows.values())
    for rows in (*ahead.encounters_by_patient.values(), *ahead.plan_matches.values()):
        state.keep.extend(rows)
    return ahead


def _select(db_session: Session, statement: Any, values: Sequence[Any]) -> Iterator[Any]:
    for start in range(0, len(values), _CHUNK):
        yield from db_session.scalars(statement, {"values": list(values[start : start + _CHUNK])})


def _unknown(ahead: ReadAhead, event: IntakeEvent) -> bool:
    """Neither the event's MRN nor its national ID is on file: the MPI compares demographics."""
    national = (event.patient.national_id or "").upper().strip()
    return ahead.rows.get((PatientIdentifierRow, ("mrn", event.patient.mrn.strip()))) is None and (
        not national or ahead.rows.get((PatientIdentifierRow, ("national_id", national))) is None
    )


def _identifier_keys(events: Iterable[IntakeEvent]) -> list[tuple[str, str]]:
    """(system, value) of every MRN and national ID the events name, as the MPI looks them up."""
    wanted = set()
    for event in events:
        for mrn in (event.patient.mrn, *event.merge_mrns):
            if mrn.strip():
                wanted.add(("mrn", mrn.strip()))
        national = (event.patient.national_id or "").upper().strip()
        if national:
            wanted.add(("national_id", national))
    return sorted(wanted)


def _follow_merges(ctx: BatchContext, ahead: ReadAhead, patient_ids: set[str]) -> set[str]:
    """The patients and the survivors they were merged into (merge rows read ahead, absences noted)."""
    unmerged = cache(ctx.db_session).unmerged
    every, frontier = set(patient_ids), sorted(patient_ids)
    while frontier:
        survivors = set()
        found = {row.merged_id: row for row in _select(ctx.db_session, _MERGES, frontier)}
        for patient_id in frontier:
            row = found.get(patient_id)
            ahead.rows[(PatientMergeRow, patient_id)] = row
            if row is None:
                unmerged.add(patient_id)
            else:
                survivors.add(row.surviving_id)
        frontier = sorted(survivors - every)
        every |= survivors
    return every


def _absent(ahead: ReadAhead, model: type, keys: Iterable[Any]) -> None:
    for key in keys:
        ahead.rows.setdefault((model, key), None)


def _found(ahead: ReadAhead, model: type) -> list[Any]:
    return [row for (kind, _), row in ahead.rows.items() if kind is model and row is not None]
