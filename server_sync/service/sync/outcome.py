"""What applying one mutation did, before it becomes a protocol ``MutationResult``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # applied | duplicate | conflict | rejected
    reason: str | None = None
    server_version: int | None = None


def applied(version: int, reason: str | None = None) -> Outcome:
    return Outcome("applied", reason, version)


def conflict(reason: str, version: int | None) -> Outcome:
    return Outcome("conflict", reason, version)
