"""The desk's settings, declared once with type and default (after Picard ``options.py``).

Stored with QSettings (per user, per PC). Only preferences live here; the
password never does, and the server token lives in the OS keyring.
The PC's machine configuration (:mod:`nurse_app.machine_config`, written by IT) gives
the defaults of the keys it names, and fixes its *locked* keys: for those the
user's stored value is ignored and ``set`` does nothing.
``SETTINGS_VERSION`` with :func:`_upgrade` migrates older files; a setting may also name
``legacy_keys`` it is still read from while its own key was never written (the single
``voice/model_path`` of older desks is read as the Mandarin model path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings, QStandardPaths

from nurse_app import machine_config
from nurse_app.machine_config import MachineConfig

T = TypeVar("T")

ORGANIZATION = "FollowupNurseStation"
APPLICATION = "desk"
SETTINGS_VERSION = 1


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    key: str
    type: type
    default: T
    legacy_keys: tuple[str, ...] = ()  # older keys read when ``key`` was never written


SERVER_URL: Setting[str] = Setting("sync/server_url", str, "")
CA_BUNDLE: Setting[str] = Setting("sync/ca_bundle", str, "")
WARD: Setting[str] = Setting("desk/ward", str, "")  # IT presets it; empty = all the user's wards
LANGUAGE: Setting[str] = Setting("ui/language", str, "zh_CN")
LARGE_FONT: Setting[bool] = Setting("ui/large_font", bool, False)  # elderly-friendly mode
# Vosk model folders per dictation language ("" = no dictation in that language). The Mandarin
# one still reads the single ``voice/model_path`` of older desks (and IT's ``voice_model_path``).
VOICE_MODEL_ZH: Setting[str] = Setting("voice/models/zh_CN", str, "", legacy_keys=("voice/model_path",))
VOICE_MODEL_EN: Setting[str] = Setting("voice/models/en", str, "")
VOICE_MODEL_PATHS: dict[str, Setting[str]] = {"zh_CN": VOICE_MODEL_ZH, "en": VOICE_MODEL_EN}
VOICE_MODEL_PATH = VOICE_MODEL_ZH  # the older name: the Mandarin model path
# The microphone by its label (device indexes change between boots); "" = the system default.
VOICE_INPUT_DEVICE: Setting[str] = Setting("voice/input_device", str, "")
VOICE_CONFIDENCE: Setting[float] = Setting("voice/confidence_threshold", float, 0.6)
VOICE_STORE_AUDIO: Setting[bool] = Setting("voice/store_audio", bool, False)  # voice is patient data
TTS_VOICE: Setting[str] = Setting("voice/tts_voice", str, "")  # "" = the best Mandarin voice
TTS_RATE: Setting[int] = Setting("voice/tts_rate", int, 0)  # words per minute; 0 = the engine's own
LAST_USER: Setting[str] = Setting("login/last_user", str, "")  # the username only, never a password

ALL_SETTINGS = (
    SERVER_URL,
    CA_BUNDLE,
    WARD,
    LANGUAGE,
    LARGE_FONT,
    VOICE_MODEL_ZH,
    VOICE_MODEL_EN,
    VOICE_INPUT_DEVICE,
    VOICE_CONFIDENCE,
    VOICE_STORE_AUDIO,
    TTS_VOICE,
    TTS_RATE,
    LAST_USER,
)

# Setting key → its name in the machine configuration file.
MACHINE_KEYS = {
    SERVER_URL.key: "server_url",
    CA_BUNDLE.key: "ca_bundle",
    WARD.key: "ward",
    LANGUAGE.key: "language",
    LARGE_FONT.key: "large_font",
    VOICE_MODEL_ZH.key: "voice_model_path",
    TTS_VOICE.key: "tts_voice",
    # Not in machine_config.FIELDS yet: IT can preset or lock these once that lists them.
    VOICE_MODEL_EN.key: "voice_model_path_en",
    VOICE_INPUT_DEVICE.key: "voice_input_device",
    VOICE_CONFIDENCE.key: "voice_confidence_threshold",
    VOICE_STORE_AUDIO.key: "voice_store_audio",
    TTS_RATE.key: "tts_rate",
}


def voice_audio_dir() -> Path:
    """Where dictated utterances are kept as WAV files when (and only when) ``VOICE_STORE_AUDIO`` is on."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".followup-nurse-station") / "voice-audio"


def _to_bool(value: Any) -> bool:
    # INI files give back "true"/"false" strings; the registry gives back ints.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class DeskSettings:
    """Typed access to the QSettings store: ``settings.get(LANGUAGE)``, ``settings.set(LANGUAGE, "en")``."""

    def __init__(self, store: QSettings | None = None, machine: MachineConfig | None = None) -> None:
        self.store = store or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )
        self.machine = machine if machine is not None else machine_config.load()
        _upgrade(self.store)

    def is_locked(self, setting: Setting[Any]) -> bool:
        """IT fixed this setting for the PC: the user cannot change it."""
        name = MACHINE_KEYS.get(setting.key)
        return name is not None and self.machine.is_locked(name)

    def get(self, setting: Setting[T]) -> T:
        name = MACHINE_KEYS.get(setting.key)
        default = self.machine.get(name, setting.default) if name else setting.default
        if self.is_locked(setting):
            return default
        value = self.store.value(setting.key)
        for legacy in setting.legacy_keys:
            if value is not None:
                break
            value = self.store.value(legacy)
        if value is None:
            return default
        if setting.type is bool:
            return _to_bool(value)  # type: ignore[return-value]
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            return default

    def set(self, setting: Setting[T], value: T) -> None:
        if self.is_locked(setting):
            return  # fixed by the machine configuration; a user's value would never be read
        self.store.setValue(setting.key, setting.type(value))

    def sync(self) -> None:
        self.store.sync()


def _upgrade(store: QSettings) -> None:
    """Bring an older settings file up to ``SETTINGS_VERSION`` (no older version exists yet)."""
    version = int(store.value("meta/version", 0) or 0)
    if version < SETTINGS_VERSION:
        store.setValue("meta/version", SETTINGS_VERSION)
