"""Opening a patient's folder from the worklist (audited), and revealing masked identifiers."""

from __future__ import annotations

from dataclasses import dataclass

from nurse_app.desk.context import DeskContext
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import (
    Alert,
    AuditAction,
    CallAttempt,
    Encounter,
    FollowUpTask,
    Patient,
    Plan,
    PlanStep,
    Response,
)
from nurse_app.domain.privacy import mask_national_id, mask_phone


class NotFound(DomainError):
    """A record the cache does not hold (yet): e.g. a task not pulled to this PC."""


@dataclass(frozen=True, slots=True)
class PatientFolder:
    """Everything the patient and call panels show for one task."""

    task: FollowUpTask
    patient: Patient
    encounter: Encounter
    plan: Plan | None
    step: PlanStep | None
    tasks: tuple[FollowUpTask, ...]
    attempts: tuple[CallAttempt, ...]
    responses: tuple[Response, ...]
    alerts: tuple[Alert, ...]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.patient.phone)

    @property
    def masked_national_id(self) -> str:
        return mask_national_id(self.patient.national_id)


def _check_ward(ctx: DeskContext, ward_code: str) -> None:
    if not ctx.user.may_see_ward(ward_code):
        raise DomainError(f"{ctx.user.username} is not a member of ward {ward_code}")


def open_task(ctx: DeskContext, task_id: str) -> PatientFolder:
    """Load the folder of ``task_id`` and record that this user opened the patient's record."""
    with ctx.unit_of_work() as (repo, session):
        task = repo.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, task.ward_code)
        patient = repo.get_patient(task.patient_id)
        encounter = repo.get_encounter(task.encounter_id)
        if patient is None or encounter is None:
            raise NotFound(f"the patient or stay of task {task_id} is not in this PC's cache")
        plan = repo.get_plan(task.plan_code, task.plan_version)
        step = next((s for s in plan.steps if s.step_no == task.step_no), None) if plan else None
        tasks = tuple(repo.tasks_of_patient(patient.id))
        attempts = tuple(a for t in tasks for a in repo.attempts_of_task(t.id))
        responses = tuple(r for t in tasks for r in repo.responses_of_task(t.id))
        alerts = tuple(a for t in tasks for a in repo.alerts_of_task(t.id))
        ctx.audit(repo, session, AuditAction.READ, "patient", patient.id, f"task {task.id}")
    return PatientFolder(task, patient, encounter, plan, step, tasks, attempts, responses, alerts)


def reveal_identifier(ctx: DeskContext, patient_id: str, which: str) -> str:
    """Show a masked identifier in full ('phone' or 'national_id'); each reveal is audited."""
    if which not in ("phone", "national_id"):
        raise DomainError(f"unknown identifier '{which}'; expected phone or national_id")
    with ctx.unit_of_work() as (repo, session):
        patient = repo.get_patient(patient_id)
        if patient is None:
            raise NotFound(f"patient {patient_id} is not in this PC's cache")
        tasks = repo.tasks_of_patient(patient_id)
        # A patient with no task on this PC belongs to no ward of this user (admins excepted).
        _check_ward(ctx, tasks[0].ward_code if tasks else "")
        ctx.audit(repo, session, AuditAction.REVEAL, "patient", patient_id, which)
        return getattr(patient, which)
