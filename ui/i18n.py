"""The one string catalogue of the desktop: gettext-style ``_()`` over ``resources/i18n/<lang>/*.po``.

Source strings (msgids) are English; Chinese (zh_CN) is the default language.
Each feature keeps its own ``.po`` file in the language folder (``desk.po``,
``forms.po``, ``designer.po``…); all of them are merged at load. Widgets
re-read their texts when ``language_notifier().sig_language_changed`` fires,
so the language switches at run time without a restart.
"""

from __future__ import annotations

from pathlib import Path

import polib
from PySide6.QtCore import QObject, Signal

from nurse_app.resources import resource_dir

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
CATALOGUE_DIR = resource_dir() / "i18n"

_current = DEFAULT_LANGUAGE
_catalogue: dict[str, str] = {}


def load_catalogue(language: str, directory: Path = CATALOGUE_DIR) -> dict[str, str]:
    """msgid → msgstr of every ``.po`` file of ``language`` (untranslated entries left out)."""
    merged: dict[str, str] = {}
    for po_file in sorted((directory / language).glob("*.po")):
        for entry in polib.pofile(str(po_file)):
            if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags:
                merged[entry.msgid] = entry.msgstr
    return merged


def _(message: str) -> str:
    """The translation of ``message`` in the current language (the English source when none)."""
    return _catalogue.get(message, message)


def N_(message: str) -> str:
    """Marks a module-level constant for the catalogue; translate it with ``_()`` where it is shown."""
    return message


def current_language() -> str:
    return _current


class LanguageNotifier(QObject):
    sig_language_changed = Signal(str)


_notifier: LanguageNotifier | None = None


def language_notifier() -> LanguageNotifier:
    global _notifier
    if _notifier is None:
        _notifier = LanguageNotifier()
    return _notifier


def set_language(language: str) -> None:
    """Switch every ``_()`` to ``language`` and tell the open widgets to re-read their texts."""
    global _current, _catalogue
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language '{language}'; expected one of {', '.join(LANGUAGES)}")
    _catalogue = load_catalogue(language)
    _current = language
    language_notifier().sig_language_changed.emit(language)


_catalogue = load_catalogue(DEFAULT_LANGUAGE)
