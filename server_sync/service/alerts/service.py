"""The alert lifecycle: raise (with its doctor messages), acknowledge, close, escalate — each step audited.

States: ``raised`` → ``notified`` (a doctor message was delivered) →
``acknowledged`` (who, what was done, time to acknowledge) → ``closed``.
An alert not acknowledged ``ack_minutes`` after it was raised goes to the
ward manager (level 1), ``escalate_minutes`` later to the duty doctor (level 2).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.model import AuditAction, Role, User
from server_sync.service.alerts.models import AlertEventRow, AlertLifecycleRow
from server_sync.service.alerts.notices import queue_alert_messages
from server_sync.service.audit import service as audit_service
from server_sync.service.core.db import Database
from server_sync.service.core.errors import ServiceError, forbidden, not_found
from server_sync.service.notify import config as notify_config
from server_sync.service.records.models import PatientRow

RAISED, NOTIFIED, ACKNOWLEDGED, ESCALATED, CLOSED = (
    "raised",
    "notified",
    "acknowledged",
    "escalated",
    "closed",
)
OPEN_STATES = (RAISED, NOTIFIED, ESCALATED)
MAX_LEVEL = 2
_PENDING_KEY = "alerts.pending"  # alerts raised earlier in this (not yet flushed) transaction


class AckAction(StrEnum):
    ADVISED_ED = "advised_ed_visit"
    CONTACTED_DOCTOR = "contacted_doctor"
    SCHEDULED_CLINIC = "scheduled_clinic"
    OTHER = "other"


def log_event(
    db_session: Session, alert_id: str, kind: str, actor: str, at: datetime, detail: str = ""
) -> None:
    db_session.add(
        AlertEventRow(id=str(uuid.uuid4()), alert_id=alert_id, kind=kind, actor=actor, at=at, detail=detail)
    )


def find(db_session: Session, response_id: str, rule_code: str) -> AlertLifecycleRow | None:
    pending = db_session.info.setdefault(_PENDING_KEY, {})
    if (response_id, rule_code) in pending:
        return pending[(response_id, rule_code)]
    return db_session.execute(
        select(AlertLifecycleRow).where(
            AlertLifecycleRow.response_id == response_id, AlertLifecycleRow.rule_code == rule_code
        )
    ).scalar_one_or_none()


def raise_alert(
    db_session: Session,
    *,
    now: datetime,
    patient_name: str,
    desk_alert_id: str | None = None,
    **fields: object,
) -> AlertLifecycleRow:
    """Record a fired rule once per (response, rule) and queue its doctor messages in this transaction."""
    existing = find(db_session, str(fields["response_id"]), str(fields["rule_code"]))
    if existing is not None:
        if desk_alert_id and existing.desk_alert_id is None:
            existing.desk_alert_id = desk_alert_id
        return existing
    cfg = notify_config.load(db_session)
    alert = AlertLifecycleRow(
        id=str(uuid.uuid4()),
        desk_alert_id=desk_alert_id,
        status=RAISED,
        escalation_level=0,
        raised_at=now,
        next_escalation_at=now + timedelta(minutes=cfg.policy.ack_minutes),
        **fields,
    )
    db_session.add(alert)
    db_session.info[_PENDING_KEY][(alert.response_id, alert.rule_code)] = alert
    log_event(
        db_session, alert.id, RAISED, alert.raised_by, now, f"{alert.rule_code} {alert.item}={alert.value}"
    )
    queue_alert_messages(db_session, alert=alert, patient_name=patient_name, cfg=cfg, now=now)
    return alert


def clear_pending(db_session: Session) -> None:
    db_session.info.pop(_PENDING_KEY, None)


def _in_scope(user: User, ward_code: str) -> bool:
    return user.role is Role.ADMIN or ward_code in user.wards


def list_open(*, db_session: Session, user: User, ward: str | None = None) -> list[AlertLifecycleRow]:
    """Open and acknowledged-but-not-closed alerts of the caller's wards, oldest first."""
    query = select(AlertLifecycleRow).where(AlertLifecycleRow.status.in_((*OPEN_STATES, ACKNOWLEDGED)))
    if user.role is not Role.ADMIN:
        query = query.where(AlertLifecycleRow.ward_code.in_(user.wards or ("",)))
    if ward:
        query = query.where(AlertLifecycleRow.ward_code == ward)
    return list(db_session.scalars(query.order_by(AlertLifecycleRow.raised_at, AlertLifecycleRow.id)).all())


def _load_for_change(db_session: Session, user: User, alert_id: str) -> AlertLifecycleRow:
    alert = db_session.get(AlertLifecycleRow, alert_id, with_for_update=True)
    if alert is None:
        raise not_found("alert")
    if not _in_scope(user, alert.ward_code):
        raise forbidden("this alert belongs to a ward that is not yours")
    return alert


