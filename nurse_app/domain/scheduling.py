"""The scheduling engine: from a plan and a discharge to timed tasks, and from call outcomes to retries.

All inputs and outputs are aware UTC datetimes; calendar arithmetic (days,
weeks, months after discharge) happens in the ward's local zone so that
"1 month after a discharge on Jan 31 at 23:59 Beijing time" means Feb 28/29 at
23:59 Beijing time, not whatever the UTC calendar says.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from nurse_app.domain import tasks as sm
from nurse_app.domain.calling_hours import next_calling_moment, validate_calling_hours, zone_of
from nurse_app.domain.errors import DomainError, InvalidSchedule, InvalidTransition
from nurse_app.domain.model import (
    DEFAULT_ZONE,
    CallAttempt,
    CallingHours,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    OffsetUnit,
    Plan,
    PlanStep,
    PublicationStatus,
    RetryPolicy,
    TaskStatus,
    require_utc,
)
from nurse_app.domain.tasks import complete_with_response

__all__ = [
    "CLOSED_AT_ENROLLMENT",
    "FIRST_STEP_WINDOW_HOURS",
    "MAX_OFFSET_YEARS",
    "REASON_DECEASED",
    "REASON_READMITTED",
    "add_months",
    "complete_with_response",
    "plan_tasks",
    "record_attempt",
    "resume_after_discharge",
    "step_due_at",
    "sweep_missed",
    "validate_plan",
    "validate_retry_policy",
]

MAX_OFFSET_YEARS = 5
FIRST_STEP_WINDOW_HOURS = 24.0
CLOSED_AT_ENROLLMENT = "window already closed at enrollment"
REASON_DECEASED = "patient deceased"
REASON_READMITTED = "patient readmitted"

# Coarse per-unit ceilings checked before any arithmetic, so an absurd offset
# cannot overflow datetime; the exact 5-calendar-year check follows.
_OFFSET_CEILING = {
    OffsetUnit.HOURS: 24 * 366 * MAX_OFFSET_YEARS,
    OffsetUnit.DAYS: 366 * MAX_OFFSET_YEARS,
    OffsetUnit.WEEKS: 53 * MAX_OFFSET_YEARS,
    OffsetUnit.MONTHS: 12 * MAX_OFFSET_YEARS,
}
_MAX_WINDOW_HOURS = 24 * 366 * MAX_OFFSET_YEARS


# ---------------------------------------------------------------------------
# Calendar arithmetic
# ---------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months keeping the wall-clock time, clamping the day to the month's end.

    Jan 31 + 1 month → Feb 28 (or 29); Feb 29 2028 + 12 months → Feb 28 2029.
    """
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _shift_local(local: datetime, offset: int, unit: OffsetUnit) -> datetime:
    """Shift a local wall-clock datetime by a calendar offset (days/weeks/months)."""
    if unit is OffsetUnit.MONTHS:
        return add_months(local, offset)
    days = offset * 7 if unit is OffsetUnit.WEEKS else offset
    return local + timedelta(days=days)


def _local_to_utc(naive_local: datetime, zone: ZoneInfo) -> datetime:
    return naive_local.replace(tzinfo=zone).astimezone(UTC)


