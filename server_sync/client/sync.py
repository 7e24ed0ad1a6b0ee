"""``SyncClient``: one PC's conversation with the service — always push, then pull, then config.

Recovery paths, in words:
* service restored from a backup (new ``server_epoch`` in an answer, or 409 on
  pull): ask the service what it has of this PC (empty push → last applied seq),
  re-send the journal after it, then download everything again from cursor 0;
* 409 ``seq_gap`` during push: re-send the journal from the seq the service wants;
* 410 on pull: full re-download that keeps pending changes (``pull``);
* a mutation answered ``conflict``/``rejected``: the service's version of that
  record is fetched so the cache shows what the service kept, and the issue is
  listed in the sync-issues panel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nurse_app.domain.model import utc_now
from nurse_app.security.credentials import CredentialStore
from nurse_app.store.engine import session_factory
from server_sync.client import state
from server_sync.client.apply import ChangeWriter, Held
from server_sync.client.auth import Authenticator
from server_sync.client.config import pull_config
from server_sync.client.errors import EpochChanged, RequestRefused
from server_sync.client.http import HttpTransport, RetryPolicy
from server_sync.client.issues import LocalIssue, fetch_issues
from server_sync.client.progress import ProgressTracker
from server_sync.client.pull import DEFAULT_PAGE_SIZE, Puller
from server_sync.client.push import Fault, Pusher, PushResult
from server_sync.protocol import MAX_MUTATIONS_PER_PUSH, LoginResponse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncReport:
    """The real result of one sync, for "Sync now" and the status bar."""

    ok: bool = True
    pushed: int = 0
    applied: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    pulled: int = 0
    config_documents: int = 0
    issues: int | None = None
    epoch_recovered: bool = False
    redownloaded: bool = False
    server_time: datetime | None = None
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


class SyncClient:
    """The sync client of one cache and one service."""

    def __init__(
        self,
        engine: Engine,
        base_url: str,
        *,
        credentials: CredentialStore | None = None,
        ca_bundle: str | None = None,
        device_name: str = "",
        retry: RetryPolicy | None = None,
        batch_size: int = MAX_MUTATIONS_PER_PUSH,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], datetime] = utc_now,
        fault: Fault | None = None,
    ) -> None:
        self.engine = engine
        self.sessions: Callable[[], Session] = session_factory(engine)
        self.transport = HttpTransport(base_url, ca_bundle=ca_bundle, retry=retry)
        self.auth = Authenticator(self.transport, credentials or CredentialStore(), device_name=device_name)
        # What the sync in progress has sent and received so far (read by the status bar).
        self.progress = ProgressTracker()
        self.pusher = Pusher(
            self.auth, self.sessions, batch_size=batch_size, clock=clock, fault=fault, progress=self.progress
        )
        self.puller = Puller(self.auth, self.sessions, page_size=page_size, progress=self.progress)
        self._issues_fetched = False

    # --- session ---------------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResponse:
        """Log in; a first login on this cache also records the service's epoch."""
        login = self.auth.login(username, password)
        with self.sessions() as session, session.begin():
            if state.get_str(session, state.EPOCH) is None:
                state.set_value(session, state.EPOCH, login.server_epoch)
        return login

    def resume(self, username: str | None = None) -> bool:
        return self.auth.resume(username)

    def logout(self) -> None:
        self.auth.logout()

    def close(self) -> None:
        self.transport.close()

    @property
    def client_id(self) -> str:
        return self.pusher.client_id()

    # --- sync ------------------------------------------------------------------------------------------

    def push(self) -> PushResult:
        """Push the outbox (recovering from a restored service); raises on transport/auth errors."""
        result = self.pusher.push()
        if result.server_epoch is not None and self._epoch_differs(result.server_epoch):
            self.recover_epoch()
        return result

    def sync(self) -> SyncReport:
        """Push, pull, configuration, then what conflicts need. Raises ``SyncError`` subclasses."""
        started = time.monotonic()
        report = SyncReport()
        self.progress.restart()
        pushed = self.push()
        report.pushed, report.applied, report.duplicate = pushed.sent, pushed.applied, pushed.duplicate
        report.conflict, report.rejected = pushed.conflict, pushed.rejected
        # Configuration first: pulled records name wards (foreign keys) that arrive as configuration.
        report.config_documents, epoch = pull_config(self.auth, self.sessions)
        if self._epoch_differs(epoch):
            self.recover_epoch()
            report.epoch_recovered = True
            report.config_documents += pull_config(self.auth, self.sessions)[0]
        try:
            pulled = self.puller.pull()
        except EpochChanged:
            self.recover_epoch()
            report.epoch_recovered = True
            report.config_documents += pull_config(self.auth, self.sessions)[0]
            pulled = self.puller.pull()
        report.pulled, report.redownloaded = pulled.pulled, pulled.redownloaded
        if pushed.refetch:
            self.refetch(pushed.refetch)
        if pushed.conflict or pushed.rejected or not self._issues_fetched:
            report.issues = len(self.issues())
        report.server_time = self.transport.last_server_time
        with self.sessions() as session, session.begin():
            if report.server_time is not None:
                state.set_value(session, state.LAST_SYNC, report.server_time.isoformat())
        report.seconds = time.monotonic() - started
        return report

    def issues(self) -> list[LocalIssue]:
        """Fetch this PC's sync issues from the service and keep them for the panel."""
        found = fetch_issues(self.auth, self.sessions, self.client_id)
        self._issues_fetched = True
        return found

    # --- recovery --------------------------------------------------------------------------------------

    def _epoch_differs(self, epoch: str) -> bool:
        with self.sessions() as session:
            known = state.get_str(session, state.EPOCH)
        return known is not None and known != epoch

    def recover_epoch(self) -> None:
        """The service was restored: re-send what it lacks of this PC, then download everything again."""
        client_id = self.client_id
        last_applied, epoch = self.pusher.last_applied_seq(client_id)
        log.warning(
            "service restored (epoch %s): re-sending this PC's journal after seq %d", epoch, last_applied
        )
        self.pusher.replay(client_id, after_seq=last_applied, until_seq=None, result=PushResult())
        with self.sessions() as session, session.begin():
            # Held changes and remembered versions belong to the lost history; the re-download
            # brings the restored service's current state.
            state.delete_prefix(session, state.HELD)
            state.delete_prefix(session, state.BASE)
            state.set_value(session, state.CURSOR, 0)
            state.set_value(session, state.CONFIG_VERSION, 0)
            state.set_value(session, state.REDOWNLOAD, "1")
            state.set_value(session, state.EPOCH, epoch)

    def refetch(self, keys: list[tuple[str, str]]) -> int:
        """Fetch the service's current version of records it kept against this PC's edit."""
        changes = []
        for entity, entity_id in dict.fromkeys(keys):
            try:
                changes.append(self.auth.request("GET", f"/records/{entity}/{entity_id}").body)
            except RequestRefused:
                continue  # unknown on the service (rejected insert) or no longer in our wards
        if not changes:
            return 0
        with self.sessions() as session, session.begin():
            held = Held.load(session)
            applied = ChangeWriter(session, held).apply(changes)
            held.save(session)
        return applied.upserted + applied.deleted
