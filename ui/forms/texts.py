"""The form screens' own words (not the scale's), in the form's language.

A form may be shown in a language other than the application's (the designer
previews a scale in English while the app is in Chinese), so these texts are
looked up per language instead of with the global ``_()``.
"""

from __future__ import annotations

from functools import lru_cache

from nurse_app.domain.forms.definition import normalize_lang
from ui.i18n import N_, _, current_language, load_catalogue

YES = N_("Yes")
NO = N_("No")
SELECT = N_("— Select —")
CLEAR = N_("Clear")
CHOOSE_BY_NUMBER = N_("Press 1–{count} to choose, 0 to clear")
RANGE = N_("{min}–{max}")
AT_LEAST = N_("≥ {min}")
AT_MOST = N_("≤ {max}")
MAX_CHARS = N_("Up to {max} characters")
CRITICAL_TITLE = N_("Critical values — act on them now")
SEVERITY_CRITICAL = N_("Critical")
SEVERITY_WARNING = N_("Warning")
SCORE = N_("{title}: {value}")
ANSWERED = N_("{answered}/{enabled} answered")
REQUIRED_MARK_TIP = N_("Required")
ANSWER_NEEDED = N_("Please answer this question")


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> dict[str, str]:
    return load_catalogue(lang)


def tr(message: str, lang: str, **params: object) -> str:
    """``message`` (an English msgid) in ``lang``, with ``str.format`` ``params`` filled in."""
    lang = normalize_lang(lang)
    if lang == normalize_lang(current_language()):
        text = _(message)
    else:
        text = _catalogue(lang).get(message, message)
    return text.format(**params) if params else text


def number_text(value: object) -> str:
    """A bound or score without a useless ``.0`` (``40.0`` → ``40``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
