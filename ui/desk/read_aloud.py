"""Read-aloud of call scripts, behind a tiny interface the voice feature will replace.

The button stays hidden until :meth:`ReadAloud.probe` reports an engine: pyttsx3
must import AND an engine must initialise (a ward PC without a speech driver
has neither). The engine is made and used only in the single "model" worker,
as pyttsx3 requires (DESIGN "Voice"); nothing here runs on the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from ui.desk.busy import while_alive
from ui.operations import Operation

log = logging.getLogger(__name__)


class ReadAloud(Protocol):
    """What the call panel needs: availability, speak, stop."""

    sig_available: Any  # Signal(bool)

    def probe(self) -> None: ...

    def speak(self, text: str, language: str) -> None: ...

    def stop(self) -> None: ...


class NoReadAloud(QObject):
    """Never available: for tests and for PCs where IT switched speech off."""

    sig_available = Signal(bool)

    def probe(self) -> None:
        self.sig_available.emit(False)

    def speak(self, text: str, language: str) -> None:
        pass

    def stop(self) -> None:
        pass


class Pyttsx3ReadAloud(QObject):
    sig_available = Signal(bool)

    def __init__(self, voice: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.voice = voice
        self._engine: Any = None

    def probe(self) -> None:
        Operation(self._init_engine).success(while_alive(self, self.sig_available.emit)).failure(
            while_alive(self, lambda _error: self.sig_available.emit(False))
        ).run_in("model")

    def _init_engine(self) -> bool:
        try:
            import pyttsx3

            self._engine = pyttsx3.init()
            if self.voice:
                self._engine.setProperty("voice", self.voice)
        except Exception as error:  # no driver, no espeak, no SAPI5: read-aloud is simply not offered
            log.info("read-aloud unavailable: %s", error)
            self._engine = None
            return False
        return True

    def speak(self, text: str, language: str) -> None:
        if self._engine is None:
            return
        engine = self._engine

        def say() -> None:
            engine.say(text)
            engine.runAndWait()

        Operation(say).failure(lambda error: log.warning("read-aloud failed: %s", error)).run_in("model")

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.stop()
