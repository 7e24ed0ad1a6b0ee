"""Who is working, on which PC, against which cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nurse_app.domain.model import DEFAULT_ZONE, AuditAction, AuditEvent, User, utc_now
from nurse_app.store import outbox
from nurse_app.store.engine import session_factory
from nurse_app.store.repository import CacheRepository


@dataclass
class DeskContext:
    """The logged-in user's working context; ``clock`` is replaceable so tests can move time."""

    engine: Engine
    user: User
    device: str
    zone: str = DEFAULT_ZONE
    clock: Callable[[], datetime] = utc_now
    _sessions: Callable[[], Session] | None = field(default=None, repr=False)

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def unit_of_work(self) -> Iterator[tuple[CacheRepository, Session]]:
        """One transaction: everything written inside commits together or not at all."""
        if self._sessions is None:
            self._sessions = session_factory(self.engine)
        with self._sessions.begin() as session:
            yield CacheRepository(session), session

    def audit(
        self,
        repo: CacheRepository,
        session: Session,
        action: AuditAction,
        entity: str,
        entity_id: str,
        detail: str = "",
    ) -> AuditEvent:
        """Record (and queue for the service) who read or changed which patient record."""
        event = AuditEvent(self.user.username, action, entity, entity_id, self.now(), self.device, detail)
        repo.record_audit(event)
        outbox.enqueue(session, "audit_event", event, now=event.at)
        return event
