"""The sync outbox: every local change is queued here in the same transaction that makes it.

DESIGN "Sync": each install has a persistent ``client_id``; each outbox row an
increasing ``seq`` (SQLite AUTOINCREMENT, never reused) and a ``mutation_id``.
Acknowledged rows are kept 30 days so a server restored from backup can be
re-sent what it lost.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from nurse_app.domain.codec import entity_to_payload
from nurse_app.store.models import OutboxRow, SyncStateRow

ACK_RETENTION = timedelta(days=30)
_IN_CHUNK = 500  # bound values per IN list (old SQLite builds allow 999 per statement)
CLIENT_ID_KEY = "client_id"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    mutation_id: str
    entity: str
    entity_id: str
    op: str
    payload: dict
    created_at: datetime
    acked_at: datetime | None
    # The payload's JSON as stored: what a push sends, so that it is not encoded a second time and
    # goes out exactly as written (orjson would read integers beyond 64 bits back as floats).
    payload_json: str = ""


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    oldest_pending_at: datetime | None


def get_state(session: Session, key: str) -> str | None:
    row = session.get(SyncStateRow, key)
    return None if row is None else row.value


def set_state(session: Session, key: str, value: str) -> None:
    session.merge(SyncStateRow(key=key, value=value))


def client_id(session: Session) -> str:
    """This install's persistent client id, made on first use."""
    value = get_state(session, CLIENT_ID_KEY)
    if value is None:
        value = str(uuid.uuid4())
        set_state(session, CLIENT_ID_KEY, value)
    return value


def enqueue(session: Session, entity: str, record: Any, *, now: datetime, op: str = "upsert") -> int:
    """Queue ``record`` (a synced domain dataclass; all of them carry an ``id``) for push.

    Runs in the caller's transaction, so the change and its outbox row commit
    (or vanish) together. Returns the assigned ``seq``.
    """
    payload = entity_to_payload(record)
    row = OutboxRow(
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        entity_id=record.id,
        op=op,
        payload_json=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.seq


# Entries are read with Core as plain column tuples (no ORM instances, identity map or loading
# machinery: a push reads thousands of them and never changes them through the ORM).
_OUTBOX = OutboxRow.__table__
_ENTRY_COLUMNS = tuple(
    _OUTBOX.c[name]
    for name in ("seq", "mutation_id", "entity", "entity_id", "op", "payload_json", "created_at", "acked_at")
)
_PENDING_COLUMNS = _ENTRY_COLUMNS[:-1]  # acked_at is NULL for every pending entry: not read back


def _without_index(column: Any) -> Any:
    """``+column``: SQLite's way to keep a term from choosing an index.

    Without table statistics the planner would answer ``pending_among`` through the acked_at
    index, reading every pending entry after ``after_seq`` instead of the few of the keys asked.
    """
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


# A push runs these once per batch, and building a statement costs more than running it on a
# small batch: they are built once, with parameters.
_PENDING_AFTER = (
    select(*_PENDING_COLUMNS)
    .where(_OUTBOX.c.acked_at.is_(None), _OUTBOX.c.seq > bindparam("after_seq"))
    .order_by(_OUTBOX.c.seq)
    .limit(bindparam("max_count"))
)
_ACK_RANGE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.seq.between(bindparam("first"), bindparam("last")), _OUTBOX.c.acked_at.is_(None))
    .values(acked_at=bindparam("at"))
)
_ACK_LIST = (
    update(_OUTBOX)
    .where(_OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)), _OUTBOX.c.acked_at.is_(None))
    .values(acked_at=bindparam("at"))
)
_WAITING_AMONG = (
    select(_OUTBOX.c.entity_id)
    .where(
        _OUTBOX.c.entity == bindparam("entity"),
        _OUTBOX.c.entity_id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.seq > bindparam("after_seq"),
        _without_index(_OUTBOX.c.acked_at).is_(None),
    )
    .distinct()
)


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN, Infinity: what json.dumps may write
        # (Integers beyond 64 bits orjson does not refuse: it reads them as floats.)
        return json.loads(text)


def _entry(row: Any) -> OutboxEntry:
    seq, mutation_id, entity, entity_id, op, payload_json, created_at, acked_at = row
    payload = _loads(payload_json)
    return OutboxEntry(seq, mutation_id, entity, entity_id, op, payload, created_at, acked_at, payload_json)


