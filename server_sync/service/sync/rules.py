"""How one mutation changes the service's records: scope checks, field merge, deletes.

Task status and the append-only records have their own rules in
``sync.task_rules``. Every function returns an ``Outcome`` or raises
``Rejected`` for a mutation that can never apply.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain.codec import format_utc
from nurse_app.domain.model import AlertStatus, Role
from server_sync.protocol import Mutation, PayloadError, entity_to_payload, payload_to_entity
from server_sync.service.alerts import service as alert_service
from server_sync.service.alerts.hooks import ALERT_HOOK_ENTITIES, on_record_pushed
from server_sync.service.audit.models import AuditEventRow
from server_sync.service.records.models import AlertRow, EncounterRow, EnrollmentRow, PatientRow
from server_sync.service.sync import task_rules
from server_sync.service.sync.context import BatchContext, Rejected
from server_sync.service.sync.merge import NOT_MERGED
from server_sync.service.sync.outcome import Outcome, applied
from server_sync.service.sync.writes import merge_base, merge_into, merge_outcome, new_row, replace_payload

DELETABLE = frozenset({"patient", "encounter", "enrollment", "alert"})


def apply_mutation(ctx: BatchContext, mutation: Mutation) -> Outcome:
    """Apply one mutation inside the batch's transaction."""
    try:
        if mutation.op == "delete":
            return _delete(ctx, mutation)
        record = _decode(mutation)
        payload = entity_to_payload(record)
        handler = _HANDLERS[mutation.entity]
        outcome = handler(ctx, mutation, record, payload)
        # --- critical-value alerts / notifications hook (server_sync.service.alerts) ---
        if outcome.status == "applied" and mutation.entity in ALERT_HOOK_ENTITIES:
            on_record_pushed(ctx, mutation.entity, record)
        # --- end of hook ---
        return outcome
    except Rejected as refusal:
        return Outcome("rejected", str(refusal))


def _decode(mutation: Mutation) -> Any:
    try:
        record = payload_to_entity(mutation.entity, mutation.payload)
    except PayloadError as error:
        raise Rejected(f"invalid {mutation.entity} payload: {error}") from None
    if record.id != mutation.entity_id:
        raise Rejected("payload id does not match entity_id")
    return record


def _existing_patient(ctx: BatchContext, patient_id: str) -> PatientRow:
    patient = ctx.row("patient", patient_id)
    if patient is None or patient.deleted:
        raise Rejected(f"unknown patient {patient_id}: push the patient first")
    return patient


def _require_patient_scope(ctx: BatchContext, patient_id: str) -> None:
    if not ctx.is_admin and not (ctx.patient_wards(patient_id) & set(ctx.user.wards)):
        raise Rejected("patient is not in any of your wards")


