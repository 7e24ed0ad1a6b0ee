"""HTTP routes of the alert lifecycle: open alerts of my wards, acknowledge, close, history."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from nurse_app.domain.model import utc_now
from server_sync.service.alerts import service
from server_sync.service.alerts.models import AlertLifecycleRow
from server_sync.service.core.deps import CurrentUser, DatabaseDep, SessionDep

router = APIRouter(prefix="/alerts", tags=["alerts"])


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    desk_alert_id: str | None
    response_id: str
    task_id: str
    patient_id: str
    ward_code: str
    scale_code: str
    rule_code: str
    item: str
    value: str
    threshold: str
    severity: str
    message: str
    raised_by: str
    status: str
    escalation_level: int
    raised_at: datetime
    notified_at: datetime | None
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    action: str | None
    note: str | None
    ack_seconds: float | None
    closed_at: datetime | None


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: service.AckAction
    note: str = Field(default="", max_length=2000)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    actor: str
    at: datetime
    detail: str


def _read(row: AlertLifecycleRow) -> AlertRead:
    return AlertRead.model_validate(row)


@router.get("", response_model=list[AlertRead])
def list_open(principal: CurrentUser, db_session: SessionDep, ward: str | None = None) -> list[AlertRead]:
    """Alerts of the caller's wards that are not closed yet, oldest first."""
    return [_read(row) for row in service.list_open(db_session=db_session, user=principal.user, ward=ward)]


@router.post("/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge(
    alert_id: str, body: AcknowledgeBody, principal: CurrentUser, database: DatabaseDep
) -> AlertRead:
    """Who acknowledged and what was done (advised ED visit, contacted doctor, scheduled clinic, other)."""
    now = utc_now()
    return database.run_write(
        lambda s: _read(
            service.acknowledge(
                db_session=s,
                user=principal.user,
                alert_id=alert_id,
                action=body.action,
                note=body.note,
                now=now,
                device=principal.device_id,
            )
        )
    )


@router.post("/{alert_id}/close", response_model=AlertRead)
def close(alert_id: str, body: CloseBody, principal: CurrentUser, database: DatabaseDep) -> AlertRead:
    now = utc_now()
    return database.run_write(
        lambda s: _read(
            service.close(
                db_session=s,
                user=principal.user,
                alert_id=alert_id,
                note=body.note,
                now=now,
                device=principal.device_id,
            )
        )
    )


@router.get("/{alert_id}/events", response_model=list[EventRead])
def events(alert_id: str, principal: CurrentUser, db_session: SessionDep) -> list[EventRead]:
    """The audited, timed steps of one alert."""
    service.require_visible(db_session=db_session, user=principal.user, alert_id=alert_id)
    return [EventRead.model_validate(e) for e in service.events_of(db_session=db_session, alert_id=alert_id)]
