"""Push-to-talk dictation: start / stop / cancel from the GUI thread, the work on one worker thread.

:class:`VoiceInput` is what the widget holds. ``start`` returns at once; a
worker thread reads the audio source, feeds a fresh recognizer and calls back
with live partial text, the level meter and, after ``stop`` (or the end of a
file), the final :class:`DictationResult`. **Callbacks run on the worker
thread**: the Qt widget re-emits them as signals (queued connections) and
never touches a widget from inside a callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nurse_app.domain.forms.definition import Item
from nurse_app.voice.audio import AudioSource, rms_dbfs
from nurse_app.voice.errors import VoiceError
from nurse_app.voice.fill import FieldFill, fill_from_recognition
from nurse_app.voice.grammar import FieldGrammar, field_grammar
from nurse_app.voice.models import LoadedModel, ModelRegistry, voice_lang
from nurse_app.voice.recognizer import Recognition, Utterance
from nurse_app.voice.usage import UsageEntry, UsageLog, VoiceSettings, save_audio, utc_now


@dataclass(frozen=True, slots=True)
class DictationResult:
    recognition: Recognition
    fill: FieldFill | None  # None for a dictation without a field (e.g. a note)
    link_id: str
    latency_ms: float  # end of audio → field value


@dataclass(slots=True)
class DictationCallbacks:
    """All optional; each runs on the dictation's worker thread."""

    on_partial: Callable[[str], None] | None = None
    on_level: Callable[[float], None] | None = None  # RMS dBFS of each audio block
    on_final: Callable[[DictationResult], None] | None = None
    on_error: Callable[[VoiceError], None] | None = None
    on_cancelled: Callable[[], None] | None = None


