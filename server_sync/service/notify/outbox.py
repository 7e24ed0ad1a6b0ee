"""Writing messages into the notification outbox, in the caller's (the event's) transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.notify.models import PENDING, SKIPPED, NotifyMessageRow


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 李四 → 李*: enough for a doctor to match a chart, not to identify a stranger."""
    if len(name) <= 1:
        return name or "—"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def exists(db_session: Session, key: str) -> bool:
    return (
        db_session.execute(select(NotifyMessageRow.id).where(NotifyMessageRow.idempotency_key == key)).first()
        is not None
    )


def enqueue(
    db_session: Session,
    *,
    key: str,
    event: str,
    channel: str,
    recipient: str,
    body: str,
    now: datetime,
    subject: str = "",
    alert_id: str | None = None,
    patient_id: str | None = None,
    not_before: datetime | None = None,
    skipped_reason: str | None = None,
) -> NotifyMessageRow:
    """Add one message (or a skipped entry with its reason); the caller's commit makes it durable.

    ``key`` is the idempotency key: the same event never yields a second message
    (callers check :func:`exists` when an event may be seen twice).
    """
    row = NotifyMessageRow(
        idempotency_key=key,
        event=event,
        channel=channel,
        recipient=recipient[:200],
        subject=subject[:200],
        body=body,
        alert_id=alert_id,
        patient_id=patient_id,
        status=SKIPPED if skipped_reason else PENDING,
        attempts=0,
        next_attempt_at=not_before or now,
        last_error=skipped_reason,
        created_at=now,
    )
    db_session.add(row)
    return row