def pending_batch(
    session: Session,
    *,
    max_count: int = 200,
    max_bytes: int = 512_000,
    after_seq: int = 0,
    one_edit_of: frozenset[str] = frozenset(),
) -> list[OutboxEntry]:
    """The oldest unacknowledged entries after ``after_seq`` in seq order, bounded in count and bytes.

    With ``one_edit_of`` the batch also ends before a second entry of the same record of those
    entities (a push must learn the version the first produced before it can send the second):
    rows past that point are neither fetched nor decoded, though a batch may then hold only a few.
    """
    rows = session.connection().execute(_PENDING_AFTER, {"after_seq": after_seq, "max_count": max_count})
    batch: list[OutboxEntry] = []
    size = 0
    edited: set[tuple[str, str]] = set()
    for seq, mutation_id, entity, entity_id, op, text, created_at in rows:
        size += len(text) if text.isascii() else len(text.encode())
        if batch and size > max_bytes:
            break
        if entity in one_edit_of:
            if (entity, entity_id) in edited:
                break
            edited.add((entity, entity_id))
        batch.append(
            OutboxEntry(seq, mutation_id, entity, entity_id, op, _loads(text), created_at, None, text)
        )
    rows.close()  # stopped early: let SQLite drop the rest of the statement now
    return batch


def journal_since(session: Session, *, after_seq: int, limit: int = 200) -> list[OutboxEntry]:
    """Entries (acknowledged or not) after ``after_seq``: re-pushed when the server epoch changes."""
    rows = session.connection().execute(
        select(*_ENTRY_COLUMNS).where(_OUTBOX.c.seq > after_seq).order_by(_OUTBOX.c.seq).limit(limit)
    )
    return [_entry(row) for row in rows]


def acknowledge(session: Session, seqs: list[int], *, at: datetime) -> None:
    """Mark ``seqs`` acknowledged (those not already), a contiguous run as one range update."""
    if not seqs:
        return
    ordered = sorted(set(seqs))
    # Core statements on the session's connection: the ORM's UPDATE would fetch every changed row
    # back (RETURNING) to refresh loaded instances, and a push loads none.
    if ordered[-1] - ordered[0] + 1 == len(ordered):
        # A push answer acknowledges a whole batch: one range instead of hundreds of bound values.
        session.connection().execute(_ACK_RANGE, {"first": ordered[0], "last": ordered[-1], "at": at})
    else:
        for start in range(0, len(ordered), _IN_CHUNK):
            session.connection().execute(_ACK_LIST, {"seqs": ordered[start : start + _IN_CHUNK], "at": at})


def stats(session: Session) -> OutboxStats:
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxRow.created_at)).where(OutboxRow.acked_at.is_(None))
    ).one()
    return OutboxStats(int(count), oldest)


def has_pending(session: Session, entity: str, entity_id: str) -> bool:
    """True while a local change of this record waits for push: a pull must not overwrite it."""
    return (
        session.scalar(
            select(OutboxRow.seq)
            .where(OutboxRow.entity == entity, OutboxRow.entity_id == entity_id, OutboxRow.acked_at.is_(None))
            .limit(1)
        )
        is not None
    )


def purge_acknowledged(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(OutboxRow).where(OutboxRow.acked_at < now - ACK_RETENTION))
    return result.rowcount or 0


def pending_keys(session: Session) -> set[tuple[str, str]]:
    """Every (entity, entity_id) with a change waiting for push: ``has_pending`` for a whole pull page."""
    rows = session.execute(
        select(OutboxRow.entity, OutboxRow.entity_id).where(OutboxRow.acked_at.is_(None)).distinct()
    )
    return {(entity, entity_id) for entity, entity_id in rows}


def pending_among(
    session: Session, keys: Iterable[tuple[str, str]], *, after_seq: int = 0
) -> set[tuple[str, str]]:
    """The ``keys`` (entity, entity_id) that still have a change after ``after_seq`` waiting for push.

    ``pending_keys`` restricted to the records asked about, looked up through the
    (entity, entity_id) index, whose entries end with the seq: the cost follows the keys and their
    entries after ``after_seq``, not the length of the outbox or of a record's history.
    """
    by_entity: dict[str, list[str]] = {}
    for entity, entity_id in keys:
        by_entity.setdefault(entity, []).append(entity_id)
    found: set[tuple[str, str]] = set()
    for entity, ids in by_entity.items():
        unique = sorted(set(ids))
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = {"entity": entity, "ids": unique[start : start + _IN_CHUNK], "after_seq": after_seq}
            rows = session.connection().execute(_WAITING_AMONG, chunk)
            found.update((entity, entity_id) for (entity_id,) in rows)
    return found


def has_pending_any(session: Session) -> bool:
    """True while anything waits for push."""
    return session.scalar(select(OutboxRow.seq).where(OutboxRow.acked_at.is_(None)).limit(1)) is not None
