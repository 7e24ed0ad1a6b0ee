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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nurse_app.domain.model import AuditAction, Role, User
from server_sync.service.alerts.models import AlertEventRow, AlertLifecycleRow
from server_sync.service.alerts.notices import queue_alert_messages
from server_sync.service.audit import service as audit_service
from server_sync.service.audit.models import AuditEventRow
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
_DESK_ACKS_KEY = "alerts.desk_acks"  # desk acknowledgements of the push batch in progress
DESK_ACK_NOTE = "acknowledged on the desk"
# Lifecycle order shared by the service's states and the desk's AlertStatus values: a later
# state wins when a desk pushes its copy of an alert (see ``sync.rules._alert``).
LIFECYCLE_RANK = {
    "raised": 0,
    "open": 0,
    "notified": 1,
    "escalated": 1,
    "acknowledged": 2,
    "resolved": 3,
    "closed": 3,
}


class AckAction(StrEnum):
    ADVISED_ED = "advised_ed_visit"
    CONTACTED_DOCTOR = "contacted_doctor"
    SCHEDULED_CLINIC = "scheduled_clinic"
    OTHER = "other"


def log_event(
    db_session: Session, alert_id: str, kind: str, actor: str, at: datetime, detail: str = ""
) -> AlertEventRow:
    event = AlertEventRow(
        id=str(uuid.uuid4()), alert_id=alert_id, kind=kind, actor=actor, at=at, detail=detail
    )
    db_session.add(event)
    return event


def lifecycle_rank(status: str | None) -> int:
    """Position of a service state or a desk AlertStatus value in the lifecycle (unknown: 0)."""
    return LIFECYCLE_RANK.get(str(status or ""), 0)


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
    _acknowledge_row(db_session, alert, by=user.username, action=action, note=note, now=now, device=device)
    return alert


def _acknowledge_row(
    db_session: Session,
    alert: AlertLifecycleRow,
    *,
    by: str,
    action: AckAction,
    note: str,
    now: datetime,
    device: str,
) -> AlertEventRow:
    """The acknowledgement itself (state, time to acknowledge, alert event, audit); returns the event."""
    if alert.status not in OPEN_STATES:
        raise ServiceError(409, "conflict", f"alert is already {alert.status}")
    if action is AckAction.OTHER and not note.strip():
        raise ServiceError(422, "invalid_request", "action 'other' needs a note")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = ACKNOWLEDGED, by, now
    alert.action, alert.note = action.value, note
    # A desk may have acknowledged before its alert reached the service: never a negative time.
    alert.ack_seconds = max(0.0, (now - alert.raised_at).total_seconds())
    alert.next_escalation_at = None
    event = log_event(db_session, alert.id, ACKNOWLEDGED, by, now, f"{action.value}: {note}")
    audit_service.record(
        db_session=db_session,
        actor=by,
        action=AuditAction.UPDATE,
        entity="alert",
        entity_ids=[alert.id],
        device=device,
        at=now,
        detail=_ack_audit_detail(action),
    )
    return event


def _ack_audit_detail(action: AckAction) -> str:
    return f"alert acknowledged ({action.value})"


def acknowledge_from_desk(
    db_session: Session,
    *,
    alert: AlertLifecycleRow,
    batch: object,
    by: str,
    at: datetime,
    device: str,
) -> bool:
    """A desk's pushed acknowledgement of ``alert`` (its lifecycle row): stop the escalation.

    The Alert record carries no action or note, so the acknowledgement is recorded
    as "other: acknowledged on the desk" at once; when the desk's audit event of
    the acknowledgement follows in the same push ``batch`` (the desk queues it
    right after the alert), :func:`refine_desk_ack` puts the real action in.
    Returns False when the alert was no longer open (the first acknowledgement wins).
    """
    if alert.status not in OPEN_STATES:
        return False
    event = _acknowledge_row(
        db_session, alert, by=by, action=AckAction.OTHER, note=DESK_ACK_NOTE, now=at, device=device
    )
    if alert.desk_alert_id:
        # Only this batch's acknowledgements are kept (a session may serve several batches).
        pending = {k: v for k, v in db_session.info.get(_DESK_ACKS_KEY, {}).items() if v[0] is batch}
        pending[alert.desk_alert_id] = (batch, alert, event)
        db_session.info[_DESK_ACKS_KEY] = pending
    return True


def parse_ack_detail(detail: str) -> tuple[AckAction, str] | None:
    """The action and note of a desk audit event's detail ("<action>: <note>" or "<action>")."""
    head, _sep, note = detail.partition(":")
    try:
        action = AckAction(head.strip())
    except ValueError:
        return None
    note = note.strip()
    if action is AckAction.OTHER and not note:
        return None
    return action, note


def refine_desk_ack(
    db_session: Session, *, batch: object, desk_alert_id: str, actor: str, detail: str
) -> bool:
    """Put the action from the desk's audit event into an acknowledgement made earlier in ``batch``."""
    pending = db_session.info.get(_DESK_ACKS_KEY, {})
    entry = pending.get(desk_alert_id)
    if entry is None or entry[0] is not batch:
        return False
    _batch, alert, event = entry
    parsed = parse_ack_detail(detail)
    if parsed is None or actor != alert.acknowledged_by:
        return False
    del pending[desk_alert_id]
    action, note = parsed
    alert.action, alert.note = action.value, note
    event.detail = f"{action.value}: {note}"
    db_session.execute(
        update(AuditEventRow)
        .where(
            AuditEventRow.entity == "alert",
            AuditEventRow.entity_id == alert.id,
            AuditEventRow.source == "server",
            AuditEventRow.detail == _ack_audit_detail(AckAction.OTHER),
        )
        .values(detail=_ack_audit_detail(action))
    )
    return True


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
