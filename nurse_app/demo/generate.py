"""Builds a realistic, deterministic demo hospital in batches.

Same ``seed`` and ``now`` give the same hospital, record for record. Patients
are discharged over the last 90 days; their follow-up tasks come from the
real scheduling engine and their calls from ``simulate``, so tasks sit in
every state and every rate is non-trivial. Batches keep memory flat at the
1 M-task scale the benchmarks use.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nurse_app.demo.catalog import DEMO_PLANS, DEMO_WARDS, PLANS_BY_CODE, DemoWard
from nurse_app.demo.people import birth_date_for_age, chinese_name, mobile_phone, national_id, pick_sex
from nurse_app.demo.simulate import CallContext, Played, play_enrollment, rng_id
from nurse_app.domain.model import (
    Alert,
    CallAttempt,
    Encounter,
    Enrollment,
    EnrollmentSource,
    FollowUpTask,
    Patient,
    Plan,
    Response,
    Role,
    User,
    Ward,
)
from nurse_app.domain.scheduling import plan_tasks, sweep_missed

DISCHARGE_SPAN_DAYS = 90
NURSES_PER_WARD = 5

DEMO_NURSE = "demo.nurse"
DEMO_MANAGER = "demo.manager"
DEMO_ADMIN = "admin"


@dataclass(slots=True)
class DemoBatch:
    patients: list[Patient] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    tasks: list[FollowUpTask] = field(default_factory=list)
    attempts: list[CallAttempt] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DemoStaff:
    users: tuple[User, ...]
    nurses_by_ward: dict[str, tuple[str, ...]]


def demo_wards() -> tuple[Ward, ...]:
    return tuple(w.ward for w in DEMO_WARDS)


def demo_plans() -> tuple[Plan, ...]:
    return DEMO_PLANS


def demo_staff(seed: int) -> DemoStaff:
    """Nurses per ward (工号 as username), one demo nurse, a ward manager and an administrator."""
    rng = random.Random(f"staff-{seed}")
    users: list[User] = []
    nurses_by_ward: dict[str, tuple[str, ...]] = {}
    number = 1001
    for demo_ward in DEMO_WARDS:
        code = demo_ward.ward.code
        usernames = []
        for _ in range(NURSES_PER_WARD):
            username = f"N{number}"
            number += 1
            users.append(User(username, chinese_name(rng, pick_sex(rng, 0.92)), Role.NURSE, (code,)))
            usernames.append(username)
        if code == "CARD1":
            users.append(User(DEMO_NURSE, "演示护士 李娜", Role.NURSE, (code,)))
            usernames.append(DEMO_NURSE)
        nurses_by_ward[code] = tuple(usernames)
    users.append(User(DEMO_MANAGER, "演示护士长 王芳", Role.WARD_MANAGER, ("CARD1", "CARD2")))
    users.append(User(DEMO_ADMIN, "系统管理员", Role.ADMIN, ()))
    return DemoStaff(tuple(users), nurses_by_ward)


def generate_batches(
    *, patients: int, seed: int, now: datetime, batch_size: int = 5000
) -> Iterator[DemoBatch]:
    """Yield the demo hospital's clinical records, ``batch_size`` patients at a time."""
    staff = demo_staff(seed)
    rng = random.Random(seed)
    today = now.date()
    batch = DemoBatch()
    for index in range(patients):
        demo_ward = DEMO_WARDS[index % len(DEMO_WARDS)]
        _add_patient(rng, index, demo_ward, staff, now, today, batch)
        if len(batch.patients) >= batch_size:
            yield batch
            batch = DemoBatch()
    if batch.patients:
        yield batch


def _add_patient(
    rng: random.Random,
    index: int,
    demo_ward: DemoWard,
    staff: DemoStaff,
    now: datetime,
    today: date,
    batch: DemoBatch,
) -> None:
    sex = pick_sex(rng, demo_ward.female_share)
    birth = birth_date_for_age(rng, today, demo_ward.age_range)
    patient = Patient(
        mrn=f"ZY{20_000_000 + index:08d}",
        name=chinese_name(rng, sex),
        sex=sex,
        birth_date=birth,
        phone=mobile_phone(rng),
        national_id=national_id(rng, birth, sex),
        id=rng_id(rng),
    )
    discharged = now - timedelta(minutes=rng.uniform(0, DISCHARGE_SPAN_DAYS * 24 * 60))
    # Discharges happen in working hours, local time (UTC+8).
    discharged = discharged.replace(hour=rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 9)), minute=rng.randrange(60))
    if discharged > now:
        discharged -= timedelta(days=1)
    admitted = discharged - timedelta(days=rng.randint(*demo_ward.stay_days), hours=rng.uniform(0, 12))
    diagnosis = rng.choice(demo_ward.diagnoses)
    encounter = Encounter(
        patient_id=patient.id,
        ward_code=demo_ward.ward.code,
        admitted_at=admitted,
        discharged_at=discharged,
        diagnoses=(type(diagnosis)(diagnosis.icd10, diagnosis.description, primary=True),),
        procedures=(rng.choice(demo_ward.procedures),) if rng.random() < 0.6 else (),
        attending_doctor=chinese_name(rng, pick_sex(rng, 0.4)) + " 主治医师",
        discharge_summary=f"{diagnosis.description}，病情稳定出院。",
        id=rng_id(rng),
    )
    plan = PLANS_BY_CODE[demo_ward.plan_code]
    enrollment = Enrollment(
        patient.id,
        encounter.id,
        plan.code,
        plan.version,
        EnrollmentSource.AUTO,
        match_score=round(rng.uniform(1.0, 2.5), 2),
        enrolled_at=discharged,
        id=rng_id(rng),
    )
    nurses = staff.nurses_by_ward[demo_ward.ward.code]
    assignee = rng.choice(nurses)
    tasks = plan_tasks(plan, enrollment, encounter, assignee=assignee, now=discharged)
    for task in tasks:
        task.id = rng_id(rng)
    played = Played()
    ctx = CallContext(plan, demo_ward.ward.calling_hours, nurses, demo_ward.promptness, now)
    play_enrollment(rng, tasks, ctx, played)
    sweep_missed(tasks, now)

    batch.patients.append(patient)
    batch.encounters.append(encounter)
    batch.enrollments.append(enrollment)
    batch.tasks.extend(tasks)
    batch.attempts.extend(played.attempts)
    batch.responses.extend(played.responses)
    batch.alerts.extend(played.alerts)