class Dictation:
    """One push-to-talk utterance. Made by :meth:`VoiceInput.start`; ``stop``/``cancel`` from any thread."""

    def __init__(
        self,
        model: LoadedModel,
        source: AudioSource,
        *,
        item: Item | None,
        grammar: FieldGrammar | None,
        callbacks: DictationCallbacks,
        settings: VoiceSettings,
        usage: UsageLog | None,
        extra: Mapping[str, Sequence[str]] | None = None,
        commands: bool = False,
    ) -> None:
        self.item = item
        self.grammar = grammar
        self._model = model
        self._source = source
        self._cb = callbacks
        self._settings = settings
        self._usage = usage
        self._extra = extra
        self._commands = commands
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.result: DictationResult | None = None
        self.error: VoiceError | None = None
        self._thread = threading.Thread(target=self._run, name="voice-dictation", daemon=True)

    @property
    def active(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """The nurse released the button: stop capturing; the result follows through ``on_final``."""
        self._stop.set()
        self._source.stop()

    def cancel(self) -> None:
        """Drop this utterance: nothing is filled, ``on_cancelled`` is called."""
        self._cancel.set()
        self._source.stop()

    def wait(self, timeout: float | None = None) -> DictationResult | None:
        self._done.wait(timeout)
        return self.result

    def _call(self, callback: Callable[..., None] | None, *args: object) -> None:
        if callback is not None:
            callback(*args)

    def _run(self) -> None:
        started = time.perf_counter()
        keep = bytearray() if self._settings.store_audio else None
        try:
            utterance = Utterance(self._model, self._source.sample_rate, self.grammar)
            self._source.start()
            while not self._cancel.is_set():
                block = self._source.read(0.2)
                if block is None:
                    break
                if not block:
                    continue
                if keep is not None:
                    keep.extend(block)
                self._call(self._cb.on_level, rms_dbfs(block))
                partial = utterance.accept(block)
                if partial is not None:
                    self._call(self._cb.on_partial, partial)
            if self._cancel.is_set():
                self._record(started, None, 0.0, cancelled=True)
                self._call(self._cb.on_cancelled)
                return
            end_of_audio = time.perf_counter()
            recognition = utterance.finish()
            fill = None
            if self.item is not None:
                fill = fill_from_recognition(
                    self.item,
                    recognition,
                    threshold=self._settings.confidence_threshold,
                    extra=self._extra,
                    commands=self._commands,
                )
            latency = (time.perf_counter() - end_of_audio) * 1000
            self.result = DictationResult(recognition, fill, self.item.link_id if self.item else "", latency)
            audio_file = save_audio(
                self._settings, bytes(keep or b""), self._source.sample_rate, self.result.link_id
            )
            self._record(started, self.result, recognition.audio_s, audio_file=audio_file)
            self._call(self._cb.on_final, self.result)
        except VoiceError as exc:
            self.error = exc
            self._call(self._cb.on_error, exc)
        except Exception as exc:  # a worker must report, never die silently
            self.error = VoiceError(f"dictation failed: {exc}")
            self._call(self._cb.on_error, self.error)
        finally:
            self._source.stop()
            self._done.set()

    def _record(
        self,
        started: float,
        result: DictationResult | None,
        audio_s: float,
        *,
        cancelled: bool = False,
        audio_file: str = "",
    ) -> None:
        if self._usage is None:
            return
        fill = result.fill if result else None
        self._usage.add(
            UsageEntry(
                at=utc_now(),
                link_id=self.item.link_id if self.item else "",
                item_type=str(self.item.type) if self.item else "",
                lang=self._model.lang,
                mode="grammar" if self.grammar is not None else "dictation",
                duration_s=round(time.perf_counter() - started, 3),
                audio_s=round(audio_s, 3),
                latency_ms=round(result.latency_ms, 1) if result else 0.0,
                ok=bool(fill and fill.ok) if self.item else result is not None,
                reason=fill.reason if fill else ("cancelled" if cancelled else ""),
                low_confidence_words=len(fill.low_confidence_words) if fill else 0,
                cancelled=cancelled,
                audio_file=audio_file,
            )
        )


class VoiceInput:
    """The widget's entry point: one dictation at a time over the registry's shared models."""

    def __init__(
        self,
        registry: ModelRegistry,
        source_factory: Callable[[], AudioSource],
        *,
        settings: VoiceSettings | None = None,
        usage: UsageLog | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings or VoiceSettings()
        self.usage = usage if usage is not None else UsageLog()
        self._source_factory = source_factory
        self._current: Dictation | None = None
        self._grammars: dict[tuple[str, object], FieldGrammar | None] = {}

    def grammar_for(
        self,
        item: Item,
        lang: str,
        extra: Mapping[str, Sequence[str]] | None = None,
        *,
        commands: bool = False,
    ) -> FieldGrammar | None:
        """The grammar ``item`` is dictated with (``None``: open dictation); cached per item and language."""
        model = self.registry.model(lang)
        if not model.supports_grammar:
            return None
        try:
            key: tuple[str, object] = (model.lang, (item, commands, tuple(sorted((extra or {}).items()))))
            hash(key)
        except TypeError:  # an unhashable synonym table: build every time
            return field_grammar(item, model, extra, commands=commands)
        if key not in self._grammars:
            self._grammars[key] = field_grammar(item, model, extra, commands=commands)
        return self._grammars[key]

    def start(
        self,
        item: Item | None,
        lang: str,
        callbacks: DictationCallbacks | None = None,
        *,
        source: AudioSource | None = None,
        extra: Mapping[str, Sequence[str]] | None = None,
        commands: bool = False,
    ) -> Dictation:
        """Start listening for ``item`` (``None``: plain dictation). Raises :class:`ModelError` at once
        when the language's model is not ready; a running dictation is cancelled first."""
        lang = voice_lang(lang)
        model = self.registry.model(lang)
        self.cancel()
        extra_key = {k: tuple(v) for k, v in (extra or {}).items()}
        grammar = self.grammar_for(item, lang, extra_key, commands=commands) if item is not None else None
        dictation = Dictation(
            model,
            source or self._source_factory(),
            item=item,
            grammar=grammar,
            callbacks=callbacks or DictationCallbacks(),
            settings=self.settings,
            usage=self.usage,
            extra=extra_key,
            commands=commands,
        )
        self._current = dictation
        dictation.start()
        return dictation

    @property
    def active(self) -> bool:
        return self._current is not None and self._current.active

    def stop(self) -> None:
        if self._current is not None:
            self._current.stop()

    def cancel(self) -> None:
        if self._current is not None and self._current.active:
            self._current.cancel()
