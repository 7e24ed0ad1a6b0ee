"""A40 merge (and a reviewer's "same person"): keep both histories under the surviving patient.

Encounters, enrollments, tasks and alerts of the merged patient are re-pointed
(each a new record version on the feed), the survivor becomes visible in the
merged patient's wards, and the merged patient is tombstoned on the feed so
desks drop it. The MPI then sends later messages for the old MRN to the
survivor.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update

from server_sync.service.intake import group_cache, mpi
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import ApplyResult, IntakeError, IntakeEvent
from server_sync.service.intake.models import (
    EncounterKeyRow,
    MpiReviewRow,
    PatientIdentifierRow,
    PlanMatchRow,
)
from server_sync.service.records.models import AlertRow, EncounterRow, EnrollmentRow, PatientRow, TaskRow
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.writes import replace_payload


def merge_event(
    ctx: BatchContext,
    event: IntakeEvent,
    settings: IntakeSettings,
    result: ApplyResult,
    *,
    upsert_patient: Callable,
) -> None:
    """Apply an A40: PID names the survivor, MRG-1 the merged MRN(s)."""
    db_session = ctx.db_session
    merged_ids = []
    for mrn in event.merge_mrns:
        found = mpi.lookup(db_session=db_session, system="mrn", value=mrn)
        if found is not None:
            merged_ids.append((mrn, found))
    surviving_known = mpi.lookup(db_session=db_session, system="mrn", value=event.patient.mrn)
    if not merged_ids and surviving_known is None:
        raise IntakeError(
            f"neither the surviving MRN {event.patient.mrn} nor the merged "
            f"{', '.join(event.merge_mrns)} is known",
            code="204",
            location="MRG^1^1",
        )
    survivor = upsert_patient(ctx, event.patient, event.source, settings, result, ward_hint=None)
    result.patient_id = survivor.id
    for mrn, merged_id in merged_ids:
        if merged_id != survivor.id:
            merge_patients(ctx, merged_id=merged_id, surviving=survivor)
        if group_cache.get(db_session, PatientIdentifierRow, ("mrn", mrn)) is None:
            row = PatientIdentifierRow(system="mrn", value=mrn, patient_id=survivor.id)
            group_cache.add(db_session, PatientIdentifierRow, ("mrn", mrn), row)


def merge_patients(ctx: BatchContext, *, merged_id: str, surviving: PatientRow) -> None:
    """Move every record of ``merged_id`` to ``surviving`` and tombstone the merged patient."""
    db_session = ctx.db_session
    ctx.prefetch({"patient": [merged_id]}, lock=True)
    merged: PatientRow | None = ctx.row("patient", merged_id)
    if merged is None or merged.deleted:
        return
    task_ids = []
    for model, entity in ((EncounterRow, "encounter"), (EnrollmentRow, "enrollment"), (TaskRow, "task")):
        rows = db_session.scalars(
            select(model).where(model.patient_id == merged_id).order_by(model.id).with_for_update()
        ).all()
        for row in rows:
            replace_payload(ctx, entity, row, {**row.payload, "patient_id": surviving.id})
            row.patient_id = surviving.id
            if entity == "task":
                task_ids.append(row.id)
    if task_ids:
        for alert in db_session.scalars(
            select(AlertRow).where(AlertRow.task_id.in_(task_ids)).with_for_update()
        ):
            if alert.payload.get("patient_id") == merged_id:
                replace_payload(ctx, "alert", alert, {**alert.payload, "patient_id": surviving.id})
    for ward_code in sorted(ctx.patient_wards(merged_id)):
        if ctx.link_patient_ward(surviving.id, ward_code):
            ctx.emit("patient", surviving)
    for model in (EncounterKeyRow, PlanMatchRow):
        db_session.execute(update(model).where(model.patient_id == merged_id).values(patient_id=surviving.id))
    db_session.execute(
        update(MpiReviewRow)
        .where(
            MpiReviewRow.status == "open",
            (MpiReviewRow.patient_id == merged_id) | (MpiReviewRow.candidate_id == merged_id),
        )
        .values(status="merged", resolved_at=ctx.now, resolved_by=ctx.user.username)
    )
    mpi.repoint(db_session=db_session, merged_id=merged_id, surviving_id=surviving.id, now=ctx.now)
    ctx.remember_version("patient", merged)
    merged.deleted, merged.version = True, merged.version + 1
    merged.updated_at, merged.updated_by = ctx.now, ctx.user.username
    ctx.emit("patient", merged, op="delete")
    ctx.audit("update", "patient", merged.id, detail=f"merged into {surviving.id}")
