"""The FollowUpTask state machine: every allowed and every forbidden transition."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from nurse_app.domain import tasks as sm
from nurse_app.domain.errors import DomainError, InvalidTransition, UnknownOutcome
from nurse_app.domain.model import CallOutcome, FollowUpTask, TaskStatus

DUE = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)
WINDOW_END = DUE + timedelta(hours=24)
INSIDE = DUE + timedelta(hours=1)
AFTER = WINDOW_END + timedelta(minutes=1)

S = TaskStatus

# The transition table the brief specifies, written out independently of the module under test.
EXPECTED_ALLOWED = {
    (S.PENDING, S.IN_PROGRESS),
    (S.PENDING, S.PAUSED),
    (S.PENDING, S.MISSED),
    (S.PENDING, S.CANCELLED),
    (S.IN_PROGRESS, S.PENDING),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.MISSED),
    (S.IN_PROGRESS, S.CANCELLED),
    (S.IN_PROGRESS, S.PAUSED),
    (S.PAUSED, S.PENDING),
    (S.PAUSED, S.CANCELLED),
}


def make_task(status: TaskStatus = S.PENDING) -> FollowUpTask:
    return FollowUpTask(
        enrollment_id="enr-1",
        patient_id="pat-1",
        encounter_id="enc-1",
        ward_code="W01",
        plan_code="HF",
        plan_version=1,
        step_no=1,
        due_at=DUE,
        window_end=WINDOW_END,
        status=status,
    )


# Each public transition function, the statuses it accepts, and the status it leads to.
# mark_missed runs after the window so that the time rule does not mask the state rule.
Action = Callable[[FollowUpTask], None]
ACTIONS: dict[str, tuple[Action, frozenset[TaskStatus], TaskStatus]] = {
    "start_call": (lambda t: sm.start_call(t, INSIDE), frozenset({S.PENDING}), S.IN_PROGRESS),
    "return_to_queue": (lambda t: sm.return_to_queue(t, None), frozenset({S.IN_PROGRESS}), S.PENDING),
    "complete_reached": (
        lambda t: sm.complete(t, INSIDE, CallOutcome.REACHED),
        frozenset({S.IN_PROGRESS}),
        S.COMPLETED,
    ),
    "complete_with_response": (
        lambda t: sm.complete_with_response(t, INSIDE),
        frozenset({S.IN_PROGRESS}),
        S.COMPLETED,
    ),
    "mark_missed": (lambda t: sm.mark_missed(t, AFTER), frozenset({S.PENDING, S.IN_PROGRESS}), S.MISSED),
    "cancel": (
        lambda t: sm.cancel(t, INSIDE, "plan withdrawn"),
        frozenset({S.PENDING, S.IN_PROGRESS, S.PAUSED}),
        S.CANCELLED,
    ),
    "pause": (lambda t: sm.pause(t, "patient readmitted"), frozenset({S.PENDING, S.IN_PROGRESS}), S.PAUSED),
    "resume": (lambda t: sm.resume(t), frozenset({S.PAUSED}), S.PENDING),
}

CASES = [(name, status) for name in ACTIONS for status in TaskStatus]


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(TaskStatus, TaskStatus)))
def test_transition_table(src: TaskStatus, dst: TaskStatus) -> None:
    assert sm.can_transition(src, dst) is ((src, dst) in EXPECTED_ALLOWED)


@pytest.mark.parametrize("status", [S.COMPLETED, S.MISSED, S.CANCELLED])
def test_terminal_states_never_move(status: TaskStatus) -> None:
    assert sm.ALLOWED_TRANSITIONS[status] == frozenset()
    assert status.is_terminal


def test_every_allowed_transition_has_a_function() -> None:
    reachable = {(src, dst) for _, sources, dst in ACTIONS.values() for src in sources}
    assert reachable == EXPECTED_ALLOWED


@pytest.mark.parametrize(("action", "status"), [c for c in CASES if c[1] in ACTIONS[c[0]][1]])
def test_allowed_transition(action: str, status: TaskStatus) -> None:
    apply, _, target = ACTIONS[action]
    task = make_task(status)
    apply(task)
    assert task.status is target
    assert task.version == 2


@pytest.mark.parametrize(("action", "status"), [c for c in CASES if c[1] not in ACTIONS[c[0]][1]])
def test_forbidden_transition(action: str, status: TaskStatus) -> None:
    apply, _, target = ACTIONS[action]
    task = make_task(status)
    with pytest.raises(InvalidTransition) as info:
        apply(task)
    message = str(info.value)
    assert task.id in message
    assert f"'{status.value}'" in message
    assert f"'{target.value}'" in message
    assert info.value.current == status.value
    assert info.value.target == target.value
    # A refused transition changes nothing.
    assert task.status is status
    assert task.version == 1


def test_terminal_message_says_terminal() -> None:
    task = make_task(S.COMPLETED)
    with pytest.raises(InvalidTransition, match="terminal state"):
        sm.start_call(task, INSIDE)


def test_full_reached_path_bumps_version_each_step() -> None:
    task = make_task()
    sm.start_call(task, INSIDE)
    assert (task.status, task.version) == (S.IN_PROGRESS, 2)
    sm.complete_with_response(task, INSIDE + timedelta(minutes=9))
    assert (task.status, task.version) == (S.COMPLETED, 3)
    assert task.finished_by is CallOutcome.REACHED
    assert task.completed_at == INSIDE + timedelta(minutes=9)
    assert task.completed_on_time()


def test_late_completion_is_recorded_but_not_on_time() -> None:
    task = make_task()
    sm.start_call(task, WINDOW_END - timedelta(minutes=1))
    sm.complete_with_response(task, AFTER)
    assert task.status is S.COMPLETED
    assert not task.completed_on_time()


def test_return_to_queue_sets_next_attempt() -> None:
    task = make_task()
    sm.start_call(task, INSIDE)
    later = INSIDE + timedelta(hours=4)
    sm.return_to_queue(task, later)
    assert task.status is S.PENDING
    assert task.next_attempt_at == later


@pytest.mark.parametrize("outcome", [CallOutcome.REFUSED, CallOutcome.DECEASED, CallOutcome.READMITTED])
def test_complete_with_finishing_outcomes(outcome: CallOutcome) -> None:
    task = make_task(S.IN_PROGRESS)
    sm.complete(task, INSIDE, outcome)
    assert task.status is S.COMPLETED
    assert task.finished_by is outcome


def test_complete_accepts_outcome_code_string() -> None:
    task = make_task(S.IN_PROGRESS)
    sm.complete(task, INSIDE, "refused")  # type: ignore[arg-type]
    assert task.finished_by is CallOutcome.REFUSED


@pytest.mark.parametrize(
    "outcome", [CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.WRONG_NUMBER, CallOutcome.CALL_BACK]
)
def test_complete_rejects_non_finishing_outcome(outcome: CallOutcome) -> None:
    task = make_task(S.IN_PROGRESS)
    with pytest.raises(InvalidTransition, match=f"outcome '{outcome.value}' does not finish"):
        sm.complete(task, INSIDE, outcome)
    assert task.status is S.IN_PROGRESS
    assert task.version == 1


def test_complete_rejects_unknown_outcome() -> None:
    task = make_task(S.IN_PROGRESS)
    with pytest.raises(UnknownOutcome, match="hung_up"):
        sm.complete(task, INSIDE, "hung_up")  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [S.PENDING, S.IN_PROGRESS])
@pytest.mark.parametrize("now", [INSIDE, WINDOW_END], ids=["inside", "at_window_end"])
def test_mark_missed_refused_while_window_open(status: TaskStatus, now: datetime) -> None:
    task = make_task(status)
    with pytest.raises(InvalidTransition, match="window is open"):
        sm.mark_missed(task, now)
    assert task.status is status


def test_mark_missed_records_reason_and_clears_retry() -> None:
    task = make_task()
    task.next_attempt_at = INSIDE
    sm.mark_missed(task, AFTER)
    assert task.status is S.MISSED
    assert task.next_attempt_at is None
    assert task.status_reason


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_requires_reason(reason: str) -> None:
    task = make_task()
    with pytest.raises(InvalidTransition, match="reason is required"):
        sm.cancel(task, INSIDE, reason)
    assert task.status is S.PENDING


def test_cancel_keeps_reason() -> None:
    task = make_task(S.PAUSED)
    sm.cancel(task, INSIDE, "patient deceased")
    assert (task.status, task.status_reason) == (S.CANCELLED, "patient deceased")


def test_pause_and_resume_round_trip() -> None:
    task = make_task()
    task.next_attempt_at = INSIDE
    sm.pause(task, "patient readmitted")
    assert (task.status, task.status_reason, task.next_attempt_at) == (S.PAUSED, "patient readmitted", None)
    sm.resume(task)
    assert (task.status, task.status_reason) == (S.PENDING, "")
    assert task.version == 3


@pytest.mark.parametrize(
    "apply",
    [
        lambda t, naive: sm.start_call(t, naive),
        lambda t, naive: sm.complete_with_response(t, naive),
        lambda t, naive: sm.mark_missed(t, naive),
        lambda t, naive: sm.cancel(t, naive, "x"),
        lambda t, naive: sm.return_to_queue(t, naive),
    ],
    ids=["start_call", "complete", "mark_missed", "cancel", "return_to_queue"],
)
def test_naive_datetime_rejected(apply: Callable[[FollowUpTask, datetime], None]) -> None:
    task = make_task(S.IN_PROGRESS)
    with pytest.raises(DomainError, match="timezone-aware"):
        apply(task, datetime(2024, 3, 10, 12, 0))
    assert task.version == 1
