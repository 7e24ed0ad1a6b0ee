"""Vosk models by language: configured paths, a check at start, one shared ``Model`` per language.

Loading a model takes seconds (3 s for a small one, a minute for a big one) and
must never block the GUI thread, so :meth:`ModelRegistry.load_async` loads in a
background thread and reports progress and the outcome through callbacks (run
on that thread; the widget marshals them). A language is loaded at most once
per process however many callers ask: ``vosk.Model`` is read-only after load
and shared by every recognizer of that language.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from nurse_app.voice.errors import ModelError, ModelProblem
from nurse_app.voice.model_check import ModelCheck, ascii_model_path, check_model_dir

#: Environment variables that configure a model path per language (IT presets, CI).
ENV_PREFIX = "FOLLOWUP_VOSK_MODEL_"
UNK = "[unk]"


def voice_lang(lang: str) -> str:
    """``zh``, ``zh-CN``, ``zh_cn`` → ``zh_CN``; ``en-US`` → ``en``; anything else its lower-case code."""
    low = lang.replace("-", "_").lower()
    if low.startswith("zh") or low == "cmn":
        return "zh_CN"
    if low.startswith("en"):
        return "en"
    return low.split("_")[0]


def is_chinese(lang: str) -> bool:
    return voice_lang(lang) == "zh_CN"


def model_paths_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``FOLLOWUP_VOSK_MODEL_ZH=/opt/vosk-cn`` → ``{"zh_CN": "/opt/vosk-cn"}`` (any language suffix)."""
    return {
        voice_lang(key[len(ENV_PREFIX) :]): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and value
    }


class WordListVocabulary:
    """A vocabulary from a word list: a model's ``words.txt`` or, in tests, a fixed set of words."""

    def __init__(self, lang: str, words: Iterable[str]) -> None:
        self.lang = voice_lang(lang)
        self._words = frozenset(words)
        self.has_unk = UNK in self._words

    @classmethod
    def from_words_txt(cls, lang: str, path: str | os.PathLike[str]) -> WordListVocabulary:
        """Read Kaldi's ``words.txt`` (``word id`` per line)."""
        with open(path, encoding="utf-8") as handle:
            return cls(lang, (line.split()[0] for line in handle if line.strip()))

    def has_word(self, word: str) -> bool:
        return word in self._words


class LoadedModel:
    """A loaded ``vosk.Model`` with its language and a vocabulary lookup.

    The lookup uses Vosk's own ``vosk_model_find_word``: it answers from the
    symbol table the decoder actually uses, also for lookahead models, which
    ship no ``words.txt`` (the Korean test model is one). A Vosk binding
    without it falls back to ``graph/words.txt``.
    """

    def __init__(self, lang: str, model: object, check: ModelCheck, load_path: Path) -> None:
        self.lang = voice_lang(lang)
        self.model = model
        self.path = check.path
        self.load_path = load_path
        self.supports_grammar = check.supports_grammar
        self._cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        find = getattr(model, "vosk_model_find_word", None)
        self._fallback: WordListVocabulary | None = None
        if find is None:
            words = next(
                (p for p in (load_path / "graph/words.txt", load_path / "words.txt") if p.is_file()), None
            )
            self._fallback = WordListVocabulary.from_words_txt(lang, words) if words else None
        self._find = find
        self.has_unk = self.has_word(UNK)

    def has_word(self, word: str) -> bool:
        with self._lock:
            known = self._cache.get(word)
        if known is None:
            if self._find is not None:
                known = self._find(word) >= 0
            else:
                known = self._fallback.has_word(word) if self._fallback else True
            with self._lock:
                self._cache[word] = known
        return known


def load_model(
    lang: str, path: str | os.PathLike[str] | None, *, platform: str = sys.platform
) -> LoadedModel:
    """Check and load one model now (blocking). Raises :class:`ModelError` naming the problem."""
    return _load(voice_lang(lang), path, platform, None, lambda _f, _s: None)


def _load(
    lang: str,
    path: str | os.PathLike[str] | None,
    platform: str,
    ascii_root: Path | None,
    progress: Callable[[float, str], None],
) -> LoadedModel:
    import vosk

    # -1: Kaldi errors and warnings only; the per-frame info logs would flood a ward PC's log.
    vosk.SetLogLevel(-1)
    progress(0.0, "checking")
    check = check_model_dir(path)
    check.raise_for(lang)
    load_path = ascii_model_path(
        check.path,
        lang=lang,
        platform=platform,
        ascii_root=ascii_root,
        on_progress=lambda f: progress(0.05 + 0.45 * f, "copying to an ASCII path"),
    )
    progress(0.5, "loading")
    try:
        model = vosk.Model(str(load_path))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelError(
            lang, str(check.path), ModelProblem.LOAD_FAILED, f"Vosk could not load it: {exc}"
        ) from exc
    loaded = LoadedModel(lang, model, check, load_path)
    progress(1.0, "ready")
    return loaded


class ModelState(StrEnum):
    NOT_CONFIGURED = "not_configured"
    INVALID = "invalid"  # the start-up check failed; nothing is loaded
    IDLE = "idle"  # checked and fine, not loaded yet
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """A snapshot of one language's model, safe to hand to the GUI thread."""

    lang: str
    path: str
    state: ModelState
    message: str = ""
    progress: float = 0.0
    stage: str = ""
    problem: ModelProblem | None = None


