"""Enrollment at discharge: match the published plans, enroll or queue, create the tasks.

Runs inside the transaction that stored the discharge, so the enrollment and
its tasks (the first due at discharge with a 24 h window) are on the change
feed the moment the discharge is — a ward's desk sees both at its next pull.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurse_app.domain import tasks as task_machine
from nurse_app.domain.enrollment import Decision, DischargeFacts, PlanMatcher
from nurse_app.domain.model import (
    Encounter,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Plan,
    PublicationStatus,
    TaskStatus,
)
from nurse_app.domain.scheduling import plan_tasks
from server_sync.protocol import PayloadError, dataclass_from_payload, entity_to_payload, payload_to_entity
from server_sync.service.config.models import ConfigDocumentRow, WardRow
from server_sync.service.intake import group_cache
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import ApplyResult
from server_sync.service.intake.models import PlanMatchRow
from server_sync.service.records.models import EncounterRow, EnrollmentRow, PatientRow, TaskRow
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.writes import new_row, replace_payload

# database url → (newest plan config version, plans, matcher); plans are immutable per version.
_PLAN_CACHE: dict[str, tuple[int, tuple[Plan, ...], dict[float, PlanMatcher]]] = {}
# Plan-match statuses whose enrollment is in force.
LIVE_MATCHES = ("enrolled", "accepted")


def active_plans(db_session: Session) -> tuple[Plan, ...]:
    """The newest published version of every plan (its config version checked once per transaction)."""
    cached = group_cache.cache(db_session)
    if cached.plans is None:
        cached.plans = _active_plans(db_session)
    return cached.plans


def _active_plans(db_session: Session) -> tuple[Plan, ...]:
    newest = db_session.execute(
        select(func.max(ConfigDocumentRow.config_version)).where(ConfigDocumentRow.kind == "plan")
    ).scalar_one()
    cache_key = str(db_session.get_bind().engine.url)
    cached = _PLAN_CACHE.get(cache_key)
    if cached is not None and cached[0] == (newest or 0):
        return cached[1]
    latest: dict[str, tuple[int, dict]] = {}
    for row in db_session.scalars(select(ConfigDocumentRow).where(ConfigDocumentRow.kind == "plan")):
        if row.key not in latest or row.version > latest[row.key][0]:
            latest[row.key] = (row.version, row.body)
    plans = []
    for _version, body in sorted(latest.values(), key=lambda item: item[1].get("code", "")):
        try:
            plan = dataclass_from_payload(Plan, body)
        except PayloadError:
            continue  # a plan this service cannot read never enrolls anyone
        if PublicationStatus(plan.status) is PublicationStatus.PUBLISHED:
            plans.append(plan)
    _PLAN_CACHE[cache_key] = (newest or 0, tuple(plans), {})
    return _PLAN_CACHE[cache_key][1]


def plan_matcher(db_session: Session, lower_ratio: float) -> PlanMatcher:
    """The compiled matcher of the current plans (rebuilt when a plan is published)."""
    plans = active_plans(db_session)
    cached = _PLAN_CACHE.get(str(db_session.get_bind().engine.url))
    if cached is None or cached[1] is not plans:  # another transaction saw a newer plan meanwhile
        return PlanMatcher(plans, lower_ratio=lower_ratio)
    matchers = cached[2]
    if lower_ratio not in matchers:
        matchers[lower_ratio] = PlanMatcher(plans, lower_ratio=lower_ratio)
    return matchers[lower_ratio]


def facts_for(
    db_session: Session, patient: PatientRow, encounter: EncounterRow, flags: frozenset[str]
) -> DischargeFacts:
    from server_sync.service.intake.apply import previous_discharges

    ward = group_cache.get(db_session, WardRow, encounter.ward_code)
    return DischargeFacts(
        patient=payload_to_entity("patient", patient.payload),
        encounter=payload_to_entity("encounter", encounter.payload),
        department=ward.department if ward else "",
        previous_discharges=previous_discharges(db_session, patient.id, encounter.id),
        flags=flags,
    )


def enroll_discharge(
    ctx: BatchContext,
    patient: PatientRow,
    encounter: EncounterRow,
    flags: frozenset[str],
    settings: IntakeSettings,
    result: ApplyResult,
) -> None:
    """Match every plan not yet decided for this stay; enroll, queue, or leave it."""
    db_session = ctx.db_session
    matcher = plan_matcher(db_session, settings.candidate_ratio)
    if not matcher.plans:
        return
    existing = {m.plan_code: m for m in group_cache.plan_matches_of(db_session, encounter.id)}
    facts = facts_for(db_session, patient, encounter, flags)
    by_code = {plan.code: plan for plan in matcher.plans}
    for match in matcher.match(facts):
        row = existing.get(match.plan_code)
        if row is not None and row.status != "cancelled":
            continue  # decided before: an A08 after the A03 must not enroll twice
        if row is None:
            row = PlanMatchRow(id=str(uuid.uuid4()), encounter_id=encounter.id, plan_code=match.plan_code)
            group_cache.added_plan_match(db_session, row)
        row.patient_id, row.ward_code = patient.id, encounter.ward_code
        row.plan_version, row.score, row.decision = match.plan_version, match.score, match.decision.value
        row.explanation = match.to_dict() | {"text": match.explain()}
        row.created_at, row.resolved_by, row.enrollment_id = ctx.now, None, None
        row.status = "open"
        if match.decision is Decision.ENROLL:
            row.enrollment_id = create_enrollment(
                ctx, by_code[match.plan_code], facts.encounter, match.score, EnrollmentSource.AUTO
            )
            row.status = "enrolled"
            result.enrolled.append(match.plan_code)
        else:
            row.status = "open"
            result.candidates.append(match.plan_code)
        db_session.add(row)  # complete now: the next query autoflushes it


def create_enrollment(
    ctx: BatchContext, plan: Plan, encounter: Encounter, score: float, source: EnrollmentSource
) -> str:
    """Store an enrollment and its tasks (``plan_tasks``) and put them on the change feed."""
    ward = group_cache.get(ctx.db_session, WardRow, encounter.ward_code)
    enrollment = Enrollment(
        encounter.patient_id,
        encounter.id,
        plan.code,
        plan.version,
        source=source,
        match_score=score,
        enrolled_at=ctx.now,
    )
    tasks = plan_tasks(plan, enrollment, encounter, now=ctx.now, zone=ward.zone if ward else "Asia/Shanghai")
    new_row(
        ctx,
        "enrollment",
        entity_to_payload(enrollment),
        encounter.ward_code,
        patient_id=enrollment.patient_id,
    )
    for task in tasks:
        new_row(
            ctx,
            "task",
            entity_to_payload(task),
            task.ward_code,
            patient_id=task.patient_id,
            status=task.status.value,
        )
    return enrollment.id


def cancel_for_encounter(ctx: BatchContext, encounter_id: str, reason: str) -> int:
    """Cancel the stay's enrollments and their open tasks (A11/A13); returns the tasks cancelled."""
    db_session = ctx.db_session
    matches = db_session.scalars(select(PlanMatchRow).where(PlanMatchRow.encounter_id == encounter_id)).all()
    enrollment_ids = {m.enrollment_id for m in matches if m.enrollment_id and m.status in LIVE_MATCHES}
    for match in matches:
        if match.status in (*LIVE_MATCHES, "open"):
            match.status = "cancelled"
    cancelled = 0
    if not enrollment_ids:
        return 0
    for row in db_session.scalars(
        select(EnrollmentRow).where(EnrollmentRow.id.in_(sorted(enrollment_ids))).with_for_update()
    ):
        enrollment: Enrollment = payload_to_entity("enrollment", row.payload)
        if enrollment.status is not EnrollmentStatus.CANCELLED:
            enrollment.status = EnrollmentStatus.CANCELLED
            replace_payload(ctx, "enrollment", row, entity_to_payload(enrollment))
        patient_id = row.patient_id
        for task_row in db_session.scalars(
            select(TaskRow).where(TaskRow.patient_id == patient_id).with_for_update()
        ):
            if task_row.payload.get("enrollment_id") != row.id:
                continue
            task = payload_to_entity("task", task_row.payload)
            if TaskStatus(task.status).is_terminal:
                continue  # a call already made stays on record
            task_machine.cancel(task, ctx.now, reason)
            replace_payload(ctx, "task", task_row, entity_to_payload(task))
            task_row.status = task.status.value
            cancelled += 1
    return cancelled


def accept_candidate(ctx: BatchContext, match: PlanMatchRow, actor: str) -> str:
    """A ward's reviewer enrolls a candidate (source ``manual``); returns the enrollment id."""
    plan = next((p for p in active_plans(ctx.db_session) if p.code == match.plan_code), None)
    encounter_row = ctx.db_session.get(EncounterRow, match.encounter_id)
    if plan is None or encounter_row is None or encounter_row.deleted:
        raise ValueError("the plan or the stay no longer exists")
    encounter = payload_to_entity("encounter", encounter_row.payload)
    match.enrollment_id = create_enrollment(ctx, plan, encounter, match.score, EnrollmentSource.MANUAL)
    match.status, match.resolved_by = "accepted", actor
    return match.enrollment_id
