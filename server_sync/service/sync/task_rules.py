"""Server-side rules for follow-up tasks and for the append-only call attempts and responses.

Task status goes through ``nurse_app.domain.tasks``' state machine: terminal
states win, and when two nurses complete one task the first completion stays;
the second nurse's response is kept and flagged ``needs_review``.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain import tasks as task_machine
from nurse_app.domain.model import CallOutcome, TaskStatus
from server_sync.protocol import Mutation
from server_sync.service.records.models import ResponseRow, TaskRow
from server_sync.service.sync.context import BatchContext, Rejected
from server_sync.service.sync.merge import three_way_merge
from server_sync.service.sync.outcome import Outcome, applied, conflict
from server_sync.service.sync.writes import merge_base, merge_outcome, new_row, replace_payload

# Fields that move together with the status: the winner of a status change brings all of them.
STATUS_FIELDS = ("status", "status_reason", "completed_at", "finished_by", "next_attempt_at")
NEEDS_REVIEW = "needs_review"


def apply_task(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    """Insert a task or move it on, as the state machine allows."""
    patient = ctx.row("patient", record.patient_id)
    if patient is None or patient.deleted:
        raise Rejected(f"unknown patient {record.patient_id}: push the patient first")
    ctx.require_ward(record.ward_code, "task")
    if record.status is TaskStatus.COMPLETED and (
        record.completed_at is None or record.finished_by not in task_machine.FINISHING_OUTCOMES
    ):
        raise Rejected("a completed task needs completed_at and a finishing outcome")
    row: TaskRow | None = ctx.row("task", record.id)
    if row is None:
        finisher = record.assignee if ctx.importing else ctx.user.username
        completed_by = finisher if record.status is TaskStatus.COMPLETED else None
        row = new_row(
            ctx,
            "task",
            payload,
            record.ward_code,
            patient_id=record.patient_id,
            status=record.status.value,
            completed_by=completed_by,
        )
        return applied(row.version)
    ctx.require_ward(row.ward_code, "task")
    if row.patient_id != record.patient_id:
        raise Rejected("task belongs to another patient on the server")
    return _move_task(ctx, mutation, row, payload)


def _move_task(ctx: BatchContext, mutation: Mutation, row: TaskRow, incoming: dict[str, Any]) -> Outcome:
    current_status, new_status = TaskStatus(row.status), TaskStatus(incoming["status"])
    pusher = ctx.user.username
    same_finisher = row.completed_by in (None, pusher)
    if current_status.is_terminal and not (new_status is current_status and same_finisher):
        if current_status is TaskStatus.COMPLETED and new_status is TaskStatus.COMPLETED:
            _flag_responses(ctx, row.id, pusher)
            return conflict(
                f"task was already completed by {row.completed_by} (the first completion wins); "
                "your response is kept and flagged for review",
                row.version,
            )
        return conflict(
            f"task is already {current_status.value} on the server (terminal state wins, server kept)",
            row.version,
        )
    status_changes = new_status is not current_status
    if status_changes and not (
        new_status.is_terminal or task_machine.can_transition(current_status, new_status)
    ):
        return conflict(
            f"task is {current_status.value} on the server; {current_status.value} → {new_status.value} "
            "is not allowed by the task state machine (server kept)",
            row.version,
        )
    base = merge_base(ctx, "task", row, mutation.base_version) or row.payload
    merged_fields = {k: v for k, v in incoming.items() if not (status_changes and k in STATUS_FIELDS)}
    merged, clashes = three_way_merge(base, row.payload, merged_fields)
    # Two desks counting calls to one patient: the larger count has seen more of them.
    merged["attempts"] = max(row.payload.get("attempts", 0), incoming.get("attempts", 0))
    clashes = tuple(name for name in clashes if name != "attempts")
    if status_changes:
        merged.update({name: incoming[name] for name in STATUS_FIELDS})
    if replace_payload(ctx, "task", row, merged):
        row.status = merged["status"]
        if status_changes and new_status is TaskStatus.COMPLETED:
            row.completed_by = pusher
    return merge_outcome(row, mutation.base_version, clashes)


def _flag_responses(ctx: BatchContext, task_id: str, submitted_by: str) -> None:
    """Mark the second nurse's responses for this task for review (kept, never dropped)."""
    rows = ctx.rows_where(
        "response",
        ResponseRow.task_id == task_id,
        ResponseRow.submitted_by == submitted_by,
        ResponseRow.needs_review.is_(False),
    )
    for row in rows:
        row.needs_review = True
        ctx.emit("response", row, flags=NEEDS_REVIEW)


def apply_append_only(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    """Call attempts and responses: recorded once; the same id with other content is a conflict."""
    entity = mutation.entity
    task: TaskRow | None = ctx.row("task", record.task_id)
    if task is None:
        raise Rejected(f"unknown task {record.task_id}: push the task first")
    ctx.require_ward(task.ward_code, entity)
    row = ctx.row(entity, record.id)
    if row is not None:
        if row.payload == payload:
            return Outcome("duplicate", "already recorded with identical content", row.version)
        return conflict(
            f"{entity} {record.id} is append-only and was recorded with other content; "
            "record a correction as a new response that supersedes it",
            row.version,
        )
    if entity == "call_attempt":
        CallOutcome.parse(payload["outcome"])
        return applied(new_row(ctx, entity, payload, task.ward_code, task_id=task.id).version)
    second = task.status == TaskStatus.COMPLETED.value and task.completed_by not in (
        None,
        record.submitted_by,
    )
    row = new_row(
        ctx,
        entity,
        payload,
        task.ward_code,
        task_id=task.id,
        submitted_by=record.submitted_by[:64],
        needs_review=second,
    )
    if second:
        ctx.emit(entity, row, flags=NEEDS_REVIEW)
        return applied(row.version, "task was already completed by another nurse: flagged for review")
    return applied(row.version)
