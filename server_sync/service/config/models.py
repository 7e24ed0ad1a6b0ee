"""Server-authoritative configuration: wards, and immutable versioned documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime


class WardRow(Base):
    """A ward: the unit of data scope (a nurse sees only her wards' records)."""

    __tablename__ = "wards"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(128))
    zone: Mapped[str] = mapped_column(String(64))
    calling_hours: Mapped[dict[str, Any]] = mapped_column(JsonText)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConfigDocumentRow(Base):
    """One version of one document; never updated once written (a change is a new version)."""

    __tablename__ = "config_documents"
    __table_args__ = (Index("ix_config_documents_config_version", "config_version", unique=True),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_version: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[dict[str, Any]] = mapped_column(JsonText)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
