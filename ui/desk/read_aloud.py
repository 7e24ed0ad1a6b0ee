"""Read-aloud of call scripts behind a tiny interface, implemented by ``ui.voice.read_aloud``.

The button stays hidden until :meth:`ReadAloud.probe` reports a working engine
(pyttsx3, a speech driver and an audio output); ``sig_unavailable`` says why
not. The engine lives in its own worker (DESIGN "Voice"), never the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from ui.voice.read_aloud import VoiceReadAloud

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


class Pyttsx3ReadAloud(VoiceReadAloud):
    """The desk's read-aloud: ``nurse_app.voice.tts.ReadAloud`` (one pyttsx3 worker, stoppable)."""
