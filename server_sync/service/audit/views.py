"""HTTP route for ward managers and administrators to read a record's audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server_sync.protocol import entity_to_payload
from server_sync.service.audit import service
from server_sync.service.core.deps import ManagerUser, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/{entity}/{entity_id}")
def audit_trail(
    entity: str, entity_id: str, principal: ManagerUser, db_session: SessionDep
) -> dict[str, Any]:
    """Who read or changed this record, newest first."""
    events = service.events_for(db_session=db_session, entity=entity, entity_id=entity_id)
    return {"events": [entity_to_payload(event) for event in events]}