def step_due_at(discharged_at: datetime, step: PlanStep, zone: str = DEFAULT_ZONE) -> datetime:
    """When ``step`` falls due for a patient discharged at ``discharged_at`` (UTC result).

    Hours are elapsed time; days, weeks and months are calendar steps in the
    ward's zone at the same local clock time as the discharge.
    """
    discharged_at = require_utc(discharged_at, "discharged_at")
    unit = OffsetUnit(step.offset_unit)
    if unit is OffsetUnit.HOURS:
        return discharged_at + timedelta(hours=step.offset)
    tz = zone_of(zone)
    local = discharged_at.astimezone(tz).replace(tzinfo=None)
    return _local_to_utc(_shift_local(local, step.offset, unit), tz)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _validate_step(plan: Plan, step: PlanStep) -> None:
    where = f"plan {plan.code} v{plan.version} step {step.step_no}"
    try:
        unit = OffsetUnit(step.offset_unit)
    except ValueError:
        raise InvalidSchedule(f"{where}: unknown offset unit '{step.offset_unit}'") from None
    if isinstance(step.offset, bool) or not isinstance(step.offset, int):
        raise InvalidSchedule(f"{where}: offset must be a whole number, got {step.offset!r}")
    if step.offset < 0:
        raise InvalidSchedule(f"{where}: offset {step.offset} {unit.value} is before discharge")
    if step.offset > _OFFSET_CEILING[unit]:
        raise InvalidSchedule(
            f"{where}: offset {step.offset} {unit.value} is more than "
            f"{MAX_OFFSET_YEARS} years after discharge"
        )
    if not (isinstance(step.window_hours, int | float) and math.isfinite(step.window_hours)):
        raise InvalidSchedule(f"{where}: window_hours must be a finite number, got {step.window_hours!r}")
    if step.window_hours <= 0:
        raise InvalidSchedule(
            f"{where}: window closes before it opens (window_hours={step.window_hours}, must be > 0)"
        )
    if step.window_hours > _MAX_WINDOW_HOURS:
        raise InvalidSchedule(
            f"{where}: window of {step.window_hours} h is longer than {MAX_OFFSET_YEARS} years"
        )


def _validate_offset_span(plan: Plan, step: PlanStep, discharged_at: datetime, zone: str) -> None:
    """Exact check that the step falls within 5 calendar years of discharge."""
    tz = zone_of(zone)
    local = discharged_at.astimezone(tz).replace(tzinfo=None)
    limit = _local_to_utc(add_months(local, 12 * MAX_OFFSET_YEARS), tz)
    if step_due_at(discharged_at, step, zone) > limit:
        raise InvalidSchedule(
            f"plan {plan.code} v{plan.version} step {step.step_no}: offset {step.offset} "
            f"{OffsetUnit(step.offset_unit).value} is more than {MAX_OFFSET_YEARS} years after discharge"
        )


def validate_plan(plan: Plan) -> None:
    """Raise InvalidSchedule unless ``plan`` is published and its steps can produce sensible tasks."""
    name = f"plan {plan.code} v{plan.version}"
    if PublicationStatus(plan.status) is not PublicationStatus.PUBLISHED:
        raise InvalidSchedule(f"{name} is {plan.status}, only a published plan can schedule tasks")
    if not plan.steps:
        raise InvalidSchedule(f"{name} has no steps")
    seen: set[int] = set()
    for step in plan.steps:
        if step.step_no in seen:
            raise InvalidSchedule(f"{name}: duplicate step number {step.step_no}")
        seen.add(step.step_no)
        _validate_step(plan, step)
    first = min(plan.steps, key=lambda s: s.step_no)
    # DESIGN: "The first step of a discharge plan is due at discharge with a 24 h window";
    # the on-time (24 h) rate is measured against exactly this step.
    if first.offset != 0 or first.window_hours != FIRST_STEP_WINDOW_HOURS:
        raise InvalidSchedule(
            f"{name}: first step {first.step_no} must be due at discharge (offset 0) with a "
            f"{FIRST_STEP_WINDOW_HOURS:g} h window, got offset {first.offset} "
            f"{OffsetUnit(first.offset_unit).value} and a {first.window_hours:g} h window"
        )
    validate_retry_policy(plan.retry, name)


def validate_retry_policy(retry: RetryPolicy, owner: str = "retry policy") -> None:
    """Raise InvalidSchedule for a retry policy that cannot work (no attempts, non-positive interval)."""
    attempts = retry.max_attempts
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise InvalidSchedule(f"{owner}: max_attempts must be at least 1, got {retry.max_attempts!r}")
    interval = retry.interval_hours
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        raise InvalidSchedule(f"{owner}: retry interval must be a positive number of hours, got {interval!r}")


