"""Recording a phone call's outcome: retries, cancellations and pauses follow the scheduling rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import NotFound, _check_ward
from nurse_app.domain import tasks as task_rules
from nurse_app.domain.model import (
    AuditAction,
    CallAttempt,
    CallingHours,
    CallOutcome,
    FollowUpTask,
    RetryPolicy,
)
from nurse_app.domain.scheduling import record_attempt
from nurse_app.store import outbox


@dataclass(frozen=True, slots=True)
class CallRecorded:
    attempt: CallAttempt
    task: FollowUpTask
    changed: tuple[FollowUpTask, ...]

    @property
    def next_attempt_at(self) -> datetime | None:
        return self.task.next_attempt_at


def start_call(ctx: DeskContext, task_id: str) -> FollowUpTask:
    """Dialling: the task is in progress on this PC (pending → in_progress)."""
    with ctx.unit_of_work() as (repo, session):
        task = repo.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, task.ward_code)
        task_rules.start_call(task, ctx.now())
        repo.save_tasks([task])
        outbox.enqueue(session, "task", task, now=ctx.now())
        return task


def record_call(
    ctx: DeskContext,
    task_id: str,
    outcome: CallOutcome | str,
    *,
    started_at: datetime,
    ended_at: datetime,
    note: str = "",
    call_back_at: datetime | None = None,
) -> CallRecorded:
    """Append the call attempt and apply its outcome to the task and the patient's other tasks."""
    outcome = CallOutcome.parse(outcome)
    with ctx.unit_of_work() as (repo, session):
        task = repo.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, task.ward_code)
        plan = repo.get_plan(task.plan_code, task.plan_version)
        retry = plan.retry if plan is not None else RetryPolicy()
        ward = repo.get_ward(task.ward_code)
        hours = ward.calling_hours if ward is not None else CallingHours()
        attempt = CallAttempt(task.id, ctx.user.username, started_at, ended_at, outcome, note)
        siblings = repo.tasks_of_patient(task.patient_id)
        changed = record_attempt(
            task, attempt, retry, hours, now=ended_at, other_tasks=siblings, call_back_at=call_back_at
        )
        repo.add_attempt(attempt)
        repo.save_tasks(changed)
        now = ctx.now()
        outbox.enqueue(session, "call_attempt", attempt, now=now)
        for changed_task in changed:
            outbox.enqueue(session, "task", changed_task, now=now)
        ctx.audit(repo, session, AuditAction.CREATE, "call_attempt", attempt.id, outcome.value)
    return CallRecorded(attempt, task, tuple(changed))
