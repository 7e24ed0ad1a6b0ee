"""Admin routes of notifications: configuration sections, the message list (dead letters), opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from nurse_app.domain.model import utc_now
from server_sync.service.core.deps import AdminUser, CurrentUser, DatabaseDep, SessionDep
from server_sync.service.notify import config, reminders
from server_sync.service.notify.models import NotifyMessageRow
from server_sync.service.records import service as records_service

router = APIRouter(tags=["notify"])


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    idempotency_key: str
    event: str
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OptOutBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""


@router.put("/admin/notify/{section}")
def save_section(
    section: str, body: dict[str, Any], principal: AdminUser, database: DatabaseDep
) -> dict[str, Any]:
    """Validate and store one section (channels, templates, contacts, policy); applies to the next message."""
    now = utc_now()
    version = database.run_write(
        lambda s: config.save_section(
            db_session=s, key=section, body=body, actor=principal.user.username, now=now
        )
    )
    return {"section": section, "version": version}


@router.get("/admin/notify/messages", response_model=list[MessageRead])
def messages(
    principal: AdminUser,
    db_session: SessionDep,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1)] = 200,
) -> list[MessageRead]:
    """Messages by status (``dead`` is the dead-letter list, with the reason in ``last_error``)."""
    query = select(NotifyMessageRow).order_by(NotifyMessageRow.id.desc()).limit(min(limit, 1000))
    if status:
        query = query.where(NotifyMessageRow.status == status)
    return [MessageRead.model_validate(row) for row in db_session.scalars(query).all()]


@router.post("/patients/{patient_id}/reminder-opt-out", status_code=204)
def opt_out(patient_id: str, body: OptOutBody, principal: CurrentUser, database: DatabaseDep) -> None:
    """The patient asked for no reminders: recorded with who took the request."""
    with database.session() as db_session:  # 404 / 403 outside the caller's wards
        records_service.get_record(
            db_session=db_session, user=principal.user, entity="patient", record_id=patient_id
        )
    now = utc_now()
    database.run_write(
        lambda s: reminders.record_opt_out(
            db_session=s, patient_id=patient_id, actor=principal.user.username, now=now, reason=body.reason
        )
    )
