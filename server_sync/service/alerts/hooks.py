"""What the push path calls when a response, alert or call attempt was stored (same transaction)."""

from __future__ import annotations

from typing import Any

from server_sync.service.alerts import service
from server_sync.service.alerts.evaluation import evaluate_response, item_label
from server_sync.service.notify.reminders import queue_callback_reminder

ALERT_HOOK_ENTITIES = frozenset({"response", "alert", "call_attempt"})


def _fmt(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_fmt(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)[:64]


def on_record_pushed(ctx: Any, entity: str, record: Any) -> None:
    """Raise lifecycle alerts for a new response (service evaluation) or desk alert; queue callbacks."""
    db_session = ctx.db_session
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
        service.raise_alert(
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
