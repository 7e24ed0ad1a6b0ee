"""How far the sync in progress has come, for the status bar while a long sync runs.

A first sync of a large ward takes seconds (tens of thousands of changes): the
nurse should see it moving, not an empty worklist. The push and the pull add
what they have finished; the status is read from another thread, so every
update replaces one immutable snapshot.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class SyncProgress:
    sent: int = 0  # mutations of this sync the service has answered
    received: int = 0  # changes of this sync written to the cache


class ProgressTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = SyncProgress()

    def current(self) -> SyncProgress:
        return self._current

    def restart(self) -> None:
        with self._lock:
            self._current = SyncProgress()

    def add_sent(self, count: int) -> None:
        with self._lock:
            self._current = replace(self._current, sent=self._current.sent + count)

    def add_received(self, count: int) -> None:
        with self._lock:
            self._current = replace(self._current, received=self._current.received + count)