def _validate_enrollment(plan: Plan, enrollment: Enrollment, encounter: Encounter) -> datetime:
    """Check the three records belong together; returns the UTC discharge time."""
    if (enrollment.plan_code, enrollment.plan_version) != (plan.code, plan.version):
        raise InvalidSchedule(
            f"enrollment {enrollment.id} is for plan {enrollment.plan_code} v{enrollment.plan_version}, "
            f"not {plan.code} v{plan.version}"
        )
    if enrollment.encounter_id != encounter.id or enrollment.patient_id != encounter.patient_id:
        raise InvalidSchedule(f"enrollment {enrollment.id} does not belong to encounter {encounter.id}")
    if encounter.discharged_at is None:
        raise InvalidSchedule(
            f"encounter {encounter.id} has no discharge time; tasks are timed from discharge"
        )
    return require_utc(encounter.discharged_at, "encounter.discharged_at")


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------


def plan_tasks(
    plan: Plan,
    enrollment: Enrollment,
    encounter: Encounter,
    *,
    assignee: str | None = None,
    now: datetime,
    zone: str = DEFAULT_ZONE,
) -> list[FollowUpTask]:
    """Create one FollowUpTask per plan step (ordered by step number).

    ``due_at`` = discharge + step offset (calendar arithmetic in ``zone``),
    ``window_end`` = ``due_at`` + ``window_hours``. Everything is validated
    before any task is made, so a bad plan yields no partial task list.
    """
    now = require_utc(now, "now")
    validate_plan(plan)
    discharged_at = _validate_enrollment(plan, enrollment, encounter)
    steps = sorted(plan.steps, key=lambda s: s.step_no)
    for step in steps:
        _validate_offset_span(plan, step, discharged_at, zone)
    return [
        _make_task(step, plan, enrollment, encounter, discharged_at, assignee, now, zone) for step in steps
    ]


def _make_task(
    step: PlanStep,
    plan: Plan,
    enrollment: Enrollment,
    encounter: Encounter,
    discharged_at: datetime,
    assignee: str | None,
    now: datetime,
    zone: str,
) -> FollowUpTask:
    due_at = step_due_at(discharged_at, step, zone)
    task = FollowUpTask(
        enrollment_id=enrollment.id,
        patient_id=enrollment.patient_id,
        encounter_id=encounter.id,
        ward_code=encounter.ward_code,
        plan_code=plan.code,
        plan_version=plan.version,
        step_no=step.step_no,
        due_at=due_at,
        window_end=due_at + timedelta(hours=step.window_hours),
        assignee=assignee,
        questionnaires=step.questionnaires,
        script_code=step.script_code,
    )
    if now > task.window_end:
        # A late enrollment (e.g. a manual one weeks after discharge) cannot reach a step whose
        # window has already closed. Nobody had a chance to call, so counting it as "missed"
        # would inflate the ward's miss rate; cancelled tasks are excluded from that rate.
        task.status = TaskStatus.CANCELLED
        task.status_reason = CLOSED_AT_ENROLLMENT
    return task


# ---------------------------------------------------------------------------
# Call attempts and retries
# ---------------------------------------------------------------------------


def _next_retry_at(
    task: FollowUpTask,
    retry: RetryPolicy,
    hours: CallingHours,
    now: datetime,
    requested: datetime | None,
) -> datetime | None:
    """The next retry moment, or None when attempts are used up or the window would be passed."""
    if task.attempts >= retry.max_attempts:
        return None
    earliest = now + timedelta(hours=retry.interval_hours)
    if requested is not None:
        # The patient named a time: honour it, but never earlier than now.
        earliest = max(requested, now)
    candidate = next_calling_moment(earliest, hours)
    if candidate > task.window_end:
        # Too late to call within the window: leave it pending for the sweep to mark missed.
        return None
    return candidate


def _siblings(task: FollowUpTask, others: Iterable[FollowUpTask]) -> list[FollowUpTask]:
    return [t for t in others if t.patient_id == task.patient_id and t.id != task.id]


