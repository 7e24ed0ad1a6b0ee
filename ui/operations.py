"""Work off the GUI thread, with callbacks back on it (after Anki's ``CollectionOp`` and ``taskman``).

All cache work goes through one single-thread pool (SQLite likes one writer),
network work through another small pool, so a slow server never queues
behind a worklist refresh. Callbacks always run on the GUI thread: workers
never touch widgets.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_pools: dict[str, QThreadPool] = {}
_POOL_SIZES = {"db": 1, "network": 2, "model": 1}
_live: set[Operation] = set()  # keeps operations alive until their callbacks have run


def pool(name: str) -> QThreadPool:
    if name not in _pools:
        thread_pool = QThreadPool()
        thread_pool.setMaxThreadCount(_POOL_SIZES[name])
        _pools[name] = thread_pool
    return _pools[name]


def wait_for_all(timeout_ms: int = 10_000) -> None:
    """Block until every queued operation has finished (shutdown and tests)."""
    for thread_pool in _pools.values():
        thread_pool.waitForDone(timeout_ms)


class _Relay(QObject):
    sig_done = Signal(object)
    sig_failed = Signal(object, str)


class _Job(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.func = func
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.func()
        except Exception as error:  # reported to the GUI thread, never swallowed
            self.relay.sig_failed.emit(error, traceback.format_exc())
        else:
            self.relay.sig_done.emit(result)


class Operation:
    """``Operation(func).success(cb).failure(cb).run_in("db")``; default failure: log + ``on_error``."""

    on_error: Callable[[Exception], None] | None = None  # the app installs a message box here

    def __init__(self, func: Callable[[], Any]) -> None:
        self.func = func
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[Exception], None] | None = None
        self._relay = _Relay()
        self._relay.sig_done.connect(self._done)
        self._relay.sig_failed.connect(self._failed)

    def success(self, callback: Callable[[Any], None]) -> Operation:
        self._success = callback
        return self

    def failure(self, callback: Callable[[Exception], None]) -> Operation:
        self._failure = callback
        return self

    def run_in(self, pool_name: str = "db") -> Operation:
        _live.add(self)
        pool(pool_name).start(_Job(self.func, self._relay))
        return self

    @Slot(object)
    def _done(self, result: Any) -> None:
        _live.discard(self)
        if self._success is not None:
            self._success(result)

    @Slot(object, str)
    def _failed(self, error: Exception, trace: str) -> None:
        _live.discard(self)
        if self._failure is not None:
            self._failure(error)
            return
        log.error("background operation failed: %s", trace)
        if Operation.on_error is not None:
            Operation.on_error(error)


def run_task(func: Callable[[], Any], on_done: Callable[[Any], None], pool_name: str = "db") -> Operation:
    """The one-line form: run ``func`` off the GUI thread, then ``on_done(result)`` on it."""
    return Operation(func).success(on_done).run_in(pool_name)
