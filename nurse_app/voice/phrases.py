"""What can be said for a field: its options, yes/no synonyms, number words and the walker's commands.

Pure text, no model: :mod:`grammar` turns these phrases into a Vosk grammar,
and :mod:`fill` maps recognised text back to values with the same phrases, so
what the grammar allows and what the mapping understands can never drift.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nurse_app.domain.forms.definition import CHOICE_TYPES, NUMERIC_TYPES, Item, ItemType
from nurse_app.voice.models import is_chinese, voice_lang
from nurse_app.voice.numbers_en import SMALL_WORDS, TENS_WORDS


class Command(StrEnum):
    """Voice commands of the whole-form walker."""

    NEXT = "next"
    PREVIOUS = "previous"
    UNDO = "undo"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sayable phrase and what it means: an option code, a bool, a :class:`Command`, or ``None``
    for a number word (numbers are parsed after recognition)."""

    text: str
    value: object


YES_NO: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zh_CN": (
        ("是", "是的", "对", "对的", "有", "有的", "嗯", "好的", "会", "能", "确认"),
        ("没有", "不是", "没", "无", "否", "不", "不对", "不会", "不能", "没得"),
    ),
    "en": (
        ("yes", "yeah", "yep", "correct", "right", "true", "sure"),
        ("no", "nope", "not", "false", "never", "none"),
    ),
    # Korean: the language of the model the tests can install; a hospital adds its own the same way.
    "ko": (("네", "예", "있어요"), ("아니요", "아니오", "아니", "없어요")),
}

COMMANDS: dict[str, dict[str, Command]] = {
    "zh_CN": {
        "下一项": Command.NEXT,
        "下一个": Command.NEXT,
        "下一题": Command.NEXT,
        "上一项": Command.PREVIOUS,
        "上一个": Command.PREVIOUS,
        "上一题": Command.PREVIOUS,
        "撤销": Command.UNDO,
        "撤回": Command.UNDO,
        "完成": Command.DONE,
        "结束": Command.DONE,
    },
    "en": {
        "next": Command.NEXT,
        "next question": Command.NEXT,
        "previous": Command.PREVIOUS,
        "go back": Command.PREVIOUS,
        "back": Command.PREVIOUS,
        "undo": Command.UNDO,
        "done": Command.DONE,
        "finish": Command.DONE,
        "finished": Command.DONE,
    },
}

NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "zh_CN": (
        *tuple("零一二两三四五六七八九十百千万点负幺半"),
        "百分之",
        "零下",
        "比",
        "度",
        "摄氏度",
        "毫米汞柱",
        "公斤",
        "千克",
        "斤",
        "厘米",
        "次",
        "岁",
        "分",
    ),
    "en": [
        "zero",
        "oh",
        *SMALL_WORDS[1:],
        *TENS_WORDS,
        "hundred",
        "thousand",
        "point",
        "minus",
        "over",
        "and",
        "a",
        "half",
        "percent",
        "degrees",
        "celsius",
        "fahrenheit",
        "kilograms",
        "kilos",
        "centimeters",
        "pounds",
    ],
}

_ALTERNATIVES = re.compile(r"\s*(?:[、，,;；/／()（）]|或者|或|\bor\b)\s*")


def normalize_text(text: str, lang: str) -> str:
    """Comparable form: Chinese without spaces or punctuation, others lower-case single-spaced words."""
    if is_chinese(lang):
        return re.sub(r"[\s，。、,.!！?？;；:：()（）]+", "", text)
    return " ".join(re.sub(r"[^\w'\s]", " ", text.lower()).split())


def option_phrases(display: str, lang: str) -> list[str]:
    """A display text and its alternatives: "胸痛或胸闷" → 胸痛或胸闷, 胸痛, 胸闷."""
    whole = normalize_text(display, lang)
    parts = [normalize_text(p, lang) for p in _ALTERNATIVES.split(display)]
    return list(dict.fromkeys(p for p in [whole, *parts] if p))


def field_phrases(
    item: Item,
    lang: str,
    extra: Mapping[str, Sequence[str]] | None = None,
    *,
    commands: bool = False,
) -> list[Phrase]:
    """Every phrase a nurse may say for ``item`` in ``lang`` (empty for free text: open dictation).

    ``extra`` adds synonyms per option code ("true"/"false" for a boolean), e.g.
    a scale's local wording or a language the definition has no text for.
    """
    lang = voice_lang(lang)
    extra = extra or {}
    phrases: list[Phrase] = []
    if item.type == ItemType.BOOLEAN:
        yes, no = YES_NO.get(lang, ((), ()))
        phrases += [Phrase(normalize_text(p, lang), True) for p in (*yes, *extra.get("true", ()))]
        phrases += [Phrase(normalize_text(p, lang), False) for p in (*no, *extra.get("false", ()))]
    elif item.type in CHOICE_TYPES:
        for option in item.answer_options:
            texts: list[str] = []
            if lang in ("zh_CN", "en"):
                texts += option_phrases(option.display.get(lang), lang)
            texts += [normalize_text(p, lang) for p in extra.get(option.code, ())]
            phrases += [Phrase(t, option.code) for t in dict.fromkeys(texts)]
    elif item.type in NUMERIC_TYPES:
        phrases += [Phrase(w, None) for w in NUMBER_WORDS.get(lang, ())]
    if commands:
        phrases += [Phrase(normalize_text(t, lang), c) for t, c in COMMANDS.get(lang, {}).items()]
    return phrases


def uses_grammar(item: Item, lang: str) -> bool:
    """Choice, boolean and number fields are recognised against a grammar; the rest by dictation."""
    return bool(field_phrases(item, lang))
