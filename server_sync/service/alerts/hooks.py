"""What the push path calls when a response, alert, call attempt or audit event was stored (same transaction).

A desk acknowledges an alert by pushing its Alert record (status acknowledged,
who, when) followed by an audit event "<action>: <note>". The record's
acknowledgement goes into the lifecycle at once as "other" (escalation stops in
this transaction); the audit event, when it is in the same batch, then supplies
the real action. An audit event arriving in a later batch leaves "other".
"""

from __future__ import annotations

from typing import Any

from server_sync.protocol import payload_to_entity
from server_sync.service.alerts import service
from server_sync.service.alerts.evaluation import evaluate_response, item_label
from server_sync.service.notify.reminders import queue_callback_reminder

ALERT_HOOK_ENTITIES = frozenset({"response", "alert", "call_attempt", "audit_event"})
_ACKNOWLEDGED_ON_DESK = frozenset({"acknowledged", "resolved"})


def _fmt(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_fmt(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)[:64]


def on_record_pushed(ctx: Any, entity: str, record: Any) -> None:
    """Raise lifecycle alerts for a new response (service evaluation) or desk alert; queue callbacks."""
    db_session = ctx.db_session
    if entity == "audit_event":
        if record.entity == "alert" and record.action.value == "update":
            service.refine_desk_ack(
                db_session,
                batch=ctx,
                desk_alert_id=record.entity_id,
                actor=record.actor,
                detail=record.detail,
            )
        return
    if entity == "call_attempt":
        task = ctx.row("task", record.task_id)
        patient = ctx.row("patient", task.patient_id) if task is not None else None
        if task is not None and patient is not None:
            queue_callback_reminder(
                db_session, attempt=record, ward_code=task.ward_code, patient=patient.payload, now=ctx.now
            )
        return
    if entity == "response":
        task = ctx.row("task", record.task_id)
        if task is None:
            return
        patient = ctx.row("patient", task.patient_id)
        name = str(patient.payload.get("name", "")) if patient is not None else ""
        response = ctx.row("response", record.id)
        definition, fired = evaluate_response(db_session, response.payload, task.ward_code)
        for raised in fired:
            service.raise_alert(
                db_session,
                now=ctx.now,
                patient_name=name,
                response_id=record.id,
                task_id=task.id,
                patient_id=task.patient_id,
                ward_code=task.ward_code,
                scale_code=record.questionnaire_code,
                rule_code=raised.rule_code,
                item=item_label(definition, raised.target) if definition else raised.target,
                value=_fmt(raised.value),
                threshold=_fmt(raised.threshold),
                severity=raised.severity.value,
                message=raised.message_zh,
                raised_by=record.submitted_by[:64],
                source="server",
            )
        return
    if entity == "alert":
        response = ctx.row("response", record.response_id)
        patient = ctx.row("patient", record.patient_id)
        name = str(patient.payload.get("name", "")) if patient is not None else ""
        scale = response.payload.get("questionnaire_code", "") if response is not None else ""
        lifecycle = service.raise_alert(
            db_session,
            now=ctx.now,
            patient_name=name,
            desk_alert_id=record.id,
            response_id=record.response_id,
            task_id=record.task_id,
            patient_id=record.patient_id,
            ward_code=record.ward_code,
            scale_code=scale,
            rule_code=record.rule_code,
            item=record.rule_code,
            value="",
            threshold="",
            severity=str(record.severity),
            message=record.message,
            raised_by=ctx.user.username,
            source="desk",
        )
        _desk_acknowledgement(ctx, lifecycle, record.id)


def _desk_acknowledgement(ctx: Any, lifecycle: Any, desk_alert_id: str) -> None:
    """Carry the stored alert record's acknowledgement (the merged truth) into the lifecycle."""
    row = ctx.row("alert", desk_alert_id)
    if row is None or row.payload.get("status") not in _ACKNOWLEDGED_ON_DESK:
        return
    stored = payload_to_entity("alert", row.payload)
    if not stored.acknowledged_by:
        return
    at = min(stored.acknowledged_at or ctx.now, ctx.now)
    service.acknowledge_from_desk(
        ctx.db_session,
        alert=lifecycle,
        batch=ctx,
        by=stored.acknowledged_by[:64],
        at=at,
        device=ctx.device_id,
    )
