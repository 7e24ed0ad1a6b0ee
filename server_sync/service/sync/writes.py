"""Record writes shared by the sync rules: insert at version 1, three-way merge into a row."""

from __future__ import annotations

from typing import Any

from server_sync.service.records.models import RecordColumns
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.merge import NOT_MERGED, three_way_merge, without_bookkeeping
from server_sync.service.sync.outcome import Outcome, applied, conflict


def new_row(ctx: BatchContext, entity: str, payload: dict[str, Any], ward_code: str | None, **columns: Any):
    """Insert a record at version 1 and queue its change and audit event."""
    if "version" in payload:
        payload = {**payload, "version": 1}
    row = ctx.make_row(
        entity,
        id=payload["id"],
        ward_code=ward_code,
        version=1,
        payload=payload,
        deleted=False,
        updated_at=ctx.now,
        updated_by=ctx.user.username,
        **columns,
    )
    ctx.add_row(entity, row)
    ctx.emit(entity, row)
    ctx.audit("create", entity, row.id)
    return row


def merge_base(ctx: BatchContext, entity: str, row: RecordColumns, base_version: int | None):
    """The payload the client's edit started from; None when unknown (a blind overwrite)."""
    if base_version is None:
        return None
    if base_version >= row.version:
        # Equal: the usual case. Greater: this server lost history (restored from a backup)
        # and the desk's edit is the newest truth, so it merges over the current row.
        return row.payload
    return ctx.history_payload(entity, row.id, base_version)


def merge_into(
    ctx: BatchContext, entity: str, row: RecordColumns, incoming: dict[str, Any], base: dict[str, Any] | None
) -> tuple[bool, tuple[str, ...]]:
    """Three-way merge ``incoming`` into ``row``; returns (changed, clashing fields)."""
    current = row.payload
    if base is None:
        # No known base: any differing field may be an unseen server edit, so the server keeps it.
        clashes = tuple(sorted(k for k, v in incoming.items() if k not in NOT_MERGED and current.get(k) != v))
        merged = dict(current)
    else:
        merged, clashes = three_way_merge(base, current, incoming)
    return replace_payload(ctx, entity, row, merged), clashes


def replace_payload(ctx: BatchContext, entity: str, row: RecordColumns, merged: dict[str, Any]) -> bool:
    """Store ``merged`` as the row's next version if it differs; True when it did."""
    if without_bookkeeping(merged) == without_bookkeeping(row.payload):
        return False
    ctx.remember_version(entity, row)
    row.version += 1
    if "version" in merged:
        merged = {**merged, "version": row.version}
    row.payload = merged
    row.updated_at, row.updated_by = ctx.now, ctx.user.username
    ctx.emit(entity, row)
    ctx.audit("update", entity, row.id)
    return True


def merge_outcome(row: RecordColumns, base_version: int | None, clashes: tuple[str, ...]) -> Outcome:
    if clashes:
        since = f"since version {base_version}" if base_version is not None else "(no base_version sent)"
        return conflict(
            f"changed on the server {since}: {', '.join(clashes)} (server value kept)", row.version
        )
    return applied(row.version)
