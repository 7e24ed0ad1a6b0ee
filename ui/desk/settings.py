"""The desk's settings, declared once with type and default (after Picard ``options.py``).

Stored with QSettings (per user, per PC). Only preferences live here; the
password never does, and the server token lives in the OS keyring.
``SETTINGS_VERSION`` with :func:`_upgrade` migrates older files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings

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


def _to_bool(value: Any) -> bool:
    # INI files give back "true"/"false" strings; the registry gives back ints.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class DeskSettings:
    """Typed access to the QSettings store: ``settings.get(LANGUAGE)``, ``settings.set(LANGUAGE, "en")``."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )
        _upgrade(self.store)

    def get(self, setting: Setting[T]) -> T:
        value = self.store.value(setting.key, setting.default)
        if value is None:
            return setting.default
        if setting.type is bool:
            return _to_bool(value)  # type: ignore[return-value]
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            return setting.default

    def set(self, setting: Setting[T], value: T) -> None:
        self.store.setValue(setting.key, setting.type(value))

    def sync(self) -> None:
        self.store.sync()


def _upgrade(store: QSettings) -> None:
    """Bring an older settings file up to ``SETTINGS_VERSION`` (no older version exists yet)."""
    version = int(store.value("meta/version", 0) or 0)
    if version < SETTINGS_VERSION:
        store.setValue("meta/version", SETTINGS_VERSION)
