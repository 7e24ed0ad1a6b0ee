"""Tables of the alert lifecycle: one row per fired rule of a response, and its timed steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import UtcDateTime


class AlertLifecycleRow(Base):
    """A critical value under follow-up: who was told, who acknowledged it (and did what), when."""

    __tablename__ = "alert_lifecycle"
    __table_args__ = (
        UniqueConstraint("response_id", "rule_code", name="uq_alert_lifecycle_response_id_rule_code"),
        Index("ix_alert_lifecycle_ward_code_status", "ward_code", "status"),
        Index("ix_alert_lifecycle_status_next_escalation_at", "status", "next_escalation_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    desk_alert_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    response_id: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str] = mapped_column(String(32))
    scale_code: Mapped[str] = mapped_column(String(64))
    rule_code: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))  # desk | server (which evaluation fired first)
    status: Mapped[str] = mapped_column(String(16))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    ack_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AlertEventRow(Base):
    """One step of an alert's life (append-only): the audit trail with its time."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_alert_id_at", "alert_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")