def record_attempt(
    task: FollowUpTask,
    attempt: CallAttempt,
    retry: RetryPolicy,
    calling_hours: CallingHours,
    *,
    now: datetime,
    other_tasks: Sequence[FollowUpTask] = (),
    call_back_at: datetime | None = None,
) -> list[FollowUpTask]:
    """Apply one call attempt to ``task``; returns every task it changed (``task`` first).

    - reached → in_progress (completed later by ``complete_with_response``);
    - refused → completed;
    - deceased → completed, the patient's other open/paused tasks cancelled;
    - readmitted → completed, the patient's other open tasks paused;
    - no_answer/busy/wrong_number/call_back → pending with ``next_attempt_at`` set by the
      retry policy and calling hours, or None when attempts are used up or the window would pass.
    ``call_back_at`` (call_back only) is the time the patient asked to be called.
    """
    now = require_utc(now, "now")
    outcome = CallOutcome.parse(attempt.outcome)
    if attempt.task_id != task.id:
        raise DomainError(f"call attempt {attempt.id} belongs to task {attempt.task_id}, not task {task.id}")
    if call_back_at is not None:
        if outcome is not CallOutcome.CALL_BACK:
            raise DomainError(f"call_back_at given for outcome '{outcome.value}'; only call_back takes one")
        call_back_at = require_utc(call_back_at, "call_back_at")
    validate_retry_policy(retry)
    validate_calling_hours(calling_hours)
    status = TaskStatus(task.status)
    if not status.is_open:
        raise InvalidTransition(
            f"task {task.id}",
            status.value,
            TaskStatus.IN_PROGRESS.value,
            "a call attempt can only be recorded on a pending or in-progress task",
        )

    # A recorded attempt means a call was made, whether or not start_call was used first.
    if status is TaskStatus.PENDING and not outcome.is_retryable:
        sm.start_call(task, now)
    task.attempts += 1
    task.version += 1

    if outcome.is_retryable:
        next_at = _next_retry_at(task, retry, calling_hours, now, call_back_at)
        if task.status is TaskStatus.IN_PROGRESS:
            sm.return_to_queue(task, next_at)
        else:
            task.next_attempt_at = next_at
        return [task]
    if outcome is CallOutcome.REACHED:
        task.next_attempt_at = None
        return [task]

    sm.complete(task, now, outcome)
    changed = [task]
    if outcome is CallOutcome.DECEASED:
        for other in _siblings(task, other_tasks):
            if not TaskStatus(other.status).is_terminal:
                sm.cancel(other, now, REASON_DECEASED)
                changed.append(other)
    elif outcome is CallOutcome.READMITTED:
        for other in _siblings(task, other_tasks):
            if TaskStatus(other.status).is_open:
                sm.pause(other, REASON_READMITTED)
                changed.append(other)
    return changed


# ---------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------


def sweep_missed(tasks: Iterable[FollowUpTask], now: datetime) -> list[FollowUpTask]:
    """Close every task whose window ended before ``now``; returns the changed tasks.

    Open tasks become missed; paused tasks (patient still readmitted) are cancelled
    instead, because nobody could have called them.
    """
    now = require_utc(now, "now")
    changed: list[FollowUpTask] = []
    for task in tasks:
        if not task.window_end < now:
            continue
        status = TaskStatus(task.status)
        if status.is_open:
            sm.mark_missed(task, now)
        elif status is TaskStatus.PAUSED:
            sm.cancel(task, now, REASON_READMITTED)
        else:
            continue
        changed.append(task)
    return changed


def resume_after_discharge(
    tasks: Iterable[FollowUpTask], *, now: datetime | None = None
) -> list[FollowUpTask]:
    """Paused tasks → pending once the patient is discharged again; returns the changed tasks.

    With ``now``, a paused task whose window has already closed is cancelled instead of
    resumed, so it is not swept into the miss rate a moment later.
    """
    if now is not None:
        now = require_utc(now, "now")
    changed: list[FollowUpTask] = []
    for task in tasks:
        if TaskStatus(task.status) is not TaskStatus.PAUSED:
            continue
        if now is not None and task.window_end < now:
            sm.cancel(task, now, REASON_READMITTED)
        else:
            sm.resume(task)
        changed.append(task)
    return changed
