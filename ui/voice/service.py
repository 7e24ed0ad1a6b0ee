"""The desk's one dictation service: the configured models, shared by every open form.

Models come from the settings' voice page — one Vosk model folder per language
(``VOICE_MODEL_ZH``, which still reads the older single ``VOICE_MODEL_PATH``,
and ``VOICE_MODEL_EN``) — over the ``FOLLOWUP_VOSK_MODEL_<LANG>`` variables.
The page also chooses the microphone, the confidence threshold below which a
result is only suggested, and whether utterances are kept as audio (off by
default). With no model configured, forms get no microphone at all.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable

from nurse_app.domain.forms import FormDefinition
from nurse_app.voice import (
    AudioSource,
    InputDevice,
    MicrophoneSource,
    ModelRegistry,
    UsageLog,
    VoiceInput,
    VoiceSettings,
    list_input_devices,
    missing_words,
    model_paths_from_env,
)
from nurse_app.voice.errors import ModelError
from ui.desk import settings as s
from ui.desk.settings import DeskSettings
from ui.forms.form_view import ScaleFormView
from ui.voice.bridge import VoiceBridge
from ui.voice.push_to_talk import PushToTalk, Synonyms, attach_push_to_talk

log = logging.getLogger(__name__)

_voice: tuple[VoiceInput, str] | None = None
_usage = UsageLog()  # the desk's one usage log: dictation rebuilt after a settings change keeps adding to it
_registries: dict[str, ModelRegistry] = {}  # Mandarin model folder -> registry (publish checks load it once)
_registries_lock = threading.Lock()
_configured = False
_from_settings = False  # True when _voice was built from the settings (and may be rebuilt from them)


def install_voice(voice: VoiceInput | None, lang: str = "zh_CN") -> None:
    """Use ``voice`` (dictating ``lang``) for every form from now on; ``None`` switches dictation off."""
    global _voice, _configured, _from_settings
    _voice = (voice, lang) if voice is not None else None
    _configured, _from_settings = True, False


def reset_voice() -> None:
    """Settings changed: the next form builds its dictation from them again (open forms keep theirs).

    A voice set with :func:`install_voice` (tests, demos) is left alone.
    """
    global _voice, _configured
    if _from_settings:
        _voice, _configured = None, False


def find_input_device(label: str, devices: list[InputDevice]) -> InputDevice | None:
    """The device saved as ``label`` (its label, or failing that its name); ``None`` when not connected."""
    if not label:
        return None
    return next((d for d in devices if d.label == label), None) or next(
        (d for d in devices if d.name == label or label.startswith(d.name + " (")), None
    )


def voice_settings_from(settings: DeskSettings) -> VoiceSettings:
    """The dictation's :class:`VoiceSettings` from the desk settings (threshold, audio keeping)."""
    threshold = min(max(float(settings.get(s.VOICE_CONFIDENCE)), 0.0), 1.0)
    store_audio = bool(settings.get(s.VOICE_STORE_AUDIO))
    return VoiceSettings(
        confidence_threshold=threshold,
        store_audio=store_audio,
        audio_dir=s.voice_audio_dir() if store_audio else None,
    )


def voice_from_settings(
    source_factory: Callable[[], AudioSource] | None = None,
    settings: DeskSettings | None = None,
    list_devices: Callable[[], tuple[list[InputDevice], str]] = list_input_devices,
) -> tuple[VoiceInput, str] | None:
    """The dictation the desk's settings configure, or ``None`` when no model path is set.

    ``source_factory`` defaults to the chosen microphone (the system default when
    none is chosen or the chosen one is not connected).
    """
    desk = settings if settings is not None else DeskSettings()
    paths = model_paths_from_env()
    for lang, setting in s.VOICE_MODEL_PATHS.items():
        configured = desk.get(setting).strip()
        if configured:
            paths[lang] = configured
    if not paths:
        return None
    registry = ModelRegistry(paths)
    voice_settings = voice_settings_from(desk)
    if source_factory is None:
        device = None
        label = desk.get(s.VOICE_INPUT_DEVICE)
        if label:
            found = find_input_device(label, list_devices()[0])
            device = found.index if found else None
        source_factory = functools.partial(MicrophoneSource, device, block_ms=voice_settings.block_ms)
    voice = VoiceInput(registry, source_factory, settings=voice_settings, usage=_usage)
    return voice, registry.languages()[0]


def current_voice() -> tuple[VoiceInput, str] | None:
    global _voice, _configured, _from_settings
    if not _configured:
        _voice, _configured, _from_settings = voice_from_settings(), True, True
    return _voice


def attach_dictation(view: ScaleFormView, synonyms: Synonyms | None = None) -> PushToTalk | None:
    """Give ``view`` push-to-talk when dictation is configured (the scale panel's hook)."""
    configured = current_voice()
    if configured is None:
        return None
    voice, lang = configured
    return attach_push_to_talk(view, VoiceBridge(voice, lang, view), synonyms=synonyms)


def usage_log() -> UsageLog:
    """The dictation usage log of this desk (the installed voice's, else the shared one)."""
    return _voice[0].usage if _voice is not None else _usage


def mandarin_model_path(settings: DeskSettings | None = None) -> str:
    """The Mandarin model folder the settings (or ``FOLLOWUP_VOSK_MODEL_ZH_CN``) configure; "" for none."""
    desk = settings if settings is not None else DeskSettings()
    return desk.get(s.VOICE_MODEL_ZH).strip() or str(model_paths_from_env().get("zh_CN", ""))


def scale_missing_words(
    definition: FormDefinition, settings: DeskSettings | None = None, timeout: float = 180.0
) -> dict[str, tuple[str, ...]] | None:
    """Blocking (run it off the GUI thread): the option words of ``definition`` the Mandarin model lacks.

    ``None`` when no Mandarin model is configured or it cannot be loaded: then
    there is nothing to say about the scale's words.
    """
    path = mandarin_model_path(settings)
    if not path:
        return None
    with _registries_lock:
        registry = _registries.get(path)
        if registry is None:
            registry = _registries[path] = ModelRegistry({"zh_CN": path})
    try:
        model = registry.load("zh_CN", timeout=timeout)
    except ModelError as error:
        log.info("no voice-word check, the Mandarin model cannot be loaded: %s", error)
        return None
    return missing_words(definition, model)
