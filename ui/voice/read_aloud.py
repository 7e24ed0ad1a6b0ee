"""Read-aloud for the desk over :class:`nurse_app.voice.tts.ReadAloud`, with its callbacks as signals.

Same small interface the call panel uses (``sig_available``, ``probe``,
``speak``, ``stop``), plus the reason when it is unavailable and whether it is
speaking now, so a button can be hidden with a tooltip and a stop button shown.
The pyttsx3 engine lives in ReadAloud's own worker; nothing blocks the GUI thread.
"""

from __future__ import annotations

import logging
import threading

import shiboken6
from PySide6.QtCore import QObject, Signal

from nurse_app.voice.tts import ReadAloud

log = logging.getLogger(__name__)


class VoiceReadAloud(QObject):
    """Reads call scripts and questions aloud; ``stop`` ends the text now and drops the queue."""

    sig_available = Signal(bool)
    sig_unavailable = Signal(str)  # why read-aloud is not offered (for a tooltip or the status bar)
    sig_speaking = Signal(bool)
    sig_error = Signal(str)

    _sig_probe = Signal(bool, str)
    _sig_state = Signal(bool)
    _sig_failed = Signal(str)

    def __init__(
        self,
        voice: str = "",
        parent: QObject | None = None,
        *,
        rate: int = 0,
        engine: ReadAloud | None = None,
    ) -> None:
        super().__init__(parent)
        self.voice = voice
        self.rate = rate  # words per minute; 0 = the engine's own
        self._engine = engine
        self.available = False
        self.reason = ""
        self._speaking: set[int] = set()
        self._sig_probe.connect(self._probed)
        self._sig_state.connect(self.sig_speaking)
        self._sig_failed.connect(self.sig_error)

    def engine(self) -> ReadAloud:
        if self._engine is None:
            self._engine = ReadAloud(voice=self.voice or None, rate=self.rate or None)
            self._engine.on_started = lambda job: self._started(job)
            self._engine.on_finished = lambda job, _completed: self._finished(job)
            self._engine.on_error = lambda job, message: self._failed(job, message)
        return self._engine

    def probe(self) -> None:
        """Find out off the GUI thread whether speech works here; answers with ``sig_available``."""
        engine = self.engine()

        def check() -> None:
            ok, reason = engine.available()
            if shiboken6.isValid(self):
                self._sig_probe.emit(ok, reason)

        threading.Thread(target=check, name="read-aloud-probe", daemon=True).start()

    def _probed(self, ok: bool, reason: str) -> None:
        self.available, self.reason = ok, reason
        if not ok:
            log.info("read-aloud unavailable: %s", reason)
            self.sig_unavailable.emit(reason)
        self.sig_available.emit(ok)

    def speak(self, text: str, language: str) -> None:
        if self.available and text.strip():
            self.engine().speak(text, language)

    def skip(self) -> None:
        if self._engine is not None:
            self._engine.skip()

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.stop()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    # Worker-thread callbacks: only signals.
    def _started(self, job: int) -> None:
        self._speaking.add(job)
        if shiboken6.isValid(self):
            self._sig_state.emit(True)

    def _finished(self, job: int) -> None:
        self._speaking.discard(job)
        if shiboken6.isValid(self):
            self._sig_state.emit(bool(self._speaking))

    def _failed(self, job: int, message: str) -> None:
        self._speaking.discard(job)
        log.warning("read-aloud failed: %s", message)
        if shiboken6.isValid(self):
            self._sig_failed.emit(message)
            self._sig_state.emit(bool(self._speaking))
