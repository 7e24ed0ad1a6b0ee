"""Accounts, ward membership, registered devices and login sessions (refresh tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import UtcDateTime


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserWardRow(Base):
    __tablename__ = "user_wards"

    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"), primary_key=True)


class DeviceRow(Base):
    """A ward PC that has logged in at least once."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    last_username: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuthSessionRow(Base):
    """One login of one user on one device. Only hashes of refresh tokens are stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.device_id"))
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token this one replaced: presenting it again means it was stolen → revoke the session.
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    refresh_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
