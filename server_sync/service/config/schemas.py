"""Request bodies of the administration endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nurse_app.domain.model import Role


class WardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=128)
    zone: str = "Asia/Shanghai"
    calling_hours: dict[str, Any] | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=128)
    role: Role
    wards: list[str] = Field(default_factory=list)
    password: str = Field(min_length=8, max_length=256)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=256)


class VersionedDocument(BaseModel):
    """A scale, call script or plan body: opaque JSON identified by ``code`` (and ``version``)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1)


class WardThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ward_code: str = Field(min_length=1, max_length=32)
    rules: list[dict[str, Any]]
