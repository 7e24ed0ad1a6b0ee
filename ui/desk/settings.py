"""The desk's settings, declared once with type and default (after Picard ``options.py``).

Stored with QSettings (per user, per PC). Only preferences live here; the
password never does, and the server token lives in the OS keyring.
The PC's machine configuration (:mod:`nurse_app.machine_config`, written by IT) gives
the defaults of the keys it names, and fixes its *locked* keys: for those the
user's stored value is ignored and ``set`` does nothing.
``SETTINGS_VERSION`` with :func:`_upgrade` migrates older files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings

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


SERVER_URL: Setting[str] = Setting("sync/server_url", str, "")
CA_BUNDLE: Setting[str] = Setting("sync/ca_bundle", str, "")
WARD: Setting[str] = Setting("desk/ward", str, "")  # IT presets it; empty = all the user's wards
LANGUAGE: Setting[str] = Setting("ui/language", str, "zh_CN")
LARGE_FONT: Setting[bool] = Setting("ui/large_font", bool, False)  # elderly-friendly mode
VOICE_MODEL_PATH: Setting[str] = Setting("voice/model_path", str, "")
TTS_VOICE: Setting[str] = Setting("voice/tts_voice", str, "")
LAST_USER: Setting[str] = Setting("login/last_user", str, "")  # the username only, never a password

ALL_SETTINGS = (SERVER_URL, CA_BUNDLE, WARD, LANGUAGE, LARGE_FONT, VOICE_MODEL_PATH, TTS_VOICE, LAST_USER)

# Setting key → its name in the machine configuration file.
MACHINE_KEYS = {
    SERVER_URL.key: "server_url",
    CA_BUNDLE.key: "ca_bundle",
    WARD.key: "ward",
    LANGUAGE.key: "language",
    LARGE_FONT.key: "large_font",
    VOICE_MODEL_PATH.key: "voice_model_path",
    TTS_VOICE.key: "tts_voice",
}


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
        value = self.store.value(setting.key, default)
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
