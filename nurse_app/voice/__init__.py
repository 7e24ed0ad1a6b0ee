"""Voice: Vosk dictation into form fields and pyttsx3 read-aloud. No Qt here; ``ui/`` wraps it.

For the widget author — everything runs off the GUI thread and reports through
callbacks that run on a worker thread (re-emit them as Qt signals):

* :class:`ModelRegistry` (``models``): configured model paths per language,
  ``check_all()`` at start, ``load_async(lang, on_progress, on_done)`` once,
  ``status(lang)`` → :class:`ModelStatus` (state, message, progress).
* :class:`VoiceInput` (``session``): ``start(item, lang, DictationCallbacks)``
  on push, ``stop()`` on release, ``cancel()``; ``on_partial(text)``,
  ``on_level(dbfs)``, ``on_final(DictationResult)`` with its :class:`FieldFill`.
* :func:`list_input_devices` / :class:`MicrophoneSource` (``microphone``),
  :class:`WavSource` for replay and tests.
* :class:`FormWalker` (``walker``): whole-form dictation with 下一项/上一项/撤销/完成.
* :class:`UsageLog` (``usage``): which fields were dictated, how long each took.
* :class:`ReadAloud` (``tts``): ``available()``, ``speak``, ``skip``, ``stop``.
* :func:`missing_words` (``grammar``): option words the model cannot hear, for publishing a scale.
"""

from __future__ import annotations

from nurse_app.voice.audio import AudioSource, PcmSource, WavSource, rms_dbfs
from nurse_app.voice.errors import AudioError, ModelError, ModelProblem, ReadAloudError, VoiceError
from nurse_app.voice.fill import FieldFill, fill_field, fill_from_recognition
from nurse_app.voice.grammar import FieldGrammar, field_grammar, missing_words
from nurse_app.voice.microphone import InputDevice, MicrophoneSource, list_input_devices
from nurse_app.voice.model_check import ModelCheck, ascii_model_path, check_model_dir, needs_ascii_copy
from nurse_app.voice.models import (
    LoadedModel,
    ModelRegistry,
    ModelState,
    ModelStatus,
    WordListVocabulary,
    load_model,
    model_paths_from_env,
)
from nurse_app.voice.numbers import parse_number, parse_spoken
from nurse_app.voice.phrases import Command
from nurse_app.voice.recognizer import Recognition, Word
from nurse_app.voice.session import Dictation, DictationCallbacks, DictationResult, VoiceInput
from nurse_app.voice.tts import ReadAloud
from nurse_app.voice.tts_voices import TtsVoice, choose_voice
from nurse_app.voice.usage import UsageEntry, UsageLog, VoiceSettings
from nurse_app.voice.walker import FormWalker, WalkStep

__all__ = [
    "AudioError",
    "AudioSource",
    "Command",
    "Dictation",
    "DictationCallbacks",
    "DictationResult",
    "FieldFill",
    "FieldGrammar",
    "FormWalker",
    "InputDevice",
    "LoadedModel",
    "MicrophoneSource",
    "ModelCheck",
    "ModelError",
    "ModelProblem",
    "ModelRegistry",
    "ModelState",
    "ModelStatus",
    "PcmSource",
    "ReadAloud",
    "ReadAloudError",
    "Recognition",
    "TtsVoice",
    "UsageEntry",
    "UsageLog",
    "VoiceError",
    "VoiceInput",
    "VoiceSettings",
    "WalkStep",
    "WavSource",
    "Word",
    "WordListVocabulary",
    "ascii_model_path",
    "check_model_dir",
    "choose_voice",
    "field_grammar",
    "fill_field",
    "fill_from_recognition",
    "list_input_devices",
    "load_model",
    "missing_words",
    "model_paths_from_env",
    "needs_ascii_copy",
    "parse_number",
    "parse_spoken",
    "rms_dbfs",
]
