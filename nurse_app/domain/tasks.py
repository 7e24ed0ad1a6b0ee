"""The FollowUpTask state machine.

Every status change of a task goes through one of the functions below, so the
desktop, the sync service and the tests all agree on what may happen::

    pending ──start_call──▶ in_progress ──complete──▶ completed
       │  ▲                     │   │
       │  └──return_to_queue────┘   ├──mark_missed──▶ missed
       ├──mark_missed──▶ missed     └──cancel───────▶ cancelled
       ├──cancel───────▶ cancelled
       └──pause──▶ paused ──resume──▶ pending
                     └──cancel──▶ cancelled           (in_progress may pause too)

Terminal states (completed, missed, cancelled) never move: on the server
"terminal states win", so a late edit from an offline PC cannot reopen a task.
Each change bumps ``task.version`` so sync can detect concurrent edits.
"""

from __future__ import annotations

from datetime import datetime

from nurse_app.domain.errors import InvalidTransition
from nurse_app.domain.model import CallOutcome, FollowUpTask, TaskStatus, require_utc

__all__ = [
    "ALLOWED_TRANSITIONS",
    "FINISHING_OUTCOMES",
    "can_transition",
    "cancel",
    "complete",
    "complete_with_response",
    "mark_missed",
    "pause",
    "resume",
    "return_to_queue",
    "start_call",
]

_P, _I, _Z = TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.PAUSED
_C, _M, _X = TaskStatus.COMPLETED, TaskStatus.MISSED, TaskStatus.CANCELLED

ALLOWED_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    _P: frozenset({_I, _Z, _M, _X}),
    # in_progress → pending: an unanswered call puts the task back in the queue for a retry.
    _I: frozenset({_P, _C, _M, _X, _Z}),
    _Z: frozenset({_P, _X}),
    _C: frozenset(),
    _M: frozenset(),
    _X: frozenset(),
}

# Outcomes that may finish a task: reached (once the scale is submitted) and the
# outcomes that finish it by themselves (DESIGN "Completed on time").
FINISHING_OUTCOMES = frozenset(
    {CallOutcome.REACHED, CallOutcome.REFUSED, CallOutcome.DECEASED, CallOutcome.READMITTED}
)


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    """True when the state machine allows ``current`` → ``target``."""
    return target in ALLOWED_TRANSITIONS[current]


def _entity(task: FollowUpTask) -> str:
    return f"task {task.id}"


def _move(
    task: FollowUpTask, target: TaskStatus, reason: str = "", *, only_from: TaskStatus | None = None
) -> None:
    """Validate and apply one transition, bumping the version.

    ``only_from`` narrows the table for functions that name one particular edge
    (``resume`` is paused → pending, not in_progress → pending).
    """
    current = TaskStatus(task.status)
    if not can_transition(current, target) or (only_from is not None and current is not only_from):
        if current.is_terminal:
            why = "terminal state"
        elif only_from is not None and current is not only_from:
            why = f"only a {only_from.value} task can do this"
        else:
            why = "transition not allowed"
        raise InvalidTransition(_entity(task), current.value, target.value, why)
    task.status = target
    task.status_reason = reason
    task.version += 1


def start_call(task: FollowUpTask, now: datetime) -> None:
    """pending → in_progress: a nurse is on the phone with (or dialling) the patient.

    Calling before ``due_at`` or after ``window_end`` is not refused here: an
    offline PC may not have swept yet, and a late completion is still recorded
    (it simply does not count as on time).
    """
    require_utc(now, "now")
    _move(task, TaskStatus.IN_PROGRESS)
    task.next_attempt_at = None


def return_to_queue(task: FollowUpTask, next_attempt_at: datetime | None) -> None:
    """in_progress → pending after a retryable outcome; ``None`` means no further retry is planned."""
    if next_attempt_at is not None:
        next_attempt_at = require_utc(next_attempt_at, "next_attempt_at")
    _move(task, TaskStatus.PENDING, only_from=TaskStatus.IN_PROGRESS)
    task.next_attempt_at = next_attempt_at


def complete(task: FollowUpTask, now: datetime, outcome: CallOutcome) -> None:
    """in_progress → completed, finished by ``outcome`` (reached, refused, deceased or readmitted)."""
    now = require_utc(now, "now")
    outcome = CallOutcome.parse(outcome)
    if outcome not in FINISHING_OUTCOMES:
        raise InvalidTransition(
            _entity(task),
            TaskStatus(task.status).value,
            TaskStatus.COMPLETED.value,
            f"outcome '{outcome.value}' does not finish a task",
        )
    _move(task, TaskStatus.COMPLETED)
    task.completed_at = now
    task.finished_by = outcome
    task.next_attempt_at = None


def complete_with_response(task: FollowUpTask, now: datetime) -> None:
    """in_progress → completed once the reached patient's scale has been submitted."""
    complete(task, now, CallOutcome.REACHED)


def mark_missed(task: FollowUpTask, now: datetime) -> None:
    """pending/in_progress → missed. Only after ``window_end``: DESIGN defines a miss by the closed window."""
    now = require_utc(now, "now")
    if TaskStatus(task.status).is_open and now <= task.window_end:
        raise InvalidTransition(
            _entity(task),
            TaskStatus(task.status).value,
            TaskStatus.MISSED.value,
            f"window is open until {task.window_end.isoformat()}",
        )
    _move(task, TaskStatus.MISSED, "window closed without completion")
    task.next_attempt_at = None


def cancel(task: FollowUpTask, now: datetime, reason: str) -> None:
    """pending/in_progress/paused → cancelled. A reason is required: cancelled tasks leave the miss rate."""
    require_utc(now, "now")
    if not reason.strip():
        raise InvalidTransition(
            _entity(task), TaskStatus(task.status).value, TaskStatus.CANCELLED.value, "a reason is required"
        )
    _move(task, TaskStatus.CANCELLED, reason)
    task.next_attempt_at = None


def pause(task: FollowUpTask, reason: str) -> None:
    """pending/in_progress → paused (e.g. the patient was readmitted); no calls until resumed."""
    _move(task, TaskStatus.PAUSED, reason)
    task.next_attempt_at = None


def resume(task: FollowUpTask) -> None:
    """paused → pending: the patient is home again; the task is callable straight away."""
    _move(task, TaskStatus.PENDING, only_from=TaskStatus.PAUSED)
    task.next_attempt_at = None
