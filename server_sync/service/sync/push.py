"""Push: apply a client's outbox batch exactly once, in seq order, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server_sync.protocol import MutationResult, PushRequest, PushResponse
from server_sync.service.auth.service import Principal
from server_sync.service.core import meta
from server_sync.service.core.db import Database
from server_sync.service.core.errors import ServiceError
from server_sync.service.core.protocol_header import protocol_skew
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.models import SyncClientRow
from server_sync.service.sync.rules import apply_mutation


def push(*, database: Database, principal: Principal, request: PushRequest, now: datetime) -> PushResponse:
    """Apply ``request`` (retrying deadlocks) and answer with per-mutation results."""
    skew = protocol_skew(request.protocol_version)
    if skew is not None:
        raise ServiceError(426, skew.code, skew.message)
    return database.run_write(
        lambda s: apply_push(db_session=s, principal=principal, request=request, now=now)
    )


def ensure_client(*, db_session: Session, client_id: str, principal: Principal, now: datetime) -> None:
    """Register a client install on its first push (a race with itself is harmless)."""
    if db_session.get(SyncClientRow, client_id) is not None:
        return
    try:
        with db_session.begin_nested():
            db_session.add(
                SyncClientRow(
                    client_id=client_id,
                    last_applied_seq=0,
                    last_username=principal.user.username,
                    last_device_id=principal.device_id,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass


def apply_push(
    *, db_session: Session, principal: Principal, request: PushRequest, now: datetime
) -> PushResponse:
    """Apply the batch in the caller's transaction (the caller commits).

    The client's ``last_applied_seq`` is locked first and advanced in this same
    transaction, so a replayed or concurrent copy of the batch waits, then finds
    every seq already applied: each mutation takes effect exactly once.
    """
    locked = select(SyncClientRow).where(SyncClientRow.client_id == request.client_id).with_for_update()
    state = db_session.execute(locked).scalar_one_or_none()
    if state is None:
        # First push of this install: register it in this same transaction, then lock its row.
        ensure_client(db_session=db_session, client_id=request.client_id, principal=principal, now=now)
        state = db_session.execute(locked).scalar_one()
    last = state.last_applied_seq
    pending = [m for m in request.mutations if m.seq > last]
    if pending and pending[0].seq != last + 1:
        raise ServiceError(
            409,
            "seq_gap",
            f"expected seq {last + 1} next but the batch continues at {pending[0].seq}",
            expected_seq=last + 1,
        )
    results = [
        MutationResult(mutation_id=m.mutation_id, seq=m.seq, status="duplicate", reason="already applied")
        for m in request.mutations
        if m.seq <= last
    ]
    ctx = BatchContext(
        db_session=db_session,
        user=principal.user,
        device_id=principal.device_id,
        client_id=request.client_id,
        now=now,
        bulk=True,
    )
    ctx.prefetch_for(pending)
    with db_session.no_autoflush:
        for mutation in pending:
            outcome = apply_mutation(ctx, mutation)
            if outcome.status in ("conflict", "rejected"):
                ctx.issue(mutation=mutation, kind=outcome.status, reason=outcome.reason or "")
            results.append(
                MutationResult(
                    mutation_id=mutation.mutation_id,
                    seq=mutation.seq,
                    status=outcome.status,  # type: ignore[arg-type]
                    reason=outcome.reason,
                    server_version=outcome.server_version,
                )
            )
    if pending:
        state.last_applied_seq = pending[-1].seq
        state.last_username, state.last_device_id = principal.user.username, principal.device_id
        state.updated_at = now
    ctx.finish()
    return PushResponse(
        server_epoch=meta.server_epoch(db_session=db_session),
        last_applied_seq=state.last_applied_seq,
        results=results,
    )
