"""Builders shared by the scheduling tests: Shanghai times, plans, steps, cases, attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from nurse_app.domain import scheduling as sch
from nurse_app.domain.model import (
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
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = CallingHours()  # 08:30–20:00 Asia/Shanghai
RETRY = RetryPolicy(max_attempts=3, interval_hours=4)
S = TaskStatus
U = OffsetUnit


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as the UTC moment that is stored."""
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


def step(no: int, offset: int, unit: OffsetUnit = U.DAYS, window: float = 72.0) -> PlanStep:
    return PlanStep(step_no=no, name=f"step {no}", offset=offset, offset_unit=unit, window_hours=window)


FIRST = step(1, 0, U.HOURS, 24.0)


def make_plan(
    *steps: PlanStep,
    status: PublicationStatus = PublicationStatus.PUBLISHED,
    retry: RetryPolicy = RETRY,
) -> Plan:
    return Plan(
        code="HF",
        version=2,
        name="Heart failure",
        status=status,
        steps=steps or (FIRST,),
        retry=retry,
    )


def make_case(
    discharged_at: datetime | None, plan: Plan, patient: str = "pat-1"
) -> tuple[Enrollment, Encounter]:
    encounter = Encounter(
        patient_id=patient,
        ward_code="CARD-3",
        admitted_at=datetime(2020, 1, 1, tzinfo=UTC),
        discharged_at=discharged_at,
    )
    enrollment = Enrollment(
        patient_id=patient, encounter_id=encounter.id, plan_code=plan.code, plan_version=plan.version
    )
    return enrollment, encounter


def schedule(discharged_at: datetime, *steps: PlanStep, now: datetime | None = None) -> list[FollowUpTask]:
    plan = make_plan(*steps)
    enrollment, encounter = make_case(discharged_at, plan)
    return sch.plan_tasks(plan, enrollment, encounter, now=now or discharged_at)


def due_of(discharged_at: datetime, offset: int, unit: OffsetUnit) -> datetime:
    """The due time of a single non-first step."""
    tasks = schedule(discharged_at, FIRST, step(2, offset, unit))
    return tasks[1].due_at


def attempt(task: FollowUpTask, outcome: CallOutcome | str, at: datetime) -> CallAttempt:
    return CallAttempt(
        task_id=task.id,
        nurse="nurse-li",
        started_at=at,
        ended_at=at + timedelta(minutes=2),
        outcome=outcome,  # type: ignore[arg-type]
    )
