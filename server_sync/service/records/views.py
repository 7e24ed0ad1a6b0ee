"""HTTP route to read one clinical record (audited)."""

from __future__ import annotations

from fastapi import APIRouter

from nurse_app.domain.model import AuditAction, utc_now
from server_sync.protocol import Change
from server_sync.service.audit import service as audit_service
from server_sync.service.core.deps import CurrentUser, DatabaseDep, SessionDep
from server_sync.service.records import service

router = APIRouter(prefix="/records", tags=["records"])


@router.get("/{entity}/{record_id}", response_model=Change)
def read_record(
    entity: str, record_id: str, principal: CurrentUser, database: DatabaseDep, db_session: SessionDep
) -> Change:
    """One record in its wire form (``change_no`` is 0); every read is written to the audit trail."""
    record = service.get_record(
        db_session=db_session, user=principal.user, entity=entity, record_id=record_id
    )
    db_session.rollback()
    now = utc_now()
    database.run_write(
        lambda s: audit_service.record(
            db_session=s,
            actor=principal.user.username,
            action=AuditAction.READ,
            entity=entity,
            entity_ids=[record_id],
            device=principal.device_id,
            at=now,
            detail="record read",
        )
    )
    return record
