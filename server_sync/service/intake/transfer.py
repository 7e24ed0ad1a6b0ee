"""A stay moved to another ward (A02, or an A08 naming a new ward): its follow-up goes along.

The stay's open tasks — with their calls, responses and alerts — and its enrollments move
to the new ward and reach that ward's desks at their next pull; the old ward's desks get a
tombstone for each moved record and drop it. Finished tasks stay with the old ward: they are
its history and count in its rates (their enrollment and encounter stay on its desks too, as
the parents of that history). An assignee of the old ward is cleared: the new ward assigns.
Open review candidates of the stay move to the new ward's queue.
"""

from __future__ import annotations

from sqlalchemy import select

from nurse_app.domain.model import TaskStatus
from server_sync.service.intake import group_cache
from server_sync.service.intake.enroll import LIVE_MATCHES
from server_sync.service.records.models import AlertRow, CallAttemptRow, EnrollmentRow, ResponseRow, TaskRow
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.writes import replace_payload

_TASK_RECORDS = (("call_attempt", CallAttemptRow), ("response", ResponseRow), ("alert", AlertRow))


def follow_stay(ctx: BatchContext, encounter_id: str, patient_id: str, old_ward: str, new_ward: str) -> int:
    """Move the stay's open follow-up from ``old_ward`` to ``new_ward``; returns the tasks moved."""
    db_session = ctx.db_session
    enrollment_ids = set()
    for match in group_cache.plan_matches_of(db_session, encounter_id):
        if match.status == "open":
            match.ward_code = new_ward
        elif match.status in LIVE_MATCHES and match.enrollment_id:
            enrollment_ids.add(match.enrollment_id)
    if not enrollment_ids:
        return 0
    moved = []
    for row in db_session.scalars(select(TaskRow).where(TaskRow.patient_id == patient_id).with_for_update()):
        if row.payload.get("enrollment_id") not in enrollment_ids or row.ward_code != old_ward:
            continue
        if TaskStatus(row.status).is_terminal:
            continue  # the old ward's history
        replace_payload(ctx, "task", row, {**row.payload, "ward_code": new_ward, "assignee": None})
        _move(ctx, "task", row, new_ward)
        moved.append(row.id)
    if not moved:
        return 0
    for entity, model in _TASK_RECORDS:
        for row in db_session.scalars(select(model).where(model.task_id.in_(moved)).with_for_update()):
            if "ward_code" in row.payload:
                replace_payload(ctx, entity, row, {**row.payload, "ward_code": new_ward})
            _move(ctx, entity, row, new_ward)
    query = select(EnrollmentRow).where(EnrollmentRow.id.in_(sorted(enrollment_ids))).with_for_update()
    for row in db_session.scalars(query):
        _move(ctx, "enrollment", row, new_ward)  # the moved tasks' parent, on the new ward's desks
    return len(moved)


def _move(ctx: BatchContext, entity: str, row, new_ward: str) -> None:
    old_ward = row.ward_code
    if old_ward == new_ward:
        return
    row.ward_code = new_ward
    ctx.emit(entity, row)
    if old_ward and entity != "enrollment":
        ctx.leave_ward(entity, row.id, old_ward)
    ctx.audit("update", entity, row.id, detail=f"moved from ward {old_ward} to {new_ward} (transfer)")
