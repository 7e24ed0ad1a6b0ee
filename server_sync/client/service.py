"""``SyncService``: the background sync worker of the desk (plain threading, no Qt).

Syncs debounced after local writes (``notify_local_change``), every
``interval`` seconds, soon after the service comes back (offline retries back
off exponentially with jitter; the first that succeeds is the reconnect sync),
and on demand (``sync_now`` returns the real ``SyncReport``). One sync at a
time; always push before pull (``SyncClient.sync``).

The UI polls ``status()`` or registers a listener; listeners are called on the
worker thread, so a Qt UI must hand the report over to its GUI thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from nurse_app.domain.model import utc_now
from nurse_app.store import outbox
from server_sync.client import state
from server_sync.client.errors import ServiceUnavailable, SyncError, TlsUntrusted
from server_sync.client.progress import SyncProgress
from server_sync.client.sync import SyncClient, SyncReport

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
DEFAULT_DEBOUNCE = 2.0
OFFLINE_RETRY_MIN = 5.0
OFFLINE_RETRY_MAX = 300.0


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the status bar shows."""

    pending: int
    oldest_pending_age: timedelta | None
    last_success_at: datetime | None  # the service's clock (Date header), never this PC's
    last_error: str | None
    online: bool | None  # None until the first attempt
    syncing: bool
    # The desk version the service announces, when newer than this app (None: up to date or unknown).
    update_available: str | None = None
    # What the sync in progress has sent and received so far (None when no sync is running).
    progress: SyncProgress | None = None


class SyncService:
    def __init__(
        self,
        client: SyncClient,
        *,
        interval: float = DEFAULT_INTERVAL,
        debounce: float = DEFAULT_DEBOUNCE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.interval = interval
        self.debounce = debounce
        self.clock = clock
        self._cond = threading.Condition()
        self._run_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._change_due: float | None = None
        self._next_periodic = 0.0
        self._demands: list[Future[SyncReport]] = []
        self._offline_failures = 0
        self._online: bool | None = None
        self._last_error: str | None = None
        self._syncing = False
        self._listeners: list[Callable[[SyncReport], None]] = []

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker; the first sync runs at once."""
        if self._thread is not None:
            return
        self._stopping = False
        self._next_periodic = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="followup-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the sync in progress (if any) has finished; nothing is cut mid-batch."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def add_listener(self, callback: Callable[[SyncReport], None]) -> None:
        """``callback(report)`` after every sync, on the worker thread."""
        self._listeners.append(callback)

    # --- triggers ----------------------------------------------------------------------------------------

    def notify_local_change(self) -> None:
        """A desk write committed: sync soon, once the burst of writes has settled."""
        with self._cond:
            self._change_due = time.monotonic() + self.debounce
            self._cond.notify_all()

    def sync_now(self, timeout: float | None = 300.0) -> SyncReport:
        """Sync at once and return the real result (runs inline when the worker is not started)."""
        if self._thread is None:
            return self._sync_once()
        future: Future[SyncReport] = Future()
        with self._cond:
            self._demands.append(future)
            self._cond.notify_all()
        return future.result(timeout)

    # --- status ------------------------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        with self.client.sessions() as session:
            stats = outbox.stats(session)
            last = state.get_str(session, state.LAST_SYNC)
        age = (
            None
            if stats.oldest_pending_at is None
            else max(timedelta(0), self.clock() - stats.oldest_pending_at)
        )
        return SyncStatus(
            pending=stats.pending,
            oldest_pending_age=age,
            last_success_at=None if last is None else datetime.fromisoformat(last),
            last_error=self._last_error,
            online=self._online,
            syncing=self._syncing,
            update_available=self.client.transport.update_available(),
            progress=self.client.progress.current() if self._syncing else None,
        )

    # --- the worker ----------------------------------------------------------------------------------------

    def _due(self) -> float:
        due = self._next_periodic
        if self._change_due is not None:
            due = min(due, self._change_due)
        return due

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._demands and time.monotonic() < self._due():
                    self._cond.wait(timeout=max(0.0, self._due() - time.monotonic()))
                if self._stopping:
                    demands, self._demands = self._demands, []
                    for future in demands:
                        future.set_exception(RuntimeError("sync service stopped"))
                    return
                demands, self._demands = self._demands, []
                self._change_due = None
            report = self._sync_once()
            for future in demands:
                future.set_result(report)
            self._schedule_next()

    def _schedule_next(self) -> None:
        if self._online is False:
            # Offline: probe again soon, backing off so 200 PCs do not hammer a recovering service.
            ceiling = min(OFFLINE_RETRY_MAX, OFFLINE_RETRY_MIN * 2 ** min(self._offline_failures, 10))
            pause = ceiling / 2 + random.uniform(0, ceiling / 2)
        else:
            pause = self.interval
        self._next_periodic = time.monotonic() + pause

    def _sync_once(self) -> SyncReport:
        with self._run_lock:
            self._syncing = True
            try:
                report = self.client.sync()
                self._online, self._last_error, self._offline_failures = True, None, 0
            except (ServiceUnavailable, TlsUntrusted) as error:
                report = SyncReport(ok=False, errors=[str(error)])
                self._online, self._last_error = False, str(error)
                self._offline_failures += 1
            except SyncError as error:
                report = SyncReport(ok=False, errors=[str(error)])
                self._online, self._last_error = True, str(error)
            except Exception as error:
                log.exception("sync failed unexpectedly")
                message = (
                    f"sync failed unexpectedly ({type(error).__name__}); nothing was lost, it will retry"
                )
                report = SyncReport(ok=False, errors=[message])
                self._last_error = message
            finally:
                self._syncing = False
        for listener in self._listeners:
            try:
                listener(report)
            except Exception:
                log.exception("sync listener failed")
        return report
