"""Busy indicator: shown only when background work takes longer than a second.

Short operations (most worklist loads take milliseconds) never flash a
spinner; anything slower shows an indeterminate progress bar until it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from ui.operations import Operation

SHOW_AFTER_MS = 1000


def while_alive(owner: QObject, callback: Callable[..., None]) -> Callable[..., None]:
    """``callback``, skipped once ``owner`` is deleted: results can outlive a closed dialog or panel."""

    def guarded(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return guarded


class BusyTracker(QObject):
    sig_busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running = 0
        self._shown = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SHOW_AFTER_MS)
        self._timer.timeout.connect(self._show)

    @property
    def running(self) -> int:
        return self._running

    def run(
        self,
        func: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        pool: str = "db",
        *,
        owner: QObject | None = None,
    ) -> Operation:
        """``Operation(func)`` on ``pool``, counted while it runs; callbacks skipped once ``owner`` dies."""
        if owner is not None:
            on_done = while_alive(owner, on_done)
            if on_error is not None:
                on_error = while_alive(owner, on_error)
        self._running += 1
        if self._running == 1:
            self._timer.start()

        def finished(result: Any) -> None:
            self._finish()
            on_done(result)

        def failed(error: Exception) -> None:
            self._finish()
            if on_error is not None:
                on_error(error)
            elif Operation.on_error is not None:
                Operation.on_error(error)

        return Operation(func).success(finished).failure(failed).run_in(pool)

    def _finish(self) -> None:
        if not shiboken6.isValid(self):  # the window closed while work was still running
            return
        self._running = max(0, self._running - 1)
        if self._running == 0:
            self._timer.stop()
            if self._shown:
                self._shown = False
                self.sig_busy_changed.emit(False)

    def _show(self) -> None:
        if self._running and not self._shown:
            self._shown = True
            self.sig_busy_changed.emit(True)
