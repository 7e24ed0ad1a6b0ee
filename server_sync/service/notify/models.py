"""Tables of the notification outbox, its configuration, patient opt-outs and the SQLite worker lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime

# Message states: pending → sending → sent; retry (waiting for its backoff); dead; skipped (never sent).
PENDING, SENDING, SENT, RETRY, DEAD, SKIPPED = "pending", "sending", "sent", "retry", "dead", "skipped"


class NotifyMessageRow(Base):
    """One message to one recipient on one channel, written in the transaction of its event."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        Index("ix_notify_outbox_idempotency_key", "idempotency_key", unique=True),
        Index("ix_notify_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notify_outbox_patient_id_created_at", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(32))  # alert_raised | alert_escalated | reminder_*
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    alert_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    patient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class NotifyConfigRow(Base):
    """One validated configuration section (channels, templates, contacts, policy); read on every use."""

    __tablename__ = "notify_config"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JsonText)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotifyOptOutRow(Base):
    """A patient who asked for no reminders (kept, with who recorded it and when)."""

    __tablename__ = "notify_optouts"

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")


class NotifyLeaseRow(Base):
    """SQLite only: the one worker allowed to deliver (a lease renewed on every step)."""

    __tablename__ = "notify_worker_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
