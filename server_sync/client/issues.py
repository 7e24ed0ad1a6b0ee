"""Sync issues: mutations the service rejected or flagged as conflicts, kept locally for the UI panel.

The service keeps every issue (with the mutation's payload), so nothing a nurse
recorded is ever dropped silently; this PC keeps the last fetched list in
``sync_state`` (``sync_issues``) so the panel works offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server_sync.client import state
from server_sync.client.auth import Authenticator


@dataclass(frozen=True, slots=True)
class LocalIssue:
    mutation_id: str
    seq: int
    entity: str
    entity_id: str
    kind: str  # rejected | conflict
    reason: str
    created_at: str  # service time, ISO 8601


def fetch_issues(auth: Authenticator, sessions: Callable[[], Session], client_id: str) -> list[LocalIssue]:
    """Download this client's issues and keep them locally (replacing the previous list)."""
    body = auth.request("GET", "/sync/issues", params={"client_id": client_id}).body
    items = [
        {k: issue[k] for k in ("mutation_id", "seq", "entity", "entity_id", "kind", "reason", "created_at")}
        for issue in body["issues"]
    ]
    with sessions() as session, session.begin():
        state.set_json(session, state.ISSUES, items)
    return [LocalIssue(**item) for item in items]


def local_issues(session: Session) -> list[LocalIssue]:
    """The issues as last fetched (empty before the first fetch)."""
    return [LocalIssue(**item) for item in state.get_json(session, state.ISSUES) or []]
