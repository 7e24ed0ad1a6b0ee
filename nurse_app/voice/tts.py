"""Read-aloud with pyttsx3: ONE worker thread owns the engine; a queue; stop and skip.

pyttsx3 engines are not thread-safe and must be created and driven in one
thread, so every call here only queues a job. Per driver:

* **espeak-ng** (Linux): pyttsx3 2.99 plays through ``aplay`` in a blocking
  ``os.system`` call — nothing can stop it and it is silent where aplay is
  missing. So the text is rendered with ``save_to_file`` and the WAV played
  through a :class:`Player` (``sounddevice``), which stops within a block.
* **SAPI5** (Windows): 2.99 speaks only the first utterance of an engine
  (upstream issue #419). Guard: a fresh engine per utterance, driven with
  ``startLoop(False)``/``iterate`` so that stop is checked between iterations
  and ``engine.stop()`` is called from the owning thread.
* other drivers (nsss on macOS): ``say`` with the same external loop.

Callbacks (``on_started``, ``on_finished``, ``on_error``) run on the worker;
the widget marshals them to the GUI thread.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from nurse_app.voice.errors import ReadAloudError
from nurse_app.voice.tts_voices import TtsVoice, choose_voice


class Player(Protocol):
    def available(self) -> tuple[bool, str]: ...

    def play(self, wav_path: str, stop: threading.Event) -> bool:
        """Play to the end (True) or until ``stop`` is set (False)."""
        ...


class SoundDevicePlayer:
    """Plays a WAV on the default output device, block by block, so that stop takes effect at once."""

    def available(self) -> tuple[bool, str]:
        try:
            import sounddevice

            sounddevice.query_devices(kind="output")
        except Exception as exc:  # no PortAudio, no output device
            return False, f"no audio output device: {exc}"
        return True, ""

    def play(self, wav_path: str, stop: threading.Event) -> bool:
        import sounddevice

        with wave.open(wav_path, "rb") as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
            block = rate // 20
            with sounddevice.RawOutputStream(samplerate=rate, channels=channels, dtype="int16") as out:
                while not stop.is_set():
                    data = wav.readframes(block)
                    if not data:
                        return True
                    out.write(data)
        return False


def _default_driver(platform: str) -> str:
    return {"win32": "sapi5", "darwin": "nsss"}.get(platform, "espeak")


class ReadAloud:
    """Queue texts to be read; ``stop`` empties the queue, ``skip`` ends only the current text."""

    def __init__(
        self,
        *,
        voice: str | None = None,
        rate: int | None = None,
        player: Player | None = None,
        driver: str | None = None,
        platform: str = sys.platform,
    ) -> None:
        self.voice = voice or None  # the nurse's choice; otherwise the best voice per language
        self.rate = rate
        self.driver = driver or _default_driver(platform)
        # The #419 guard: SAPI5 needs a fresh engine for every utterance.
        self.fresh_engine_per_utterance = self.driver == "sapi5"
        self.player = player or SoundDevicePlayer()
        self.on_started: Callable[[int], None] | None = None
        self.on_finished: Callable[[int, bool], None] | None = None  # (id, completed)
        self.on_error: Callable[[int, str], None] | None = None
        self._jobs: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._skip = threading.Event()
        self._generation = 0  # stop() bumps it; queued jobs of an older generation are dropped
        self._ids = 0
        self._lock = threading.Lock()
        self._engine: Any = None
        self._voices: list[TtsVoice] = []
        self._probe: tuple[bool, str] | None = None
        self._thread = threading.Thread(target=self._run, name="read-aloud", daemon=True)
        self._thread.start()

    # -- GUI-thread API -------------------------------------------------------------------------------
    def available(self, timeout: float = 10.0) -> tuple[bool, str]:
        """(True, "") when texts can be read aloud here, else (False, why) — used to hide the button."""
        future: Future[tuple[bool, str]] = Future()
        self._jobs.put(("probe", future))
        try:
            return future.result(timeout)
        except Exception as exc:
            return False, f"read-aloud did not start: {exc}"

    def voices(self, timeout: float = 10.0) -> list[TtsVoice]:
        self.available(timeout)
        return list(self._voices)

    def chosen_voice(self, lang: str) -> TtsVoice | None:
        self.available()
        return choose_voice(self._voices, lang, self.voice)

    def speak(self, text: str, lang: str = "zh_CN") -> int:
        """Queue ``text``; returns its id (for ``on_started``/``on_finished``)."""
        job_id = self._next_id()
        self._jobs.put(("speak", self._generation, job_id, text, lang))
        return job_id

    def save_to_file(self, text: str, path: str | os.PathLike[str], lang: str = "zh_CN") -> Future[str]:
        """Render ``text`` to a WAV at ``path`` on the worker (same engine, voice and rate as speaking)."""
        future: Future[str] = Future()
        self._jobs.put(("save", self._generation, future, text, str(path), lang))
        return future

    def skip(self) -> None:
        """End the text being read now; the queue goes on."""
        self._skip.set()

    def stop(self) -> None:
        """End the current text and drop everything queued."""
        with self._lock:
            self._generation += 1
        self._skip.set()

    def close(self, timeout: float = 5.0) -> None:
        self.stop()
        self._jobs.put(("quit",))
        self._thread.join(timeout)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # -- worker ---------------------------------------------------------------------------------------
    def _make_engine(self) -> Any:
        import pyttsx3

        engine = pyttsx3.init(self.driver)
        if self.rate:
            engine.setProperty("rate", self.rate)
        return engine

    def _drop_engine(self) -> None:
        import pyttsx3

        self._engine = None
        # pyttsx3.init() hands back a cached engine while one is alive; the guard needs a new one.
        with contextlib.suppress(Exception):
            pyttsx3._activeEngines.pop(self.driver, None)
        gc.collect()

    def _do_probe(self) -> tuple[bool, str]:
        if self._probe is None:
            try:
                self._engine = self._engine or self._make_engine()
                self._voices = [TtsVoice.from_pyttsx3(v) for v in self._engine.getProperty("voices") or ()]
            except Exception as exc:  # no driver, no espeak-ng library, no SAPI5
                self._probe = (False, f"no speech engine: {exc}")
            else:
                self._probe = self.player.available() if self.driver == "espeak" else (True, "")
        return self._probe

    def _prepare(self, lang: str) -> Any:
        self._do_probe()
        if self._engine is None:  # after a failed probe, or dropped by the SAPI5 guard
            try:
                self._engine = self._make_engine()
            except Exception as exc:
                raise ReadAloudError(f"no speech engine: {exc}") from exc
        voice = choose_voice(self._voices, lang, self.voice)
        if voice is not None:
            self._engine.setProperty("voice", voice.id)
        return self._engine

    def _render(self, engine: Any, text: str, path: str) -> None:
        # espeak-ng synthesises on its own thread in retrieval mode, and pyttsx3's first runAndWait
        # of an engine returns before the WAV is written: wait for the driver's finished event.
        finished = threading.Event()
        token = engine.connect("finished-utterance", lambda **_kw: finished.set())
        try:
            engine.save_to_file(text, path)
            engine.runAndWait()
            finished.wait(10 + 0.2 * len(text))
        finally:
            engine.disconnect(token)
        if not Path(path).is_file() or Path(path).stat().st_size <= 44:
            raise ReadAloudError("the speech engine produced no audio")

    def _say_external_loop(self, engine: Any) -> bool:
        finished = threading.Event()
        token = engine.connect("finished-utterance", lambda **_kw: finished.set())
        engine.startLoop(False)
        try:
            while not finished.is_set():
                if self._skip.is_set():
                    engine.stop()
                    return False
                engine.iterate()
                time.sleep(0.02)
            return True
        finally:
            engine.endLoop()
            engine.disconnect(token)

    def _speak(self, job_id: int, text: str, lang: str) -> None:
        engine = self._prepare(lang)
        if self.on_started:
            self.on_started(job_id)
        if self.driver == "espeak":
            ok, reason = self.player.available()
            if not ok:
                raise ReadAloudError(reason)
            fd, path = tempfile.mkstemp(suffix=".wav", prefix="followup-tts-")
            os.close(fd)
            try:
                self._render(engine, text, path)
                completed = self.player.play(path, self._skip)
            finally:
                with contextlib.suppress(OSError):
                    os.remove(path)
        else:
            engine.say(text)
            completed = self._say_external_loop(engine)
            if self.fresh_engine_per_utterance:
                self._drop_engine()
        if self.on_finished:
            self.on_finished(job_id, completed)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            kind = job[0]
            if kind == "quit":
                self._engine = None
                return
            if kind == "probe":
                job[1].set_result(self._do_probe())
                continue
            if job[1] != self._generation:  # dropped by stop()
                if kind == "save":
                    job[2].cancel()
                continue
            self._skip.clear()
            try:
                if kind == "save":
                    _kind, _gen, future, text, path, lang = job
                    self._render(self._prepare(lang), text, path)
                    future.set_result(path)
                else:
                    _kind, _gen, job_id, text, lang = job
                    self._speak(job_id, text, lang)
            except Exception as exc:  # the worker must outlive any one failed utterance
                if kind == "save":
                    job[2].set_exception(exc)
                elif self.on_error:
                    self.on_error(job[2], str(exc))
