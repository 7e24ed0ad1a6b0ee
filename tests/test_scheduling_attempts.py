"""The scheduling engine: call attempts → completion, retries inside calling hours, sweeps; properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scheduling_helpers import (
    FIRST,
    HOURS,
    RETRY,
    S,
    U,
    attempt,
    make_case,
    make_plan,
    schedule,
    sh,
    step,
)

from nurse_app.domain import scheduling as sch
from nurse_app.domain import tasks as sm
from nurse_app.domain.calling_hours import is_within_calling_hours
from nurse_app.domain.errors import DomainError, InvalidTransition, UnknownOutcome
from nurse_app.domain.model import (
    CallingHours,
    CallOutcome,
    FollowUpTask,
    Plan,
    RetryPolicy,
    TaskStatus,
)

# ---------------------------------------------------------------------------
# record_attempt
# ---------------------------------------------------------------------------


DEFAULT_DISCHARGE = sh(2024, 3, 10, 9, 0)


def first_task(discharged: datetime = DEFAULT_DISCHARGE) -> FollowUpTask:
    """The day-0 task (due at discharge, 24 h window) of a one-step plan."""
    (task,) = schedule(discharged, FIRST)
    return task


def record(
    task: FollowUpTask,
    outcome: CallOutcome | str,
    now: datetime,
    *,
    retry: RetryPolicy = RETRY,
    others: tuple[FollowUpTask, ...] = (),
    call_back_at: datetime | None = None,
) -> list[FollowUpTask]:
    return sch.record_attempt(
        task,
        attempt(task, outcome, now),
        retry,
        HOURS,
        now=now,
        other_tasks=others,
        call_back_at=call_back_at,
    )


def test_reached_then_scale_submitted_completes_on_time() -> None:
    task = first_task()
    now = sh(2024, 3, 10, 10, 0)
    assert record(task, CallOutcome.REACHED, now) == [task]
    assert (task.status, task.attempts, task.next_attempt_at) == (S.IN_PROGRESS, 1, None)
    sch.complete_with_response(task, now + timedelta(minutes=9))
    assert task.status is S.COMPLETED
    assert task.finished_by is CallOutcome.REACHED
    assert task.completed_on_time()


def test_reached_on_task_already_in_progress() -> None:
    task = first_task()
    sm.start_call(task, sh(2024, 3, 10, 10, 0))
    record(task, CallOutcome.REACHED, sh(2024, 3, 10, 10, 1))
    assert (task.status, task.attempts) == (S.IN_PROGRESS, 1)


def test_refused_completes() -> None:
    task = first_task()
    record(task, CallOutcome.REFUSED, sh(2024, 3, 10, 10, 0))
    assert (task.status, task.finished_by) == (S.COMPLETED, CallOutcome.REFUSED)
    assert task.completed_at == sh(2024, 3, 10, 10, 0)


def test_outcome_given_as_code_string() -> None:
    task = first_task()
    record(task, "busy", sh(2024, 3, 10, 10, 0))
    assert task.next_attempt_at == sh(2024, 3, 10, 14, 0)


def test_unknown_outcome_raises() -> None:
    with pytest.raises(UnknownOutcome, match="unknown call outcome 'hung_up'"):
        CallOutcome.parse("hung_up")
    task = first_task()
    with pytest.raises(UnknownOutcome):
        record(task, "hung_up", sh(2024, 3, 10, 10, 0))
    assert (task.attempts, task.version) == (0, 1)


def patient_tasks() -> tuple[FollowUpTask, list[FollowUpTask], list[FollowUpTask]]:
    """A patient's day-0 task, her other tasks in every status, and another patient's tasks."""
    discharged = sh(2024, 3, 10, 9, 0)
    mine = schedule(discharged, FIRST, step(2, 7), step(3, 14), step(4, 1, U.MONTHS), step(5, 3, U.MONTHS))
    current, pending, in_progress, paused, done = mine
    sm.start_call(in_progress, discharged)
    sm.pause(paused, "patient readmitted")
    sm.start_call(done, discharged)
    sm.complete(done, discharged, CallOutcome.REFUSED)
    plan = make_plan(FIRST, step(2, 7))
    enrollment, encounter = make_case(discharged, plan, patient="pat-2")
    theirs = sch.plan_tasks(plan, enrollment, encounter, now=discharged)
    return current, [pending, in_progress, paused, done], theirs


def test_deceased_completes_and_cancels_open_and_paused_siblings() -> None:
    current, siblings, theirs = patient_tasks()
    pending, in_progress, paused, done = siblings
    done_version = done.version
    changed = record(
        current, CallOutcome.DECEASED, sh(2024, 3, 10, 10, 0), others=(*siblings, *theirs, current)
    )
    assert changed == [current, pending, in_progress, paused]
    assert (current.status, current.finished_by) == (S.COMPLETED, CallOutcome.DECEASED)
    for task in (pending, in_progress, paused):
        assert (task.status, task.status_reason) == (S.CANCELLED, "patient deceased")
    assert (done.status, done.version) == (S.COMPLETED, done_version)
    assert all(t.status is S.PENDING for t in theirs)


def test_readmitted_completes_and_pauses_open_siblings() -> None:
    current, siblings, theirs = patient_tasks()
    pending, in_progress, paused, done = siblings
    paused_version = paused.version
    now = sh(2024, 3, 10, 10, 0)
    changed = record(current, CallOutcome.READMITTED, now, others=(*siblings, *theirs))
    assert changed == [current, pending, in_progress]
    assert (current.status, current.finished_by) == (S.COMPLETED, CallOutcome.READMITTED)
    for task in (pending, in_progress):
        assert (task.status, task.status_reason) == (S.PAUSED, "patient readmitted")
    assert paused.version == paused_version
    assert done.status is S.COMPLETED
    assert all(t.status is S.PENDING for t in theirs)

    # Discharged again: paused tasks resume (only paused ones are touched).
    resumed = sch.resume_after_discharge([*siblings, current])
    assert resumed == [pending, in_progress, paused]
    assert all(t.status is S.PENDING and t.status_reason == "" for t in resumed)


def test_resume_after_discharge_cancels_paused_tasks_whose_window_closed() -> None:
    discharged = sh(2024, 3, 10, 9, 0)
    first, second = schedule(discharged, FIRST, step(2, 7))
    sm.pause(first, "patient readmitted")
    sm.pause(second, "patient readmitted")
    now = discharged + timedelta(days=3)
    assert sch.resume_after_discharge([first, second], now=now) == [first, second]
    assert (first.status, first.status_reason) == (S.CANCELLED, "patient readmitted")
    assert second.status is S.PENDING


@pytest.mark.parametrize("outcome", [CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.WRONG_NUMBER])
def test_retryable_outcome_schedules_retry_after_interval(outcome: CallOutcome) -> None:
    task = first_task()
    sm.start_call(task, sh(2024, 3, 10, 10, 0))
    record(task, outcome, sh(2024, 3, 10, 10, 0))
    assert task.status is S.PENDING  # back in the queue
    assert task.attempts == 1
    assert task.next_attempt_at == sh(2024, 3, 10, 14, 0)


def test_retryable_outcome_on_pending_task_stays_pending() -> None:
    task = first_task()
    record(task, CallOutcome.NO_ANSWER, sh(2024, 3, 10, 10, 0))
    assert (task.status, task.attempts, task.version) == (S.PENDING, 1, 2)


def test_retry_pushed_to_next_morning_by_calling_hours() -> None:
    task = first_task(sh(2024, 3, 10, 17, 0))
    record(task, CallOutcome.NO_ANSWER, sh(2024, 3, 10, 18, 0))  # +4 h = 22:00, after calling hours
    assert task.next_attempt_at == sh(2024, 3, 11, 8, 30)
    assert task.next_attempt_at <= task.window_end


def test_retry_that_would_pass_window_end_is_not_planned() -> None:
    # Window ends 06:00 next morning; the retry would be 08:30 next morning.
    task = first_task(sh(2024, 3, 10, 6, 0))
    record(task, CallOutcome.NO_ANSWER, sh(2024, 3, 10, 19, 0))
    assert (task.status, task.next_attempt_at) == (S.PENDING, None)
    # It stays pending and is swept as missed once the window has closed.
    assert sch.sweep_missed([task], sh(2024, 3, 11, 6, 0)) == []
    assert sch.sweep_missed([task], sh(2024, 3, 11, 6, 1)) == [task]
    assert task.status is S.MISSED


def test_retry_exactly_at_window_end_is_allowed() -> None:
    task = first_task(sh(2024, 3, 10, 14, 0))
    record(task, CallOutcome.BUSY, sh(2024, 3, 11, 10, 0))
    assert task.next_attempt_at == task.window_end == sh(2024, 3, 11, 14, 0)


def test_max_attempts_stops_retries() -> None:
    task = first_task()
    now = sh(2024, 3, 10, 9, 0)
    for expected in (sh(2024, 3, 10, 13, 0), sh(2024, 3, 10, 17, 0)):
        record(task, CallOutcome.NO_ANSWER, now)
        assert task.next_attempt_at == expected
        now = expected
    record(task, CallOutcome.NO_ANSWER, now)
    assert (task.attempts, task.status, task.next_attempt_at) == (3, S.PENDING, None)
    # A nurse may still try by hand; no automatic retry follows.
    record(task, CallOutcome.BUSY, now + timedelta(hours=1))
    assert (task.attempts, task.next_attempt_at) == (4, None)


def test_call_back_at_patient_requested_time() -> None:
    task = first_task()
    record(task, CallOutcome.CALL_BACK, sh(2024, 3, 10, 10, 0), call_back_at=sh(2024, 3, 10, 11, 15))
    assert task.next_attempt_at == sh(2024, 3, 10, 11, 15)


def test_call_back_at_outside_calling_hours_moves_to_next_start() -> None:
    task = first_task()
    record(task, CallOutcome.CALL_BACK, sh(2024, 3, 10, 10, 0), call_back_at=sh(2024, 3, 10, 21, 0))
    assert task.next_attempt_at == sh(2024, 3, 11, 8, 30)


def test_call_back_at_in_the_past_means_now() -> None:
    task = first_task()
    record(task, CallOutcome.CALL_BACK, sh(2024, 3, 10, 10, 0), call_back_at=sh(2024, 3, 10, 9, 0))
    assert task.next_attempt_at == sh(2024, 3, 10, 10, 0)


def test_call_back_without_time_uses_interval() -> None:
    task = first_task()
    record(task, CallOutcome.CALL_BACK, sh(2024, 3, 10, 10, 0))
    assert task.next_attempt_at == sh(2024, 3, 10, 14, 0)


def test_call_back_at_only_for_call_back() -> None:
    task = first_task()
    with pytest.raises(DomainError, match="only call_back takes one"):
        record(task, CallOutcome.NO_ANSWER, sh(2024, 3, 10, 10, 0), call_back_at=sh(2024, 3, 10, 12, 0))


@pytest.mark.parametrize("status", [S.COMPLETED, S.MISSED, S.CANCELLED, S.PAUSED])
def test_attempt_on_closed_or_paused_task_rejected(status: TaskStatus) -> None:
    task = first_task()
    task.status = status
    with pytest.raises(InvalidTransition, match=f"task {task.id}: cannot move from '{status.value}'"):
        record(task, CallOutcome.REACHED, sh(2024, 3, 10, 10, 0))
    assert task.attempts == 0


def test_attempt_for_another_task_rejected() -> None:
    task, other = schedule(sh(2024, 3, 10, 9, 0), FIRST, step(2, 7))
    with pytest.raises(DomainError, match=f"belongs to task {other.id}"):
        sch.record_attempt(
            task,
            attempt(other, CallOutcome.REACHED, sh(2024, 3, 10, 10)),
            RETRY,
            HOURS,
            now=sh(2024, 3, 10, 10),
        )


def test_naive_now_rejected_by_record_attempt() -> None:
    task = first_task()
    with pytest.raises(DomainError, match="timezone-aware"):
        record(task, CallOutcome.REACHED, datetime(2024, 3, 10, 10, 0))


def test_every_change_bumps_version() -> None:
    task = first_task()
    versions = [task.version]
    record(task, CallOutcome.NO_ANSWER, sh(2024, 3, 10, 10, 0))
    versions.append(task.version)
    record(task, CallOutcome.REACHED, sh(2024, 3, 10, 14, 0))
    versions.append(task.version)
    sch.complete_with_response(task, sh(2024, 3, 10, 14, 10))
    versions.append(task.version)
    assert versions == sorted(set(versions))


# ---------------------------------------------------------------------------
# sweep_missed
# ---------------------------------------------------------------------------


def test_sweep_missed() -> None:
    discharged = sh(2024, 3, 10, 9, 0)
    now = discharged + timedelta(hours=25)
    pending, in_progress, paused, done, cancelled = schedule(
        discharged,
        FIRST,
        step(2, 0, U.HOURS, 24),
        step(3, 0, U.HOURS, 24),
        step(4, 0, U.HOURS, 24),
        step(5, 0, U.HOURS, 24),
    )
    still_open, at_edge = schedule(discharged, FIRST, step(2, 1, U.HOURS, 24))
    sm.start_call(in_progress, discharged)
    sm.pause(paused, "patient readmitted")
    sm.start_call(done, discharged)
    sm.complete_with_response(done, discharged)
    sm.cancel(cancelled, discharged, "plan withdrawn")
    at_edge.window_end = now  # window_end == now is not yet past
    still_open.window_end = now + timedelta(hours=1)

    everything = [pending, in_progress, paused, done, cancelled, still_open, at_edge]
    assert sch.sweep_missed(everything, now) == [pending, in_progress, paused]
    assert pending.status is S.MISSED
    assert in_progress.status is S.MISSED
    assert (paused.status, paused.status_reason) == (S.CANCELLED, "patient readmitted")
    assert done.status is S.COMPLETED
    assert cancelled.status_reason == "plan withdrawn"
    assert still_open.status is S.PENDING and at_edge.status is S.PENDING
    assert sch.sweep_missed(everything, now) == []  # idempotent


def test_sweep_rejects_naive_now() -> None:
    with pytest.raises(DomainError, match="timezone-aware"):
        sch.sweep_missed([], datetime(2024, 3, 10))


# ---------------------------------------------------------------------------
# Property: random plans and discharges
# ---------------------------------------------------------------------------

_UNIT_MAX = {U.HOURS: 24 * 365 * 4, U.DAYS: 365 * 4, U.WEEKS: 52 * 4, U.MONTHS: 48}


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    count = draw(st.integers(min_value=0, max_value=5))
    steps = [FIRST]
    for no in range(2, count + 2):
        unit = draw(st.sampled_from(list(U)))
        offset = draw(st.integers(min_value=0, max_value=_UNIT_MAX[unit]))
        window = draw(st.floats(min_value=0.25, max_value=24 * 60, allow_nan=False))
        steps.append(step(no, offset, unit, window))
    retry = RetryPolicy(
        max_attempts=draw(st.integers(min_value=1, max_value=6)),
        interval_hours=draw(st.floats(min_value=0.1, max_value=48, allow_nan=False)),
    )
    return make_plan(*draw(st.permutations(steps)), retry=retry)


@st.composite
def calling_hours(draw: st.DrawFn) -> CallingHours:
    start = draw(st.integers(min_value=0, max_value=23 * 60 + 58))
    end = draw(st.integers(min_value=start + 1, max_value=23 * 60 + 59))
    return CallingHours(start=time(*divmod(start, 60)), end=time(*divmod(end, 60)))


@settings(max_examples=150, deadline=None)
@given(
    plan=plans(),
    discharged=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    hours=calling_hours(),
    outcomes=st.lists(
        st.tuples(
            st.sampled_from(
                [CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.WRONG_NUMBER, CallOutcome.CALL_BACK]
            ),
            st.floats(min_value=0, max_value=1),
            st.one_of(st.none(), st.floats(min_value=-1, max_value=48)),
        ),
        max_size=8,
    ),
)
def test_property_tasks_and_retries_stay_in_bounds(
    plan: Plan,
    discharged: datetime,
    hours: CallingHours,
    outcomes: list[tuple[CallOutcome, float, float | None]],
) -> None:
    enrollment, encounter = make_case(discharged, plan)
    tasks = sch.plan_tasks(plan, enrollment, encounter, now=discharged)
    assert len(tasks) == len(plan.steps)
    for task in tasks:
        assert discharged <= task.due_at <= task.window_end
        assert task.status is S.PENDING

    task = tasks[-1]
    span = task.window_end - task.due_at
    now = task.due_at
    for outcome, fraction, call_back_hours in outcomes:
        # Attempts move forward in time anywhere between due_at and a little after window_end.
        now = max(now, task.due_at + span * fraction * 1.1)
        call_back_at = None
        if outcome is CallOutcome.CALL_BACK and call_back_hours is not None:
            call_back_at = now + timedelta(hours=call_back_hours)
        sch.record_attempt(
            task, attempt(task, outcome, now), plan.retry, hours, now=now, call_back_at=call_back_at
        )
        assert task.status is S.PENDING
        retry_at = task.next_attempt_at
        if task.attempts >= plan.retry.max_attempts:
            assert retry_at is None
        if retry_at is not None:
            assert now <= retry_at <= task.window_end
            assert is_within_calling_hours(retry_at, hours)
