"""The scheduling engine: a plan becomes tasks (offsets, windows, calendars, refusals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scheduling_helpers import (
    FIRST,
    S,
    U,
    due_of,
    make_case,
    make_plan,
    schedule,
    sh,
    step,
)

from nurse_app.domain import scheduling as sch
from nurse_app.domain.errors import DomainError, InvalidSchedule
from nurse_app.domain.model import (
    Plan,
    PlanStep,
    PublicationStatus,
    RetryPolicy,
)

# ---------------------------------------------------------------------------
# plan_tasks
# ---------------------------------------------------------------------------


def test_plan_tasks_creates_one_task_per_step_in_step_order() -> None:
    discharged = sh(2024, 3, 10, 10, 0)
    plan = make_plan(
        step(3, 1, U.MONTHS, 168),
        FIRST,
        PlanStep(2, "day 7", 7, U.DAYS, 72, questionnaires=("SAT-5",), script_code="HF-D7"),
    )
    enrollment, encounter = make_case(discharged, plan)
    tasks = sch.plan_tasks(plan, enrollment, encounter, assignee="nurse-li", now=discharged)

    assert [t.step_no for t in tasks] == [1, 2, 3]
    assert [t.due_at for t in tasks] == [discharged, sh(2024, 3, 17, 10, 0), sh(2024, 4, 10, 10, 0)]
    assert [t.window_end - t.due_at for t in tasks] == [
        timedelta(hours=24),
        timedelta(hours=72),
        timedelta(hours=168),
    ]
    for task in tasks:
        assert task.status is S.PENDING
        assert task.version == 1
        assert task.attempts == 0
        assert task.assignee == "nurse-li"
        assert (task.enrollment_id, task.patient_id, task.encounter_id) == (
            enrollment.id,
            "pat-1",
            encounter.id,
        )
        assert (task.ward_code, task.plan_code, task.plan_version) == ("CARD-3", "HF", 2)
        assert task.due_at.utcoffset() == timedelta(0)
    assert (tasks[1].questionnaires, tasks[1].script_code) == (("SAT-5",), "HF-D7")
    assert len({t.id for t in tasks}) == 3


def test_first_step_due_at_discharge_with_24h_window() -> None:
    discharged = sh(2024, 3, 10, 23, 59)
    (task,) = schedule(discharged, FIRST)
    assert task.due_at == discharged
    assert task.window_end == sh(2024, 3, 11, 23, 59)


def test_discharge_at_2359_local_keeps_local_calendar() -> None:
    # 23:59 in Shanghai is 15:59 UTC the same day; a day/month later is still 23:59 local.
    discharged = sh(2024, 3, 10, 23, 59)
    assert discharged == datetime(2024, 3, 10, 15, 59, tzinfo=UTC)
    assert due_of(discharged, 1, U.DAYS) == sh(2024, 3, 11, 23, 59)
    assert due_of(discharged, 1, U.WEEKS) == sh(2024, 3, 17, 23, 59)
    assert due_of(discharged, 1, U.MONTHS) == sh(2024, 4, 10, 23, 59)
    assert due_of(discharged, 3, U.HOURS) == discharged + timedelta(hours=3)


def test_month_arithmetic_uses_the_local_calendar_not_utc() -> None:
    # 00:30 on Jan 31 in Shanghai is still Jan 30 in UTC; a UTC calendar would give Feb 29 16:30 UTC
    # (= Mar 1 local). The ward expects Feb 29 00:30 local.
    discharged = sh(2024, 1, 31, 0, 30)
    assert discharged.day == 30
    assert due_of(discharged, 1, U.MONTHS) == sh(2024, 2, 29, 0, 30)


@pytest.mark.parametrize(
    ("discharged", "months", "expected"),
    [
        (sh(2023, 1, 31, 23, 59), 1, sh(2023, 2, 28, 23, 59)),
        (sh(2024, 1, 31, 23, 59), 1, sh(2024, 2, 29, 23, 59)),
        (sh(2024, 3, 31, 9, 0), 1, sh(2024, 4, 30, 9, 0)),
        (sh(2024, 8, 31, 9, 0), 3, sh(2024, 11, 30, 9, 0)),
        (sh(2024, 11, 30, 9, 0), 2, sh(2025, 1, 30, 9, 0)),
        (sh(2024, 12, 31, 9, 0), 2, sh(2025, 2, 28, 9, 0)),
        (sh(2028, 2, 29, 14, 15), 12, sh(2029, 2, 28, 14, 15)),  # leap day + 12 months
        (sh(2028, 2, 29, 14, 15), 48, sh(2032, 2, 29, 14, 15)),
        (sh(2024, 5, 15, 9, 0), 60, sh(2029, 5, 15, 9, 0)),  # exactly 5 years is allowed
    ],
)
def test_month_offsets_clamp_to_month_end(discharged: datetime, months: int, expected: datetime) -> None:
    assert due_of(discharged, months, U.MONTHS) == expected


def test_add_months_directly() -> None:
    assert sch.add_months(datetime(2024, 1, 31, 8, 0), 1) == datetime(2024, 2, 29, 8, 0)
    assert sch.add_months(datetime(2024, 12, 15), 1) == datetime(2025, 1, 15)
    assert sch.add_months(datetime(2024, 3, 31), -1) == datetime(2024, 2, 29)


def test_five_years_in_days_is_exact() -> None:
    discharged = sh(2024, 1, 1, 9, 0)
    assert due_of(discharged, 1827, U.DAYS) == sh(2029, 1, 1, 9, 0)  # 2024 and 2028 are leap years
    with pytest.raises(InvalidSchedule, match="more than 5 years"):
        due_of(discharged, 1828, U.DAYS)


@pytest.mark.parametrize(
    ("bad_step", "message"),
    [
        (step(2, -1, U.DAYS), "before discharge"),
        (step(2, -3, U.HOURS), "before discharge"),
        (step(2, 61, U.MONTHS), "more than 5 years"),
        (step(2, 270, U.WEEKS), "more than 5 years"),
        (step(2, 10**12, U.HOURS), "more than 5 years"),
        (step(2, 7, U.DAYS, window=0), "window closes before it opens"),
        (step(2, 7, U.DAYS, window=-5), "window closes before it opens"),
        (step(2, 7, U.DAYS, window=float("nan")), "finite"),
        (step(2, 7, U.DAYS, window=float("inf")), "finite"),
    ],
)
def test_invalid_steps_rejected(bad_step: PlanStep, message: str) -> None:
    with pytest.raises(InvalidSchedule, match=message) as info:
        schedule(sh(2024, 3, 10, 10), FIRST, bad_step)
    assert "plan HF v2 step 2" in str(info.value)


def test_duplicate_step_numbers_rejected() -> None:
    with pytest.raises(InvalidSchedule, match="duplicate step number 2"):
        schedule(sh(2024, 3, 10, 10), FIRST, step(2, 7), step(2, 30))


@pytest.mark.parametrize(
    "first",
    [step(1, 1, U.DAYS, 24.0), step(1, 0, U.HOURS, 48.0), step(1, 0, U.DAYS, 12.0)],
    ids=["not_at_discharge", "window_48h", "window_12h"],
)
def test_first_step_must_be_due_at_discharge_with_24h_window(first: PlanStep) -> None:
    with pytest.raises(InvalidSchedule, match="first step 1 must be due at discharge"):
        schedule(sh(2024, 3, 10, 10), first, step(2, 7))


def test_first_step_is_lowest_step_number_whatever_the_order() -> None:
    tasks = schedule(sh(2024, 3, 10, 10), step(5, 7), step(0, 0, U.DAYS, 24.0))
    assert [t.step_no for t in tasks] == [0, 5]


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.RETIRED])
def test_unpublished_plan_rejected(status: PublicationStatus) -> None:
    plan = make_plan(FIRST, status=status)
    enrollment, encounter = make_case(sh(2024, 3, 10, 10), plan)
    with pytest.raises(InvalidSchedule, match=f"plan HF v2 is {status.value}"):
        sch.plan_tasks(plan, enrollment, encounter, now=sh(2024, 3, 10, 10))


def test_plan_without_steps_rejected() -> None:
    plan = Plan(code="HF", version=2, name="x", status=PublicationStatus.PUBLISHED, steps=())
    enrollment, encounter = make_case(sh(2024, 3, 10, 10), plan)
    with pytest.raises(InvalidSchedule, match="has no steps"):
        sch.plan_tasks(plan, enrollment, encounter, now=sh(2024, 3, 10, 10))


@pytest.mark.parametrize(
    "retry", [RetryPolicy(max_attempts=0), RetryPolicy(interval_hours=0), RetryPolicy(interval_hours=-1)]
)
def test_unworkable_retry_policy_rejected(retry: RetryPolicy) -> None:
    plan = make_plan(FIRST, retry=retry)
    enrollment, encounter = make_case(sh(2024, 3, 10, 10), plan)
    with pytest.raises(InvalidSchedule, match=r"plan HF v2: (max_attempts|retry interval)"):
        sch.plan_tasks(plan, enrollment, encounter, now=sh(2024, 3, 10, 10))


def test_encounter_without_discharge_rejected() -> None:
    plan = make_plan(FIRST)
    enrollment, encounter = make_case(None, plan)
    with pytest.raises(InvalidSchedule, match=f"encounter {encounter.id} has no discharge time"):
        sch.plan_tasks(plan, enrollment, encounter, now=sh(2024, 3, 10, 10))


def test_enrollment_for_other_plan_or_encounter_rejected() -> None:
    plan = make_plan(FIRST)
    enrollment, encounter = make_case(sh(2024, 3, 10, 10), plan)
    other_plan = Plan(code="HF", version=3, name="x", status=PublicationStatus.PUBLISHED, steps=(FIRST,))
    with pytest.raises(InvalidSchedule, match="not HF v3"):
        sch.plan_tasks(other_plan, enrollment, encounter, now=sh(2024, 3, 10, 10))
    _, other_encounter = make_case(sh(2024, 3, 10, 10), plan)
    with pytest.raises(InvalidSchedule, match="does not belong to encounter"):
        sch.plan_tasks(plan, enrollment, other_encounter, now=sh(2024, 3, 10, 10))


def test_naive_datetimes_rejected_by_plan_tasks() -> None:
    plan = make_plan(FIRST)
    enrollment, encounter = make_case(sh(2024, 3, 10, 10), plan)
    with pytest.raises(DomainError, match="now must be a timezone-aware"):
        sch.plan_tasks(plan, enrollment, encounter, now=datetime(2024, 3, 10, 10))
    enrollment, encounter = make_case(datetime(2024, 3, 10, 10), plan)
    with pytest.raises(DomainError, match="discharged_at must be a timezone-aware"):
        sch.plan_tasks(plan, enrollment, encounter, now=sh(2024, 3, 10, 10))


def test_window_already_closed_at_enrollment_is_cancelled_not_missed() -> None:
    discharged = sh(2024, 3, 10, 10, 0)
    late = discharged + timedelta(hours=30)  # first window (24 h) is over, day-7 window is not
    first, second = schedule(discharged, FIRST, step(2, 7), now=late)
    assert first.status is S.CANCELLED
    assert first.status_reason == sch.CLOSED_AT_ENROLLMENT == "window already closed at enrollment"
    assert second.status is S.PENDING
    # A later sweep leaves it alone, so it never counts as missed.
    assert sch.sweep_missed([first, second], late + timedelta(days=1)) == []


def test_enrollment_exactly_at_window_end_is_still_open() -> None:
    discharged = sh(2024, 3, 10, 10, 0)
    (task,) = schedule(discharged, FIRST, now=discharged + timedelta(hours=24))
    assert task.status is S.PENDING