def acknowledge(
    *,
    db_session: Session,
    user: User,
    alert_id: str,
    action: AckAction,
    note: str,
    now: datetime,
    device: str = "",
) -> AlertLifecycleRow:
    """Record who acknowledged the alert, what was done, and the time it took."""
    alert = _load_for_change(db_session, user, alert_id)
    if alert.status not in OPEN_STATES:
        raise ServiceError(409, "conflict", f"alert is already {alert.status}")
    if action is AckAction.OTHER and not note.strip():
        raise ServiceError(422, "invalid_request", "action 'other' needs a note")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = ACKNOWLEDGED, user.username, now
    alert.action, alert.note = action.value, note
    alert.ack_seconds = (now - alert.raised_at).total_seconds()
    alert.next_escalation_at = None
    log_event(db_session, alert.id, ACKNOWLEDGED, user.username, now, f"{action.value}: {note}")
    audit_service.record(
        db_session=db_session,
        actor=user.username,
        action=AuditAction.UPDATE,
        entity="alert",
        entity_ids=[alert.id],
        device=device,
        at=now,
        detail=f"alert acknowledged ({action.value})",
    )
    return alert


def close(
    *, db_session: Session, user: User, alert_id: str, note: str, now: datetime, device: str = ""
) -> AlertLifecycleRow:
    """Close an acknowledged alert."""
    alert = _load_for_change(db_session, user, alert_id)
    if alert.status != ACKNOWLEDGED:
        raise ServiceError(
            409, "conflict", f"only an acknowledged alert can be closed (it is {alert.status})"
        )
    alert.status, alert.closed_by, alert.closed_at = CLOSED, user.username, now
    log_event(db_session, alert.id, CLOSED, user.username, now, note)
    audit_service.record(
        db_session=db_session,
        actor=user.username,
        action=AuditAction.UPDATE,
        entity="alert",
        entity_ids=[alert.id],
        device=device,
        at=now,
        detail="alert closed",
    )
    return alert


def events_of(*, db_session: Session, alert_id: str) -> list[AlertEventRow]:
    return list(
        db_session.scalars(
            select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by(AlertEventRow.at)
        ).all()
    )


def mark_notified(db_session: Session, *, alert_id: str, now: datetime, detail: str) -> None:
    """A doctor message of a raised alert was delivered."""
    alert = db_session.get(AlertLifecycleRow, alert_id)
    if alert is not None and alert.status == RAISED:
        alert.status, alert.notified_at = NOTIFIED, now
        log_event(db_session, alert.id, NOTIFIED, "notify-worker", now, detail)


def escalate_due(database: Database, *, now: datetime, limit: int = 100) -> int:
    """Escalate every unacknowledged alert whose time ran out (one level per call); returns how many."""

    def work(db_session: Session) -> int:
        cfg = notify_config.load(db_session)
        query = (
            select(AlertLifecycleRow)
            .where(
                AlertLifecycleRow.status.in_(OPEN_STATES),
                AlertLifecycleRow.escalation_level < MAX_LEVEL,
                AlertLifecycleRow.next_escalation_at <= now,
            )
            .order_by(AlertLifecycleRow.next_escalation_at)
            .limit(limit)
        )
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        alerts = db_session.scalars(query).all()
        for alert in alerts:
            waited = (now - alert.raised_at).total_seconds() / 60
            alert.escalation_level += 1
            alert.status, alert.escalated_at = ESCALATED, now
            more = alert.escalation_level < MAX_LEVEL
            alert.next_escalation_at = now + timedelta(minutes=cfg.policy.escalate_minutes) if more else None
            who = "manager" if alert.escalation_level == 1 else "duty_doctor"
            log_event(
                db_session,
                alert.id,
                ESCALATED,
                "notify-worker",
                now,
                f"level {alert.escalation_level}: {who}",
            )
            patient = db_session.get(PatientRow, alert.patient_id)
            name = str((patient.payload or {}).get("name", "")) if patient else ""
            queue_alert_messages(
                db_session, alert=alert, patient_name=name, cfg=cfg, now=now, minutes=round(waited)
            )
        return len(alerts)

    return database.run_write(work)


def require_visible(*, db_session: Session, user: User, alert_id: str) -> AlertLifecycleRow:
    alert = db_session.get(AlertLifecycleRow, alert_id)
    if alert is None:
        raise not_found("alert")
    if not _in_scope(user, alert.ward_code):
        raise forbidden("this alert belongs to a ward that is not yours")
    return alert
