"""A recognised utterance → the value of one field (:class:`FieldFill`), for every item type.

Grammar fields (choice, yes/no, numbers) are strict: a value is offered only
when the words say one thing, and any word heard below the confidence
threshold makes the fill not ``ok`` — the suggestion is shown, but the nurse
confirms it rather than a wrong answer sliding into a medical record. Free
text keeps low-confidence words and only flags them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nurse_app.domain.forms.definition import CHOICE_TYPES, NUMERIC_TYPES, TEXT_TYPES, Item, ItemType
from nurse_app.voice.models import is_chinese, voice_lang
from nurse_app.voice.numbers import DigitString, NumberPair, SpokenNumber, TimeOfDay, parse_spoken
from nurse_app.voice.phrases import Command, Phrase, field_phrases, normalize_text
from nurse_app.voice.recognizer import Recognition, Word, join_words

DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class FieldFill:
    """What dictation puts into a field. ``spill`` holds values said beyond this field's one
    (the diastolic of "一百四十 九十") for the walker to put into the following fields."""

    value: object
    text: str
    confidence: float | None
    low_confidence_words: tuple[str, ...]
    ok: bool
    reason: str = ""
    spill: tuple[object, ...] = ()
    command: Command | None = None


def find_phrases(text: str, phrases: Sequence[Phrase], lang: str) -> list[tuple[int, Phrase]]:
    """Phrases found in ``text``, longest first and without overlap ("没有" wins over "有")."""
    norm = normalize_text(text, lang)
    spaced = not is_chinese(lang)
    haystack = f" {norm} " if spaced else norm
    taken = [False] * len(haystack)
    found: list[tuple[int, Phrase]] = []
    for phrase in sorted(phrases, key=lambda p: len(p.text), reverse=True):
        needle = f" {phrase.text} " if spaced else phrase.text
        if not phrase.text:
            continue
        start = haystack.find(needle)
        while start >= 0:
            span = range(start + spaced, start + len(needle) - spaced)
            if not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                found.append((start, phrase))
            start = haystack.find(needle, start + 1)
    return sorted(found, key=lambda f: f[0])


def _confidence(words: Sequence[Word]) -> float | None:
    return min((w.conf for w in words), default=None)


def _bounds_problem(item: Item, value: float) -> str:
    low, high = item.min_value, item.max_value
    if (isinstance(low, int | float) and value < low) or (isinstance(high, int | float) and value > high):
        return f"{value:g} is outside {low if low is not None else '…'}–{high if high is not None else '…'}"
    return ""


def number_value(item: Item, number: SpokenNumber) -> tuple[object, str]:
    """The answer for a numeric ``item`` from a spoken number, and a problem ("" when fine)."""
    value = number.value
    if item.type == ItemType.INTEGER and not float(value).is_integer():
        return None, f"{value:g} is not a whole number"
    if item.type == ItemType.INTEGER:
        value = int(value)
    problem = _bounds_problem(item, float(value))
    if item.type == ItemType.QUANTITY:
        unit = item.unit or number.unit
        if item.unit and number.unit and number.unit != item.unit:
            return None, f"unit {number.unit} said, {item.unit} expected"
        return {"value": value, "unit": unit}, problem
    return value, problem


def _fill_number(item: Item, text: str, lang: str) -> tuple[object, str, tuple[object, ...]]:
    spoken = parse_spoken(text, "zh" if is_chinese(lang) else "en")
    spill: tuple[object, ...] = ()
    if isinstance(spoken, NumberPair):
        spoken, spill = SpokenNumber(spoken.first, spoken.unit), (spoken.second,)
    if isinstance(spoken, DigitString):
        spoken = SpokenNumber(int(spoken.digits))
    if isinstance(spoken, TimeOfDay):
        return None, f"{spoken.hour}:{spoken.minute:02d} is a time, not a number", ()
    if not isinstance(spoken, SpokenNumber):
        return None, "no number understood", ()
    value, problem = number_value(item, spoken)
    return value, problem, spill


def fill_field(
    item: Item,
    text: str,
    lang: str,
    *,
    words: Sequence[Word] = (),
    unknown: bool = False,
    grammar: bool | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    extra: Mapping[str, Sequence[str]] | None = None,
    commands: bool = False,
) -> FieldFill:
    """Map recognised ``text`` (with its ``words`` and confidences, when known) to ``item``'s value."""
    lang = voice_lang(lang)
    shown = join_words(text.split(), lang)
    low = tuple(w.word for w in words if w.conf < threshold)
    conf = _confidence(words)
    strict = item.type not in TEXT_TYPES if grammar is None else grammar

    def result(
        value: object, problem: str, *, spill: tuple[object, ...] = (), command: Command | None = None
    ) -> FieldFill:
        ok = not problem and (value is not None or command is not None)
        if ok and low and strict:
            ok, problem = False, "low confidence, please confirm: " + " ".join(low)
        return FieldFill(value, shown, conf, low, ok, problem, spill, command)

    if commands:
        said = find_phrases(text, field_phrases(item, lang, commands=True), lang)
        cmds = [p.value for _i, p in said if isinstance(p.value, Command)]
        if cmds and len(said) == 1:
            return result(None, "", command=cmds[0])
    if not normalize_text(text, lang):
        reason = "not understood ([unk]): nothing filled" if unknown else "nothing was heard"
        return FieldFill(None, "", conf, low, False, reason)
    if item.type == ItemType.BOOLEAN:
        values = {p.value for _i, p in find_phrases(text, field_phrases(item, lang, extra), lang)} - {None}
        if len(values) != 1:
            return result(None, "heard both yes and no" if values else "neither yes nor no understood")
        return result(values.pop(), "")
    if item.type in CHOICE_TYPES:
        found = find_phrases(text, field_phrases(item, lang, extra), lang)
        codes = list(dict.fromkeys(p.value for _i, p in found if isinstance(p.value, str)))
        if not codes:
            if item.type == ItemType.OPEN_CHOICE:
                return result(shown, "")
            return result(None, "no option understood")
        if item.repeats:
            return result(codes, "")
        if len(codes) > 1:
            return result(None, "more than one option heard: " + ", ".join(codes))
        return result(codes[0], "")
    if item.type in NUMERIC_TYPES:
        value, problem, spill = _fill_number(item, text, lang)
        return result(value, problem, spill=spill)
    if item.type in TEXT_TYPES:
        if item.max_length is not None and len(shown) > item.max_length:
            return result(None, f"longer than {item.max_length} characters")
        return result(shown, "")
    return result(None, f"{item.type} fields are not dictated")


def fill_from_recognition(
    item: Item,
    recognition: Recognition,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    extra: Mapping[str, Sequence[str]] | None = None,
    commands: bool = False,
) -> FieldFill:
    """:func:`fill_field` for a :class:`Recognition` (its words, confidences and [unk] flag)."""
    return fill_field(
        item,
        recognition.text,
        recognition.lang,
        words=recognition.words,
        unknown=recognition.unknown,
        grammar=recognition.grammar or None,
        threshold=threshold,
        extra=extra,
        commands=commands,
    )
