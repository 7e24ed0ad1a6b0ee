"""Where the status bar gets sync state: a protocol the sync client's SyncService will implement.

:class:`LocalSyncStatus` only reads the outbox, so the desk shows honest
numbers (pending changes, the oldest one's age) before any server is set up.
Both methods are called off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from nurse_app.domain.model import utc_now
from nurse_app.store import outbox
from nurse_app.store.engine import session_factory
from server_sync.client.progress import SyncProgress
from ui.i18n import _


@dataclass(frozen=True, slots=True)
class SyncIssue:
    """A change the server rejected (it never blocks the queue; the nurse or IT resolves it)."""

    entity: str
    entity_id: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    pending: int
    oldest_pending_age: timedelta | None
    last_success: datetime | None
    last_error: str | None
    online: bool
    issues: tuple[SyncIssue, ...] = field(default_factory=tuple)
    # While a sync runs: what it has sent and received so far (a first sync can take a while).
    progress: SyncProgress | None = None


@dataclass(frozen=True, slots=True)
class SyncResult:
    ok: bool
    message: str  # shown as is (the sync client reports in the user's language or in plain terms)
    pushed: int = 0
    pulled: int = 0


class SyncStatusSource(Protocol):
    def status(self) -> SyncStatus: ...

    def sync_now(self) -> SyncResult: ...


class LocalSyncStatus:
    """Reads the outbox of the local cache; there is no server to talk to (yet)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self._sessions = session_factory(engine)
        self._clock = clock

    def status(self) -> SyncStatus:
        with self._sessions() as session:
            stats = outbox.stats(session)
        age = None if stats.oldest_pending_at is None else self._clock() - stats.oldest_pending_at
        return SyncStatus(stats.pending, age, None, None, online=False)

    def sync_now(self) -> SyncResult:
        return SyncResult(False, _("No sync server is configured on this PC yet"))
