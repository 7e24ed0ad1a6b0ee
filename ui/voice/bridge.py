"""``VoiceBridge``: :class:`~nurse_app.voice.VoiceInput` with its worker-thread callbacks as Qt signals.

The voice layer calls back on its own threads (the model loader, the
dictation worker). Each callback here only emits a signal of this GUI-thread
object, so Qt queues it to the GUI thread; nothing touches a widget off it.
Every dictation gets a number, and events of an older one (a result that
arrives after the nurse already pressed again) are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

from nurse_app.domain.forms import Item
from nurse_app.voice import (
    Dictation,
    DictationCallbacks,
    ModelState,
    ModelStatus,
    VoiceError,
    VoiceInput,
)
from nurse_app.voice.models import voice_lang


class VoiceBridge(QObject):
    """One language's dictation for the widgets: ``load_model``, ``start``, ``stop``, ``cancel``."""

    sig_partial = Signal(str)
    sig_level = Signal(float)  # RMS dBFS of the last audio block
    sig_final = Signal(object)  # DictationResult
    sig_error = Signal(str)
    sig_cancelled = Signal()
    sig_model_progress = Signal(object)  # ModelStatus while loading
    sig_model_done = Signal(object)  # ModelStatus, READY or FAILED

    _sig_event = Signal(int, str, object)  # (dictation number, kind, payload) from a worker thread
    _sig_model = Signal(bool, object)  # (done, ModelStatus) from the loading thread

    def __init__(self, voice: VoiceInput, lang: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.voice = voice
        self.lang = voice_lang(lang)
        self._number = 0
        self._dictation: Dictation | None = None
        self._sig_event.connect(self._relay_event)
        self._sig_model.connect(self._relay_model)

    # --- the model ---------------------------------------------------------------------------------

    def model_status(self) -> ModelStatus:
        return self.voice.registry.status(self.lang)

    def is_ready(self) -> bool:
        return self.model_status().state is ModelState.READY

    def load_model(self) -> None:
        """Load the language's model in the background (once per process); progress as signals."""
        self.voice.registry.load_async(
            self.lang,
            on_progress=lambda status: self._emit_model(False, status),
            on_done=lambda status: self._emit_model(True, status),
        )

    def _emit_model(self, done: bool, status: ModelStatus) -> None:
        if shiboken6.isValid(self):  # the form may be closed while the model still loads
            self._sig_model.emit(done, status)

    @Slot(bool, object)
    def _relay_model(self, done: bool, status: ModelStatus) -> None:
        (self.sig_model_done if done else self.sig_model_progress).emit(status)

    # --- dictation ---------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._dictation is not None and self._dictation.active

    def start(
        self, item: Item | None, extra: Mapping[str, Sequence[str]] | None = None, *, commands: bool = False
    ) -> bool:
        """Start listening for ``item``; False (and ``sig_error``) when it cannot start, e.g. no model."""
        self._number += 1
        number = self._number
        callbacks = DictationCallbacks(
            on_partial=lambda text: self._emit(number, "partial", text),
            on_level=lambda dbfs: self._emit(number, "level", dbfs),
            on_final=lambda result: self._emit(number, "final", result),
            on_error=lambda error: self._emit(number, "error", str(error)),
            on_cancelled=lambda: self._emit(number, "cancelled", None),
        )
        try:
            self._dictation = self.voice.start(item, self.lang, callbacks, extra=extra, commands=commands)
        except VoiceError as error:
            self._dictation = None
            self.sig_error.emit(str(error))
            return False
        except Exception as error:  # e.g. no microphone: the nurse sees why, the form stays usable
            self._dictation = None
            self.sig_error.emit(str(error))
            return False
        return True

    def stop(self) -> None:
        """End capturing; the result follows as ``sig_final``."""
        if self._dictation is not None:
            self._dictation.stop()

    def cancel(self) -> None:
        """Drop the utterance: ``sig_cancelled`` follows, nothing else."""
        if self._dictation is not None and self._dictation.active:
            self._dictation.cancel()
        elif self._dictation is not None:
            # Already finished (a short file): its result may still be queued; make it stale.
            self._number += 1
            self._dictation = None
            self.sig_cancelled.emit()

    def _emit(self, number: int, kind: str, payload: object) -> None:
        if shiboken6.isValid(self):
            self._sig_event.emit(number, kind, payload)

    @Slot(int, str, object)
    def _relay_event(self, number: int, kind: str, payload: object) -> None:
        if number != self._number:
            return  # an earlier dictation's late event
        if kind == "partial":
            self.sig_partial.emit(payload)
        elif kind == "level":
            self.sig_level.emit(payload)
        elif kind == "final":
            self.sig_final.emit(payload)
        elif kind == "error":
            self.sig_error.emit(payload)
        elif kind == "cancelled":
            self.sig_cancelled.emit()
