"""Apply one intake event (any source) to the records, in the caller's transaction.

Writes go through the sync layer's ``BatchContext`` as the ``intake`` user, so
every patient, encounter, enrollment and task written here gets its record
version, history, audit row and change-feed entry exactly like a desk's push,
and the ward's desktops receive them at their next pull.

Out-of-order events are expected from real interface engines: an A03 for an
unknown visit creates the encounter; an A01 or A08 after the A03 updates the
encounter but never clears its discharge (only A13 does).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from nurse_app.domain.model import Encounter, Patient, Role, Sex, User
from server_sync.protocol import entity_to_payload, payload_to_entity
from server_sync.service.config.models import WardRow
from server_sync.service.intake import enroll, group_cache, merge, mpi, transfer
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.context import IntakeContext
from server_sync.service.intake.events import ApplyResult, EventKind, IntakeError, IntakeEvent, PatientData
from server_sync.service.intake.models import EncounterKeyRow
from server_sync.service.records.models import EncounterRow, PatientRow
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.writes import new_row, replace_payload

INTAKE_USER = User("intake", "医院接口 hospital intake", Role.ADMIN)

# Where each missing or bad value sits in each source, for ACK ERR segments and row reports.
LOCATIONS = {
    "hl7": {
        "name": "PID^1^5",
        "birth_date": "PID^1^7",
        "ward": "PV1^1^3",
        "visit": "PV1^1^19",
        "admitted": "PV1^1^44",
    },
    "fhir": {
        "name": "Patient.name",
        "birth_date": "Patient.birthDate",
        "ward": "Encounter.location",
        "visit": "Encounter.identifier",
        "admitted": "Encounter.period.start",
    },
    "csv": {
        "name": "姓名/name",
        "birth_date": "出生日期/birth_date",
        "ward": "病区/ward",
        "visit": "住院号/MRN",
        "admitted": "入院时间/admitted_at",
    },
}


def where(source: str, what: str) -> str:
    return LOCATIONS.get(source, LOCATIONS["csv"]).get(what, what)


def new_context(*, db_session: Session, source: str, now: datetime) -> BatchContext:
    return IntakeContext(
        db_session=db_session, user=INTAKE_USER, device_id=f"intake:{source}", client_id="intake", now=now
    )


def apply_event(
    *,
    db_session: Session,
    event: IntakeEvent,
    settings: IntakeSettings,
    now: datetime,
    ctx: BatchContext | None = None,
) -> ApplyResult:
    """Apply ``event``; raises IntakeError (nothing written by the caller's rollback) when it cannot.

    With ``ctx`` (a group of messages sharing one context) the caller calls ``ctx.finish()``.
    """
    own = ctx is None
    if ctx is None:
        ctx = new_context(db_session=db_session, source=event.source, now=now)
    result = ApplyResult()
    if event.kind is EventKind.MERGE:
        merge.merge_event(ctx, event, settings, result, upsert_patient=upsert_patient)
    else:
        patient = upsert_patient(
            ctx, event.patient, event.source, settings, result, ward_hint=_ward_hint(event)
        )
        result.patient_id = patient.id
        if event.visit is not None:
            _apply_visit(ctx, event, patient, settings, result)
    if own:
        ctx.finish()
    return result


def _ward_hint(event: IntakeEvent) -> str | None:
    return event.visit.ward_code if event.visit else None


def _lock(ctx: BatchContext, entity: str, record_id: str):
    ctx.prefetch({entity: [record_id]}, lock=True)
    return ctx.row(entity, record_id)


def upsert_patient(
    ctx: BatchContext,
    data: PatientData,
    source: str,
    settings: IntakeSettings,
    result: ApplyResult,
    *,
    ward_hint: str | None,
) -> PatientRow:
    """The stored patient for ``data`` (found by the MPI and updated, or created)."""
    found = mpi.resolve(
        db_session=ctx.db_session, data=data, auto_link=settings.mpi_auto_link, review=settings.mpi_review
    )
    if found.patient_id is not None:
        row = _lock(ctx, "patient", found.patient_id)
        if row is not None and not row.deleted:
            current = payload_to_entity("patient", row.payload)
            updated = dataclasses.replace(
                current,
                name=data.name or current.name,
                sex=data.sex if data.sex not in (None, Sex.UNKNOWN) else current.sex,
                birth_date=data.birth_date or current.birth_date,
                phone=data.phone or current.phone,
                national_id=data.national_id or current.national_id,
            )
            replace_payload(ctx, "patient", row, entity_to_payload(updated))
            mpi.remember(db_session=ctx.db_session, patient_id=row.id, data=data, stored=row.payload)
            return row
    if not data.name:
        raise IntakeError(
            "the patient's name is missing for a new patient", code="101", location=where(source, "name")
        )
    if data.birth_date is None:
        raise IntakeError(
            "the birth date is missing for a new patient", code="101", location=where(source, "birth_date")
        )
    patient = Patient(
        mrn=data.mrn,
        name=data.name,
        sex=data.sex or Sex.UNKNOWN,
        birth_date=data.birth_date,
        phone=data.phone or "",
        national_id=data.national_id or "",
    )
    row = new_row(ctx, "patient", entity_to_payload(patient), None, mrn=patient.mrn)
    group_cache.added_patient(ctx.db_session, row.id)
    mpi.remember(db_session=ctx.db_session, patient_id=row.id, data=data, stored=row.payload)
    if found.review:
        result.review_items += mpi.queue_review(
            db_session=ctx.db_session, patient_id=row.id, items=found.review, ward_code=ward_hint, now=ctx.now
        )
    return row


def _require_ward(ctx: BatchContext, code: str | None, source: str) -> WardRow:
    if not code:
        raise IntakeError("the ward is missing", code="101", location=where(source, "ward"))
    ward = group_cache.get(ctx.db_session, WardRow, code)
    if ward is None:
        raise IntakeError(
            f"unknown ward {code}: add it with `followup-server wards add`",
            code="103",
            location=where(source, "ward"),
        )
    return ward


def visit_key(event: IntakeEvent) -> str | None:
    """One key per hospital stay, shared by every source that names it the same way."""
    visit = event.visit
    if visit is None:
        return None
    if visit.key:
        return f"visit:{visit.key}"
    moment = visit.admitted_at or visit.discharged_at
    return f"mrn:{event.patient.mrn}:{moment.isoformat()}" if moment else None


def _find_encounter(
    ctx: BatchContext, key: str | None, patient: PatientRow, source: str
) -> tuple[EncounterRow | None, EncounterKeyRow | None]:
    if key is None:
        return None, None
    key_row = group_cache.get(ctx.db_session, EncounterKeyRow, key, lock=True)
    if key_row is None:
        return None, None
    row = _lock(ctx, "encounter", key_row.encounter_id)
    if row is not None and mpi.survivor(db_session=ctx.db_session, patient_id=row.patient_id) != patient.id:
        raise IntakeError(
            f"visit {key} belongs to another patient", code="204", location=where(source, "visit")
        )
    return row, key_row


def _apply_visit(
    ctx: BatchContext, event: IntakeEvent, patient: PatientRow, settings: IntakeSettings, result: ApplyResult
) -> None:
    visit, kind, source = event.visit, event.kind, event.source
    assert visit is not None
    key = visit_key(event)
    row, key_row = _find_encounter(ctx, key, patient, source)
    if kind in (EventKind.CANCEL_ADMIT, EventKind.CANCEL_DISCHARGE):
        if row is None or row.deleted:
            raise IntakeError(
                f"no admission {key or '(no visit number)'} to cancel",
                code="204",
                location=where(source, "visit"),
            )
        result.encounter_id = row.id
        reason = (
            "admission cancelled (A11)" if kind is EventKind.CANCEL_ADMIT else "discharge cancelled (A13)"
        )
        result.cancelled_tasks += enroll.cancel_for_encounter(ctx, row.id, reason)
        _cancel(ctx, row, kind)
        return
    if row is None or row.deleted:
        if kind is EventKind.UPDATE and not visit.ward_code:
            return  # a demographics-only A08 for a stay we never saw
        row = _create_encounter(ctx, event, patient)
    else:
        _update_encounter(ctx, event, row, result)
    result.encounter_id = row.id
    flags = set(visit.flags) | ({"deceased"} if event.patient.deceased else set())
    if key is not None:
        if key_row is None:
            key_row = group_cache.add(
                ctx.db_session,
                EncounterKeyRow,
                key,
                EncounterKeyRow(
                    key=key, encounter_id=row.id, patient_id=patient.id, flags="", updated_at=ctx.now
                ),
            )
        stored = {f for f in key_row.flags.split(",") if f}
        key_row.flags = ",".join(sorted(stored | flags))
        key_row.updated_at = ctx.now
        flags |= stored
    if ctx.link_patient_ward(patient.id, row.ward_code):
        ctx.emit("patient", patient)
    if row.payload.get("discharged_at"):
        enroll.enroll_discharge(ctx, patient, row, frozenset(flags), settings, result)


def _create_encounter(ctx: BatchContext, event: IntakeEvent, patient: PatientRow) -> EncounterRow:
    visit, source = event.visit, event.source
    assert visit is not None
    ward = _require_ward(ctx, visit.ward_code, source)
    admitted = visit.admitted_at or visit.discharged_at or event.occurred_at
    if admitted is None:
        raise IntakeError("the admission time is missing", code="101", location=where(source, "admitted"))
    discharged = visit.discharged_at if event.kind in (EventKind.DISCHARGE, EventKind.UPDATE) else None
    if event.kind is EventKind.ADMIT:
        discharged = None
    encounter = Encounter(
        patient_id=patient.id,
        ward_code=ward.code,
        admitted_at=admitted,
        discharged_at=discharged,
        diagnoses=visit.diagnoses or (),
        procedures=visit.procedures or (),
        attending_doctor=visit.attending or "",
        discharge_summary=visit.disposition or "",
    )
    _check_times(encounter, source)
    row = new_row(ctx, "encounter", entity_to_payload(encounter), ward.code, patient_id=patient.id)
    group_cache.added_encounter(ctx.db_session, row)
    return row


def _check_times(encounter: Encounter, source: str) -> None:
    if encounter.discharged_at is not None and encounter.discharged_at < encounter.admitted_at:
        raise IntakeError(
            "the discharge time is before the admission time", code="102", location=where(source, "admitted")
        )


def _update_encounter(ctx: BatchContext, event: IntakeEvent, row: EncounterRow, result: ApplyResult) -> None:
    visit = event.visit
    assert visit is not None
    current: Encounter = payload_to_entity("encounter", row.payload)
    ward_code = current.ward_code
    if visit.ward_code and visit.ward_code != current.ward_code:
        ward_code = _require_ward(ctx, visit.ward_code, event.source).code
    discharged = current.discharged_at
    if event.kind in (EventKind.DISCHARGE, EventKind.UPDATE) and visit.discharged_at is not None:
        discharged = visit.discharged_at
    updated = dataclasses.replace(
        current,
        ward_code=ward_code,
        admitted_at=visit.admitted_at or current.admitted_at,
        discharged_at=discharged,
        diagnoses=visit.diagnoses if visit.diagnoses is not None else current.diagnoses,
        procedures=visit.procedures if visit.procedures is not None else current.procedures,
        attending_doctor=visit.attending or current.attending_doctor,
        discharge_summary=visit.disposition or current.discharge_summary,
    )
    _check_times(updated, event.source)
    if replace_payload(ctx, "encounter", row, entity_to_payload(updated)):
        row.ward_code = ward_code
    if ward_code != current.ward_code:
        result.moved_tasks += transfer.follow_stay(ctx, row.id, row.patient_id, current.ward_code, ward_code)


def _cancel(ctx: BatchContext, row: EncounterRow, kind: EventKind) -> None:
    if kind is EventKind.CANCEL_DISCHARGE:
        current: Encounter = payload_to_entity("encounter", row.payload)
        replace_payload(
            ctx, "encounter", row, entity_to_payload(dataclasses.replace(current, discharged_at=None))
        )
        return
    ctx.remember_version("encounter", row)
    row.deleted, row.version = True, row.version + 1
    row.updated_at, row.updated_by = ctx.now, ctx.user.username
    ctx.emit("encounter", row, op="delete")
    ctx.audit("update", "encounter", row.id, detail="admission cancelled by the hospital (A11)")


def previous_discharges(db_session: Session, patient_id: str, encounter_id: str) -> tuple[datetime, ...]:
    """Discharge times of the patient's other stays (for the 30-day readmission tag)."""
    found = []
    for row in group_cache.encounters_of(db_session, patient_id):
        if row.id == encounter_id or row.deleted:
            continue
        value = row.payload.get("discharged_at")
        if value:
            found.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return tuple(found)
