"""The audit trail: who read or changed which patient record, when, from which device."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import UtcDateTime


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    device: Mapped[str] = mapped_column(String(64))
    # Never patient data: what happened, e.g. "sync push" or "pull page".
    detail: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(8))  # server | client
