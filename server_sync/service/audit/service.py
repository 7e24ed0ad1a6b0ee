"""Write and read the audit trail. Events carry ids and actions only, never patient data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nurse_app.domain.model import AuditAction, AuditEvent
from server_sync.service.audit.models import AuditEventRow
from server_sync.service.core.ids import time_ordered_id

_CHUNK = 500


def record(
    *,
    db_session: Session,
    actor: str,
    action: AuditAction,
    entity: str,
    entity_ids: Iterable[str],
    device: str,
    at: datetime,
    detail: str = "",
) -> int:
    """Insert one event per record id (bulk); returns how many."""
    rows = [
        {
            "id": time_ordered_id(),
            "actor": actor,
            "action": action.value,
            "entity": entity,
            "entity_id": entity_id,
            "at": at,
            "device": device[:64],
            "detail": detail[:255],
            "source": "server",
        }
        for entity_id in dict.fromkeys(entity_ids)
    ]
    for start in range(0, len(rows), _CHUNK):
        db_session.execute(insert(AuditEventRow), rows[start : start + _CHUNK])
    return len(rows)


def events_for(*, db_session: Session, entity: str, entity_id: str, limit: int = 200) -> list[AuditEvent]:
    """The newest events about one record."""
    rows = db_session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
        .order_by(AuditEventRow.at.desc())
        .limit(limit)
    ).all()
    return [
        AuditEvent(
            actor=row.actor,
            action=AuditAction(row.action),
            entity=row.entity,
            entity_id=row.entity_id,
            at=row.at,
            device=row.device,
            detail=row.detail,
            id=row.id,
        )
        for row in rows
    ]
