"""The messages an alert sends: to the ward's doctor when raised, to the manager/duty doctor on escalation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from server_sync.service.alerts.models import AlertLifecycleRow
from server_sync.service.notify import outbox
from server_sync.service.notify.config import CHANNELS, NotifyConfig
from server_sync.service.notify.templates import render

# Escalation level → who is told (level 0: the ward's doctor on call for follow-up alerts).
RECIPIENT_OF_LEVEL = {0: "doctor", 1: "manager", 2: "duty_doctor"}
_ADDRESS = {"sms": "phone", "email": "email", "chat": "chat"}


def _values(alert: AlertLifecycleRow, patient_name: str) -> dict[str, object]:
    return {
        "patient": outbox.mask_name(patient_name),
        "ward": alert.ward_code,
        "scale": alert.scale_code,
        "item": alert.item,
        "value": alert.value,
        "threshold": alert.threshold,
        "nurse": alert.raised_by,
        "alert_id": alert.id,
        "severity": alert.severity,
        "message": alert.message,
        "level": alert.escalation_level,
    }


def queue_alert_messages(
    db_session: Session,
    *,
    alert: AlertLifecycleRow,
    patient_name: str,
    cfg: NotifyConfig,
    now: datetime,
    minutes: float = 0,
) -> int:
    """Queue the message of ``alert``'s current level on every configured channel; returns how many."""
    level = alert.escalation_level
    role = RECIPIENT_OF_LEVEL[level]
    contact = cfg.contact(alert.ward_code, role)
    event = "alert_raised" if level == 0 else "alert_escalated"
    template = "alert_doctor" if level == 0 else "alert_escalated"
    values = _values(alert, patient_name) | {"minutes": f"{minutes:g}"}
    body = render(cfg.templates, template, cfg.policy.lang, values)
    subject = f"危急值 {alert.scale_code} {alert.item} / critical value {alert.id[:8]}"
    queued = 0
    for channel in CHANNELS:
        if channel not in cfg.channels:
            continue
        address = contact.get(_ADDRESS[channel])
        if channel == "chat" and address is None:
            address = contact.get("name") if contact else None
        if not address:
            continue
        outbox.enqueue(
            db_session,
            key=f"{event}:{alert.id}:{level}:{channel}",
            event=event,
            channel=channel,
            recipient=str(address),
            subject=subject,
            body=body,
            now=now,
            alert_id=alert.id,
            patient_id=alert.patient_id,
        )
        queued += 1
    return queued
