"""Pull: the change feed after a cursor, in change-number order, scoped to the caller's wards."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role, User
from server_sync.protocol import Change, PullResponse
from server_sync.service.core import meta
from server_sync.service.core.counter import feed_bookkeeping
from server_sync.service.core.errors import ServiceError
from server_sync.service.sync.models import ChangeRow

# Statements built once: every desk pulls every minute.
_CHANGES = ChangeRow.__table__
_PAGE = (
    select(_CHANGES)
    .where(_CHANGES.c.change_no > bindparam("cursor"), _CHANGES.c.change_no <= bindparam("ceiling"))
    .order_by(_CHANGES.c.change_no)
    .limit(bindparam("limit"))
)
_WARD_PAGE = _PAGE.where(_CHANGES.c.ward_code.in_(bindparam("wards", expanding=True)))


def pull(
    *, db_session: Session, user: User, cursor: int, limit: int, epoch: str | None = None
) -> PullResponse:
    """One page of changes with ``change_no > cursor``.

    The committed counter value is read *before* the rows: every change numbered
    at or below it is committed (numbers are taken under a row lock held to
    commit), so ``next_cursor`` never jumps over a transaction still in flight.
    """
    current_epoch, floor, ceiling = feed_bookkeeping(db_session=db_session)
    if epoch and epoch != current_epoch:
        raise ServiceError(
            409, "epoch_changed", "the server was restored: re-push the journal, then pull from 0"
        )
    if cursor > ceiling:
        raise ServiceError(
            410, "cursor_expired", "the cursor is ahead of this server: download everything again"
        )
    if 0 < cursor < floor:
        raise ServiceError(
            410, "cursor_expired", "the cursor is older than the tombstone window: download again"
        )
    params: dict[str, object] = {"cursor": cursor, "ceiling": ceiling, "limit": limit + 1}
    if user.role is Role.ADMIN:
        statement = _PAGE
    else:
        statement, params["wards"] = _WARD_PAGE, list(user.wards or ("",))
    rows = db_session.execute(statement, params).all()
    has_more = len(rows) > limit
    page = rows[:limit]
    changes = [
        Change(
            change_no=row.change_no,
            entity=row.entity,  # type: ignore[arg-type]
            entity_id=row.entity_id,
            op=row.op,  # type: ignore[arg-type]
            payload=row.payload,
            server_version=row.server_version,
            flags=[flag for flag in row.flags.split(",") if flag],
        )
        for row in page
    ]
    next_cursor = page[-1].change_no if has_more else ceiling
    return PullResponse(
        server_epoch=current_epoch, changes=changes, next_cursor=next_cursor, has_more=has_more
    )


def purge_tombstones(*, db_session: Session, now: datetime, window_days: int) -> int:
    """Drop deletion entries older than the window; older cursors then get 410. Returns the count."""
    limit = now - timedelta(days=window_days)
    old = ChangeRow.op == "delete", ChangeRow.changed_at < limit
    highest = db_session.execute(select(func.max(ChangeRow.change_no)).where(*old)).scalar_one()
    if highest is None:
        return 0
    purged = db_session.execute(delete(ChangeRow).where(*old)).rowcount
    floor = max(highest, meta.min_valid_cursor(db_session=db_session))
    meta.set_value(db_session=db_session, key=meta.MIN_VALID_CURSOR_KEY, value=str(floor))
    return purged
