"""A small, deterministic month of follow-up records for one ward (October 2026, Asia/Shanghai)."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from nurse_app.domain.model import (
    Answer,
    CallAttempt,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Response,
    Sex,
    TaskStatus,
)

# Local midnight 2026-10-01 in Shanghai is 2026-09-30 16:00 UTC.
OCT_START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)


@dataclass
class Dataset:
    patients: list[Patient] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    tasks: list[FollowUpTask] = field(default_factory=list)
    attempts: list[CallAttempt] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def in_push_order(self) -> list[Any]:
        return [
            *self.patients,
            *self.encounters,
            *self.enrollments,
            *self.tasks,
            *self.attempts,
            *self.responses,
        ]


def month_of_records(ward: str, nurses: tuple[str, ...], *, count: int = 14, seed: int = 3) -> Dataset:
    """Discharges across October (and a few just outside it) with every kind of outcome."""
    rng = random.Random(seed)
    data = Dataset()
    for i in range(count):
        patient = Patient(f"MRN{uuid.uuid4().hex[:8]}", "患者", Sex.FEMALE, date(1955, 5, 5))
        discharged = OCT_START + timedelta(days=rng.randint(-2, 32), hours=rng.randint(0, 23))
        encounter = Encounter(patient.id, ward, discharged - timedelta(days=5), discharged)
        plan = rng.choice(("HF-DISCHARGE", "DM-FOLLOWUP"))
        enrollment = Enrollment(patient.id, encounter.id, plan, 1, enrolled_at=discharged)
        assignee = rng.choice((*nurses, None))
        kind = i % 5
        status, completed_at, finished_by = TaskStatus.PENDING, None, None
        if kind in (0, 1):  # on time / late
            status = TaskStatus.COMPLETED
            completed_at = discharged + timedelta(hours=5 if kind == 0 else 30)
            finished_by = CallOutcome.REACHED
        elif kind == 2:
            status = TaskStatus.CANCELLED
        task = FollowUpTask(
            enrollment.id,
            patient.id,
            encounter.id,
            ward,
            plan,
            1,
            1,
            due_at=discharged,
            window_end=discharged + timedelta(hours=24),
            assignee=assignee,
            status=status,
            completed_at=completed_at,
            finished_by=finished_by,
        )
        data.patients.append(patient)
        data.encounters.append(encounter)
        data.enrollments.append(enrollment)
        data.tasks.append(task)
        nurse = assignee or nurses[0]
        if kind != 2:
            first = discharged + timedelta(hours=rng.choice((2, 20, 26)))
            data.attempts.append(
                CallAttempt(task.id, nurse, first, first + timedelta(seconds=40), CallOutcome.NO_ANSWER)
            )
        if kind in (0, 1):
            start = completed_at - timedelta(minutes=12)
            data.attempts.append(
                CallAttempt(
                    task.id,
                    nurse,
                    start,
                    start + timedelta(seconds=rng.randint(200, 900)),
                    CallOutcome.REACHED,
                )
            )
            satisfaction = float(rng.randint(2, 5))
            response = Response(
                task.id,
                "SATISFACTION",
                1,
                (
                    Answer("sbp", 130, None),
                    Answer("satisfaction", str(int(satisfaction)), satisfaction, True),
                ),
                nurse,
                completed_at,
            )
            data.responses.append(response)
            if i == 0:  # a correction: replaces the first vote, does not add one
                data.responses.append(
                    Response(
                        task.id,
                        "SATISFACTION",
                        1,
                        (Answer("satisfaction", "5", 5.0, True),),
                        nurse,
                        completed_at + timedelta(hours=1),
                        supersedes=response.id,
                    )
                )
    return data


T = TypeVar("T")


def race(run: Callable[[str], T], replicas: int = 3) -> tuple[list[T], list[BaseException]]:
    """``run(worker)`` on ``replicas`` threads released together (workers "replica-0"…): results, errors."""
    results: list[T] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(replicas)

    def one(name: str) -> None:
        try:
            barrier.wait()
            results.append(run(name))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(f"replica-{i}",)) for i in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
