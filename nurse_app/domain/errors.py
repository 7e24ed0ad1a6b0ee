"""Domain errors: every rule violation raises one of these with a readable message."""

from __future__ import annotations


class DomainError(ValueError):
    """A request that breaks a rule of the follow-up domain."""


class InvalidTransition(DomainError):
    """A follow-up task was asked to move to a state its current state does not allow."""

    def __init__(self, entity: str, current: str, target: str, reason: str = "") -> None:
        message = f"{entity}: cannot move from '{current}' to '{target}'"
        if reason:
            message += f" ({reason})"
        super().__init__(message)
        self.current = current
        self.target = target


class InvalidSchedule(DomainError):
    """A plan step or window that cannot produce a sensible task."""


class UnknownOutcome(DomainError):
    """A call outcome code that the domain does not know."""