ProgressCallback = Callable[[ModelStatus], None]


class ModelRegistry:
    """The configured models by language: zh-CN first, English second, then any other installed language."""

    def __init__(
        self,
        paths: Mapping[str, str | os.PathLike[str]],
        *,
        platform: str = sys.platform,
        ascii_root: Path | None = None,
    ) -> None:
        self._paths = {voice_lang(k): str(v) for k, v in paths.items() if v}
        self._platform = platform
        self._ascii_root = ascii_root
        self._lock = threading.RLock()  # re-entrant: status() is also called with the lock held
        self._status: dict[str, ModelStatus] = {}
        self._models: dict[str, LoadedModel] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._listeners: dict[str, list[tuple[ProgressCallback | None, ProgressCallback | None]]] = {}
        for lang in self.languages():
            self._status[lang] = ModelStatus(lang, self._paths[lang], ModelState.IDLE)

    def languages(self) -> list[str]:
        order = {"zh_CN": 0, "en": 1}
        return sorted(self._paths, key=lambda lang: (order.get(lang, 2), lang))

    def check_all(self) -> dict[str, ModelStatus]:
        """Check every configured folder (fast: no loading); failed ones turn :attr:`ModelState.INVALID`."""
        for lang in self.languages():
            check = check_model_dir(self._paths[lang])
            with self._lock:
                current = self._status[lang]
                if current.state in (ModelState.IDLE, ModelState.INVALID):
                    state = ModelState.IDLE if check.ok else ModelState.INVALID
                    self._status[lang] = replace(
                        current, state=state, message=check.message, problem=check.problem
                    )
        return self.statuses()

    def statuses(self) -> dict[str, ModelStatus]:
        with self._lock:
            return dict(self._status)

    def status(self, lang: str) -> ModelStatus:
        lang = voice_lang(lang)
        with self._lock:
            return self._status.get(
                lang,
                ModelStatus(
                    lang,
                    "",
                    ModelState.NOT_CONFIGURED,
                    "no speech model is configured for " + lang,
                    problem=ModelProblem.NOT_CONFIGURED,
                ),
            )

    def model(self, lang: str) -> LoadedModel:
        """The loaded model for ``lang``; raises :class:`ModelError` when it is not ready."""
        lang = voice_lang(lang)
        with self._lock:
            loaded = self._models.get(lang)
        if loaded is not None:
            return loaded
        status = self.status(lang)
        raise ModelError(
            lang,
            status.path,
            status.problem or ModelProblem.LOAD_FAILED,
            status.message or f"the model is {status.state.value}",
        )

    def load_async(
        self,
        lang: str,
        on_progress: ProgressCallback | None = None,
        on_done: ProgressCallback | None = None,
    ) -> threading.Thread | None:
        """Start loading ``lang`` in the background (once); callbacks run on the loading thread.

        A second caller while loading is attached to the same load; after it
        finished, ``on_done`` is called at once with the final status.
        """
        lang = voice_lang(lang)
        with self._lock:
            status = self._status.get(lang)
            if status is None or status.state in (ModelState.READY, ModelState.FAILED):
                finished = self.status(lang) if status is None else status
            else:
                finished = None
                self._listeners.setdefault(lang, []).append((on_progress, on_done))
                thread = self._threads.get(lang)
                if thread is None:
                    thread = threading.Thread(
                        target=self._run, args=(lang,), name=f"vosk-load-{lang}", daemon=True
                    )
                    self._threads[lang] = thread
                    self._status[lang] = replace(status, state=ModelState.LOADING, stage="queued")
                    thread.start()
        if finished is not None:
            if on_done:
                on_done(finished)
            return None
        return thread

    def load(self, lang: str, timeout: float | None = None) -> LoadedModel:
        """Load ``lang`` (or wait for the load already running) and return it; raises :class:`ModelError`."""
        thread = self.load_async(lang)
        if thread is not None:
            thread.join(timeout)
        return self.model(lang)

    def _emit(self, lang: str, status: ModelStatus, done: bool) -> None:
        with self._lock:
            self._status[lang] = status
            listeners = list(self._listeners.get(lang, ()))
            if done:
                self._listeners.pop(lang, None)
        for on_progress, on_done in listeners:
            callback = on_done if done else on_progress
            if callback:
                callback(status)

    def _run(self, lang: str) -> None:
        path = self._paths[lang]
        base = ModelStatus(lang, path, ModelState.LOADING)

        def progress(fraction: float, stage: str) -> None:
            self._emit(lang, replace(base, progress=fraction, stage=stage), done=False)

        try:
            loaded = _load(lang, path, self._platform, self._ascii_root, progress)
        except ModelError as exc:
            self._emit(
                lang, replace(base, state=ModelState.FAILED, message=str(exc), problem=exc.problem), True
            )
            return
        except Exception as exc:  # a crash in a worker must still end in a FAILED state the UI can show
            self._emit(
                lang,
                replace(
                    base,
                    state=ModelState.FAILED,
                    message=f"speech model for {lang}: {exc}",
                    problem=ModelProblem.LOAD_FAILED,
                ),
                True,
            )
            return
        with self._lock:
            self._models[lang] = loaded
        self._emit(lang, replace(base, state=ModelState.READY, progress=1.0, stage="ready"), done=True)
