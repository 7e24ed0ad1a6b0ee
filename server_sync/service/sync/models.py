"""Sync bookkeeping: the change feed, each client's last applied seq, and sync issues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime


class ChangeRow(Base):
    """One entry of the pull feed. Only the newest entry per record (and ward) is kept."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_ward_code_change_no", "ward_code", "change_no"),
        Index("ix_changes_entity_entity_id", "entity", "entity_id"),
    )

    change_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: admins only
    op: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonText, nullable=True)
    server_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flags: Mapped[str] = mapped_column(String(64), default="")  # comma-separated, e.g. needs_review
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncClientRow(Base):
    """One desktop install: the highest outbox seq whose effect is committed here."""

    __tablename__ = "sync_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_applied_seq: Mapped[int] = mapped_column(BigInteger)
    last_username: Mapped[str] = mapped_column(String(64))
    last_device_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncIssueRow(Base):
    """A rejected or conflicting mutation, kept so it flows back to the desk and is never lost."""

    __tablename__ = "sync_issues"
    __table_args__ = (Index("ix_sync_issues_client_id_created_at", "client_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64), index=True)
    mutation_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonText, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
