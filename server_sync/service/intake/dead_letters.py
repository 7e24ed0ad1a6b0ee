"""Dead letters: every input that could not be applied, with its raw bytes, reason and time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.core.errors import not_found
from server_sync.service.intake.models import DeadLetterRow


def store(
    *,
    db_session: Session,
    source: str,
    content_type: str,
    raw: bytes,
    reason: str,
    now: datetime,
    source_ref: str = "",
    control_id: str | None = None,
    detail: dict[str, Any] | None = None,
    max_bytes: int | None = None,
) -> str:
    """Keep an input that failed; returns the dead letter's id."""
    size = len(raw)
    kept = raw if max_bytes is None or size <= max_bytes else raw[:max_bytes]
    row = DeadLetterRow(
        id=str(uuid.uuid4()),
        source=source,
        content_type=content_type,
        source_ref=source_ref[:255],
        control_id=control_id[:200] if control_id else None,
        raw=kept,
        size=size,
        reason=reason[:1000],
        detail={**(detail or {}), **({"truncated_to": len(kept)} if len(kept) < size else {})},
        status="open",
        attempts=1,
        received_at=now,
    )
    db_session.add(row)
    return row.id


def get(*, db_session: Session, dead_letter_id: str) -> DeadLetterRow:
    row = db_session.get(DeadLetterRow, dead_letter_id)
    if row is None:
        # Accept a unique prefix: IT types ids from the list by hand.
        rows = db_session.scalars(
            select(DeadLetterRow).where(DeadLetterRow.id.startswith(dead_letter_id)).limit(2)
        ).all()
        if len(rows) != 1 or len(dead_letter_id) < 4:
            raise not_found(f"dead letter {dead_letter_id}")
        row = rows[0]
    return row


def listing(*, db_session: Session, status: str | None = "open", limit: int = 200) -> list[DeadLetterRow]:
    query = select(DeadLetterRow)
    if status:
        query = query.where(DeadLetterRow.status == status)
    return list(db_session.scalars(query.order_by(DeadLetterRow.received_at.desc()).limit(limit)))


def summary(row: DeadLetterRow, *, with_raw: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row.id,
        "source": row.source,
        "content_type": row.content_type,
        "source_ref": row.source_ref,
        "control_id": row.control_id,
        "size": row.size,
        "reason": row.reason,
        "detail": row.detail,
        "status": row.status,
        "attempts": row.attempts,
        "received_at": row.received_at.isoformat(),
        "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None,
    }
    if with_raw:
        item["raw"] = row.raw.decode("utf-8", errors="replace")
    return item