def _patient(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    row = ctx.row("patient", record.id)
    if row is None:
        if not ctx.is_admin and not ctx.user.wards:
            raise Rejected("you have no ward to register a patient in")
        for ward_code in () if ctx.is_admin else ctx.user.wards:
            ctx.link_patient_ward(record.id, ward_code)
        return applied(new_row(ctx, "patient", payload, None, mrn=record.mrn).version)
    _require_patient_scope(ctx, record.id)
    if row.deleted:
        raise Rejected("patient was deleted on the server")
    base = merge_base(ctx, "patient", row, mutation.base_version)
    _changed, clashes = merge_into(ctx, "patient", row, payload, base)
    row.mrn = row.payload["mrn"]
    return merge_outcome(row, mutation.base_version, clashes)


def _encounter(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    patient = _existing_patient(ctx, record.patient_id)
    ctx.require_ward(record.ward_code, "encounter")
    row = ctx.row("encounter", record.id)
    if row is None:
        row = new_row(ctx, "encounter", payload, record.ward_code, patient_id=record.patient_id)
        outcome = applied(row.version)
    else:
        ctx.require_ward(row.ward_code, "encounter")
        if row.deleted or row.patient_id != record.patient_id:
            raise Rejected("encounter was deleted or belongs to another patient on the server")
        _changed, clashes = merge_into(
            ctx, "encounter", row, payload, merge_base(ctx, "encounter", row, mutation.base_version)
        )
        row.ward_code = row.payload["ward_code"]
        outcome = merge_outcome(row, mutation.base_version, clashes)
    if ctx.link_patient_ward(patient.id, row.ward_code):
        ctx.emit("patient", patient)  # the patient now shows in this ward's feed too
    return outcome


def _enrollment(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    encounter: EncounterRow | None = ctx.row("encounter", record.encounter_id)
    if encounter is None or encounter.deleted or encounter.patient_id != record.patient_id:
        raise Rejected(f"unknown encounter {record.encounter_id} for this patient: push it first")
    ctx.require_ward(encounter.ward_code, "enrollment")
    row: EnrollmentRow | None = ctx.row("enrollment", record.id)
    if row is None:
        return applied(
            new_row(ctx, "enrollment", payload, encounter.ward_code, patient_id=record.patient_id).version
        )
    if row.deleted:
        raise Rejected("enrollment was deleted on the server")
    base = merge_base(ctx, "enrollment", row, mutation.base_version)
    _changed, clashes = merge_into(ctx, "enrollment", row, payload, base)
    return merge_outcome(row, mutation.base_version, clashes)


def _alert(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    ctx.require_ward(record.ward_code, "alert")
    if ctx.row("task", record.task_id) is None:
        raise Rejected(f"unknown task {record.task_id}: push it first")
    row: AlertRow | None = ctx.row("alert", record.id)
    if row is None:
        return applied(new_row(ctx, "alert", payload, record.ward_code, task_id=record.task_id).version)
    ctx.require_ward(row.ward_code, "alert")
    if row.deleted:
        raise Rejected("alert was deleted on the server")
    return _merge_alert(ctx, row, record, payload)


# Alert fields that follow the lifecycle: merged by state order, never reported as clashes
# (a desk cannot know the service's escalation, and alerts carry no base_version).
ALERT_LIFECYCLE_FIELDS = ("status", "acknowledged_by", "acknowledged_at", "escalated_at")
_ACK_FIELDS = ("acknowledged_by", "acknowledged_at")


def _merge_alert(ctx: BatchContext, row: AlertRow, record: Any, incoming: dict[str, Any]) -> Outcome:
    """Merge a desk's alert by lifecycle, like task status: a later state wins, the first ack stays.

    Order: open/raised < notified/escalated < acknowledged < resolved/closed. A pushed later
    state brings status (and, when none is recorded yet, who/when acknowledged); an earlier
    one never regresses the server (``duplicate``), nor does a second acknowledgement. An
    acknowledgement made first on the service (``/alerts/{id}/acknowledge``) counts as the
    record's. The lifecycle fields are never clashes (alerts carry no base_version and the
    desk cannot know the service's escalation); the other fields are fixed when the alert is
    raised, so a differing one is a clash and the server value is kept.
    """
    current = row.payload
    merged = dict(current)
    lifecycle = alert_service.find(ctx.db_session, record.response_id, record.rule_code)
    if lifecycle is not None and lifecycle.acknowledged_by and not merged.get("acknowledged_by"):
        # Acknowledged on the service first: that acknowledgement is the record's too.
        merged["acknowledged_by"] = lifecycle.acknowledged_by
        merged["acknowledged_at"] = format_utc(lifecycle.acknowledged_at)
        if alert_service.lifecycle_rank(merged["status"]) < alert_service.lifecycle_rank("acknowledged"):
            merged["status"] = AlertStatus.ACKNOWLEDGED.value
    server_rank = alert_service.lifecycle_rank(merged["status"])
    pushed_rank = alert_service.lifecycle_rank(incoming.get("status"))
    first_ack = not merged.get("acknowledged_by")
    if pushed_rank > server_rank:
        merged["status"] = incoming["status"]
        if first_ack and incoming.get("acknowledged_by"):
            merged.update({name: incoming.get(name) for name in _ACK_FIELDS})
    if not merged.get("escalated_at") and incoming.get("escalated_at"):
        merged["escalated_at"] = incoming["escalated_at"]
    clashes = tuple(
        sorted(
            name
            for name, value in incoming.items()
            if name not in NOT_MERGED and name not in ALERT_LIFECYCLE_FIELDS and current.get(name) != value
        )
    )
    replace_payload(ctx, "alert", row, merged)
    if clashes:
        return merge_outcome(row, None, clashes)
    won = pushed_rank > server_rank
    acknowledgement = (merged.get("acknowledged_by"), merged.get("acknowledged_at"))
    lost_ack = incoming.get("acknowledged_by") and acknowledgement != (
        incoming.get("acknowledged_by"),
        incoming.get("acknowledged_at"),
    )
    if lost_ack:
        reason = (
            f"alert was already acknowledged by {acknowledgement[0]} "
            "(the first acknowledgement wins; server kept)"
        )
        return applied(row.version, reason) if won else Outcome("duplicate", reason, row.version)
    if pushed_rank < server_rank:
        reason = f"alert is already {merged['status']} on the server (a later state wins; server kept)"
        return Outcome("duplicate", reason, row.version)
    return applied(row.version)


def _audit_event(ctx: BatchContext, mutation: Mutation, record: Any, payload: dict[str, Any]) -> Outcome:
    existing = ctx.db_session.get(AuditEventRow, record.id)
    if existing is not None or ctx.has_audit(record.id):
        return Outcome("duplicate", "audit event already recorded")
    ctx.add_client_audit(record)
    return applied(1)


def _delete(ctx: BatchContext, mutation: Mutation) -> Outcome:
    entity = mutation.entity
    if entity not in DELETABLE:
        raise Rejected(f"{entity} records are never deleted (append-only, or cancel the task instead)")
    if ctx.user.role is Role.NURSE:
        raise Rejected("only ward managers and administrators may delete records")
    row = ctx.row(entity, mutation.entity_id)
    if row is None:
        return Outcome("applied", "nothing to delete")
    if entity == "patient":
        _require_patient_scope(ctx, row.id)
    else:
        ctx.require_ward(row.ward_code, entity)
    if row.deleted:
        return Outcome("duplicate", "already deleted", row.version)
    ctx.remember_version(entity, row)
    row.deleted, row.version = True, row.version + 1
    row.updated_at, row.updated_by = ctx.now, ctx.user.username
    ctx.emit(entity, row, op="delete")
    ctx.audit("update", entity, row.id, detail="deleted")
    return applied(row.version)


_HANDLERS = {
    "patient": _patient,
    "encounter": _encounter,
    "enrollment": _enrollment,
    "alert": _alert,
    "audit_event": _audit_event,
    "task": task_rules.apply_task,
    "call_attempt": task_rules.apply_append_only,
    "response": task_rules.apply_append_only,
}
