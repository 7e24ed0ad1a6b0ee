"""HTTP routes of sync: push, pull, sync issues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from nurse_app.domain.model import AuditAction, Role, utc_now
from server_sync.protocol import PullResponse, PushRequest, PushResponse, SyncIssue, SyncIssueList
from server_sync.service.audit import service as audit_service
from server_sync.service.core import meta
from server_sync.service.core.deps import CurrentUser, DatabaseDep, SessionDep, SettingsDep
from server_sync.service.core.errors import ServiceError
from server_sync.service.sync import pull as pull_service
from server_sync.service.sync import push as push_service
from server_sync.service.sync.models import SyncIssueRow

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse)
def push(
    body: PushRequest, request: Request, principal: CurrentUser, database: DatabaseDep, settings: SettingsDep
):
    """Apply an outbox batch; see ``PushResponse`` for per-mutation results. 409 ``seq_gap`` on a hole."""
    size = int(request.headers.get("content-length") or 0)
    if size > settings.max_push_bytes:
        raise ServiceError(
            413, "payload_too_large", f"a push may carry at most {settings.max_push_bytes} bytes"
        )
    answer = push_service.push(database=database, principal=principal, request=body, now=utc_now())
    # Already a validated PushResponse: serialise it once (FastAPI would dump and re-validate it).
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/pull", response_model=PullResponse)
def pull(
    principal: CurrentUser,
    database: DatabaseDep,
    db_session: SessionDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int | None, Query(ge=1)] = None,
    epoch: str | None = None,
):
    """Changes after ``cursor`` in the caller's wards; 410 ``cursor_expired``, 409 ``epoch_changed``."""
    page_size = min(limit or settings.pull_default_limit, settings.pull_max_limit)
    page = pull_service.pull(
        db_session=db_session, user=principal.user, cursor=cursor, limit=page_size, epoch=epoch
    )
    db_session.rollback()  # end the read snapshot before the audit write
    patient_ids = [c.entity_id for c in page.changes if c.entity == "patient" and c.op == "upsert"]
    if patient_ids:
        now = utc_now()
        database.run_write(
            lambda s: audit_service.record(
                db_session=s,
                actor=principal.user.username,
                action=AuditAction.READ,
                entity="patient",
                entity_ids=patient_ids,
                device=principal.device_id,
                at=now,
                detail="sync pull",
            )
        )
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/issues", response_model=SyncIssueList)
def issues(
    principal: CurrentUser, db_session: SessionDep, client_id: str | None = None, limit: int = 500
) -> SyncIssueList:
    """Rejected and conflicting mutations of this client (and, for non-admins, this user)."""
    query = select(SyncIssueRow)
    if client_id is not None:
        query = query.where(SyncIssueRow.client_id == client_id)
    if principal.user.role is not Role.ADMIN:
        query = query.where(SyncIssueRow.username == principal.user.username)
    rows = db_session.scalars(
        query.order_by(SyncIssueRow.created_at, SyncIssueRow.seq).limit(min(limit, 2000))
    )
    items = [
        SyncIssue(
            id=row.id,
            client_id=row.client_id,
            username=row.username,
            mutation_id=row.mutation_id,
            seq=row.seq,
            entity=row.entity,
            entity_id=row.entity_id,
            kind=row.kind,  # type: ignore[arg-type]
            reason=row.reason,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return SyncIssueList(server_epoch=meta.server_epoch(db_session=db_session), issues=items)
