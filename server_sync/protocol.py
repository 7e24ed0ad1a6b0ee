"""The sync wire format, shared by the desktop sync client and the central service.

Pydantic v2 models only (no FastAPI, no SQL), so ``server_sync.client`` and
``server_sync.service`` cannot drift apart. Every HTTP request and response
carries the header ``X-Followup-Protocol: <PROTOCOL_VERSION>``; a client below
``MIN_SUPPORTED_PROTOCOL`` gets 426 ``protocol_too_old``, a client newer than
the service gets 426 ``protocol_too_new``.

Record payloads are the dataclass fields of ``nurse_app.domain.model``:
datetimes as ISO 8601 UTC with ``Z``, dates as ``YYYY-MM-DD``, enums as their
values, tuples as lists. ``entity_to_payload`` / ``payload_to_entity`` are the
one encoder both sides use.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nurse_app.domain import model

# The one codec of the outbox and the wire lives in the domain; re-exported for the service.
from nurse_app.domain.codec import (  # noqa: F401
    ENTITY_TYPES,
    PayloadError,
    dataclass_from_payload,
    entity_to_payload,
    format_utc,
    payload_to_entity,
)

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

PROTOCOL_VERSION = 1
MIN_SUPPORTED_PROTOCOL = 1
PROTOCOL_HEADER = "X-Followup-Protocol"
# Desk app versions (PEP 440, ``nurse_app.__version__``): the client sends its own, every answer
# announces the current and the minimum one IT has set (``FOLLOWUP_CLIENT_*_VERSION``); a client
# below the minimum gets 426 ``client_too_old`` on sync, before any data is touched.
CLIENT_VERSION_HEADER = "X-Followup-Client-Version"
CLIENT_CURRENT_HEADER = "X-Followup-Client-Current"
CLIENT_MINIMUM_HEADER = "X-Followup-Client-Minimum"
MAX_MUTATIONS_PER_PUSH = 500

EntityName = Literal[
    "patient", "encounter", "enrollment", "task", "call_attempt", "response", "alert", "audit_event"
]
MutationStatus = Literal["applied", "duplicate", "conflict", "rejected"]
ErrorCode = Literal[
    "protocol_too_old",
    "protocol_too_new",
    "client_too_old",
    "seq_gap",
    "cursor_expired",
    "epoch_changed",
    "invalid_credentials",
    "account_locked",
    "account_disabled",
    "token_expired",
    "token_invalid",
    "forbidden",
    "not_found",
    "conflict",
    "invalid_request",
    "payload_too_large",
    "unavailable",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Reply(BaseModel):
    # Clients ignore fields added by a newer service of the same protocol version.
    model_config = ConfigDict(extra="ignore")


class ErrorBody(_Reply):
    """The JSON body of every 4xx/5xx answer."""

    code: str
    message: str
    expected_seq: int | None = None  # only with seq_gap: the seq the service wants next


# --- authentication -------------------------------------------------------------------------


class LoginRequest(_Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=1, max_length=64)
    device_name: str = Field(default="", max_length=128)


class UserInfo(_Reply):
    username: str
    display_name: str
    role: model.Role
    wards: list[str]


class TokenPair(_Reply):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds until the access token expires
    refresh_expires_in: int


class LoginResponse(TokenPair):
    user: UserInfo
    server_epoch: str


class RefreshRequest(_Request):
    refresh_token: str = Field(min_length=1, max_length=256)


# --- push -----------------------------------------------------------------------------------


class Mutation(_Request):
    """One outbox row: the full new state of one record (or a delete) at a per-client ``seq``."""

    mutation_id: str
    seq: int = Field(ge=1)
    entity: EntityName
    op: Literal["upsert", "delete"] = "upsert"
    entity_id: str = Field(min_length=1, max_length=64)
    base_version: int | None = None  # the server version the client's edit started from
    payload: dict[str, Any] = Field(default_factory=dict)
    client_time: datetime | None = None

    @field_validator("mutation_id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        if _CANONICAL_UUID.fullmatch(value):
            return value  # already what str(uuid.UUID(value)) gives (the usual case: 500 per push)
        return str(uuid.UUID(value))


class PushRequest(_Request):
    client_id: str = Field(min_length=1, max_length=64)
    protocol_version: int = PROTOCOL_VERSION
    mutations: list[Mutation] = Field(max_length=MAX_MUTATIONS_PER_PUSH)

    @model_validator(mode="after")
    def _contiguous(self) -> PushRequest:
        # A batch is a contiguous slice of the outbox; holes inside it are a client bug.
        for before, after in zip(self.mutations, self.mutations[1:], strict=False):
            if after.seq != before.seq + 1:
                raise ValueError(f"mutation seqs must be contiguous: {before.seq} then {after.seq}")
        return self


class MutationResult(_Reply):
    mutation_id: str
    seq: int
    status: MutationStatus
    reason: str | None = None
    server_version: int | None = None


class PushResponse(_Reply):
    server_epoch: str
    last_applied_seq: int
    results: list[MutationResult]


# --- pull -----------------------------------------------------------------------------------


class Change(_Reply):
    change_no: int
    entity: EntityName
    entity_id: str
    op: Literal["upsert", "delete"]
    payload: dict[str, Any] | None = None
    server_version: int | None = None
    flags: list[str] = Field(default_factory=list)  # e.g. "needs_review" on a second completion


class PullResponse(_Reply):
    server_epoch: str
    changes: list[Change]
    next_cursor: int
    has_more: bool


class SyncIssue(_Reply):
    """A mutation that was rejected or conflicted: shown to the nurse, never silently dropped."""

    id: str
    client_id: str
    username: str
    mutation_id: str
    seq: int
    entity: str
    entity_id: str
    kind: Literal["rejected", "conflict"]
    reason: str
    created_at: datetime


class SyncIssueList(_Reply):
    server_epoch: str
    issues: list[SyncIssue]


# --- configuration --------------------------------------------------------------------------

ConfigKind = Literal["ward", "user", "plan", "scale", "script", "thresholds"]


class ConfigDocument(_Reply):
    """One immutable version of a server-authoritative document (a ward, a plan, a scale…)."""

    kind: ConfigKind
    key: str
    version: int
    config_version: int  # position in the server's config feed; pull with ``since=``
    body: dict[str, Any]
    published_at: datetime


class ConfigResponse(_Reply):
    server_epoch: str
    config_version: int
    documents: list[ConfigDocument]


# --- domain dataclass <-> payload dict --------------------------------------------------------


def normalise_payload(entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip a payload through its dataclass so equal records compare equal as dicts."""
    return entity_to_payload(payload_to_entity(entity, payload))
