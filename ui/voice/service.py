"""The desk's one dictation service: the configured models, shared by every open form.

Models come from the settings page (``VOICE_MODEL_PATH``, the Mandarin model
IT installs) and ``FOLLOWUP_VOSK_MODEL_<LANG>`` variables. With none
configured, forms get no microphone at all.
"""

from __future__ import annotations

from collections.abc import Callable

from nurse_app.voice import AudioSource, MicrophoneSource, ModelRegistry, VoiceInput, model_paths_from_env
from ui.forms.form_view import ScaleFormView
from ui.voice.bridge import VoiceBridge
from ui.voice.push_to_talk import PushToTalk, Synonyms, attach_push_to_talk

_voice: tuple[VoiceInput, str] | None = None
_configured = False


def install_voice(voice: VoiceInput | None, lang: str = "zh_CN") -> None:
    """Use ``voice`` (dictating ``lang``) for every form from now on; ``None`` switches dictation off."""
    global _voice, _configured
    _voice = (voice, lang) if voice is not None else None
    _configured = True


def voice_from_settings(
    source_factory: Callable[[], AudioSource] = MicrophoneSource,
) -> tuple[VoiceInput, str] | None:
    """The dictation the desk's settings configure, or ``None`` when no model path is set."""
    from ui.desk import settings as s

    paths = model_paths_from_env()
    configured = s.DeskSettings().get(s.VOICE_MODEL_PATH)
    if configured:
        paths["zh_CN"] = configured
    if not paths:
        return None
    registry = ModelRegistry(paths)
    return VoiceInput(registry, source_factory), registry.languages()[0]


def current_voice() -> tuple[VoiceInput, str] | None:
    global _voice, _configured
    if not _configured:
        _voice, _configured = voice_from_settings(), True
    return _voice


def attach_dictation(view: ScaleFormView, synonyms: Synonyms | None = None) -> PushToTalk | None:
    """Give ``view`` push-to-talk when dictation is configured (the scale panel's hook)."""
    configured = current_voice()
    if configured is None:
        return None
    voice, lang = configured
    return attach_push_to_talk(view, VoiceBridge(voice, lang, view), synonyms=synonyms)
