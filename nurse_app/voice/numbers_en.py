"""English spoken numbers (the other half of :mod:`nurse_app.voice.numbers`).

Words are grouped the way people say them: "thirty seven" is one group,
"one forty" two groups read as 1|40 → 140 (the way nurses read blood
pressure), "nineteen ninety" → 1990, and a run of single digits ("one three
eight", "oh") is a digit string. "two thirty" is therefore 230 — times are
recognised only in their unambiguous forms ("half past two", "two o'clock").
"degrees" alone is read as °C below 50 and °F from 50 (no febrile patient is
at 50 °C, no living one at 50 °F).
"""

from __future__ import annotations

import re

from nurse_app.voice.numbers import (
    DigitString,
    NumberPair,
    Spoken,
    SpokenNumber,
    TimeOfDay,
    _number,
)

# Spoken number words, shared with the grammar vocabulary of number fields (voice/phrases.py).
SMALL_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_SMALL = {w: i for i, w in enumerate(SMALL_WORDS)} | {"oh": 0, "o": 0, "nought": 0, "naught": 0}
_TENS = {w: 10 * i for i, w in enumerate(TENS_WORDS, 2)}
_MULT = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_UNITS: tuple[tuple[str, str | None], ...] = (
    ("degrees celsius", "°C"),
    ("degrees centigrade", "°C"),
    ("degrees fahrenheit", "°F"),
    ("degree celsius", "°C"),
    ("celsius", "°C"),
    ("centigrade", "°C"),
    ("fahrenheit", "°F"),
    ("millimeters of mercury", "mmHg"),
    ("millimetres of mercury", "mmHg"),
    ("mm hg", "mmHg"),
    ("mmhg", "mmHg"),
    ("beats per minute", "/min"),
    ("per minute", "/min"),
    ("bpm", "/min"),
    ("millimoles per liter", "mmol/L"),
    ("millimoles per litre", "mmol/L"),
    ("millimoles", "mmol/L"),
    ("kilograms", "kg"),
    ("kilogram", "kg"),
    ("kilos", "kg"),
    ("kilo", "kg"),
    ("kg", "kg"),
    ("pounds", "lb"),
    ("centimeters", "cm"),
    ("centimetres", "cm"),
    ("cm", "cm"),
    ("years old", "a"),
    ("years", "a"),
    ("percent", "%"),
    ("points", "score"),
    ("degrees", None),
    ("degree", None),
)
_FILLERS = {"about", "around", "approximately", "roughly", "is", "its", "it's", "was", "maybe", "um", "uh"}
_PAIR_WORDS = ("over", "slash", "/")


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace(",", "").replace("per cent", "percent")
    text = text.replace("/", " / ").replace("%", " percent")
    return [t for t in re.split(r"\s+", text) if t and t not in _FILLERS]


def _strip_unit(tokens: list[str]) -> tuple[list[str], str | None, bool]:
    joined = " ".join(tokens)
    for phrase, unit in _UNITS:
        if joined.endswith(" " + phrase):
            rest = joined[: -len(phrase) - 1].split()
            return rest, unit, unit is None
    return tokens, None, False


def _groups(tokens: list[str]) -> list[tuple[int, bool, int]] | None:
    """Split number words into spoken groups: (value, used a multiplier, number of tokens)."""
    groups: list[tuple[int, bool, int]] = []
    total = current = count = 0
    used_mult = False
    prev: str | None = None
    for tok in tokens:
        if tok == "and" and prev == "mult":
            continue
        if tok == "a":
            tok, kind, value = "one", "digit", 1
        elif tok in _SMALL:
            value = _SMALL[tok]
            kind = "digit" if value < 10 else "teen"
        elif tok in _TENS:
            value, kind = _TENS[tok], "tens"
        elif tok in _MULT:
            value, kind = _MULT[tok], "mult"
        else:
            return None
        if kind == "mult":
            current = current or 1
            if value == 100:
                current *= 100
            else:
                total, current = total + current * value, 0
            used_mult = True
        else:
            continues = prev == "mult" or (prev == "tens" and kind == "digit" and value > 0)
            if prev is not None and not continues:
                groups.append((total + current, used_mult, count))
                total = current = count = 0
                used_mult = False
            current += value
        count += 1
        prev = kind
    if prev is None:
        return None
    groups.append((total + current, used_mult, count))
    return groups


def _integer(tokens: list[str]) -> int | DigitString | None:
    if len(tokens) == 1 and tokens[0].isdigit():
        return int(tokens[0])
    groups = _groups(tokens)
    if not groups:
        return None
    if len(groups) == 1:
        return groups[0][0]
    if all(not mult and count == 1 and value < 10 for value, mult, count in groups):
        return DigitString("".join(str(value) for value, _m, _c in groups))
    (head, head_mult, _n), (tail, tail_mult, _m) = groups[0], groups[-1]
    if len(groups) == 2 and not head_mult and not tail_mult and 1 <= head <= 99 and 10 <= tail <= 99:
        return head * 100 + tail  # "one forty" = 140, "nineteen ninety" = 1990
    return None


def _decimal_digits(tokens: list[str]) -> str | None:
    if all((t in _SMALL and _SMALL[t] < 10) or t.isdigit() for t in tokens) and tokens:
        return "".join(str(_SMALL[t]) if t in _SMALL else t for t in tokens)
    value = _integer(tokens)
    return str(value) if isinstance(value, int) else None


def _time(tokens: list[str]) -> TimeOfDay | None:
    joined = " ".join(tokens)
    match = re.fullmatch(r"(half|quarter) (past|to) (.+)", joined)
    if match:
        hour = _integer(match.group(3).split())
        if isinstance(hour, int) and 0 <= hour <= 24:
            minutes = 30 if match.group(1) == "half" else 15
            return TimeOfDay(hour, minutes) if match.group(2) == "past" else TimeOfDay(hour - 1, 60 - minutes)
    match = re.fullmatch(r"(.+) (o'clock|oclock|o clock)", joined)
    if match:
        hour = _integer(match.group(1).split())
        if isinstance(hour, int) and 0 <= hour <= 24:
            return TimeOfDay(hour, 0)
    return None


def _single(tokens: list[str]) -> SpokenNumber | DigitString | TimeOfDay | None:
    time = _time(tokens)
    if time is not None:
        return time
    tokens, unit, bare_degrees = _strip_unit(tokens)
    negative = bool(tokens) and tokens[0] in ("minus", "negative")
    if negative:
        tokens = tokens[1:]
    half = 0.0
    if tokens[-2:] == ["a", "half"] and len(tokens) > 3 and tokens[-3] == "and":
        tokens, half = tokens[:-3], 0.5
    elif tokens in (["half"], ["a", "half"]):
        tokens, half = ["zero"], 0.5
    if not tokens:
        return None
    if len(tokens) == 1 and re.fullmatch(r"\d+\.\d+", tokens[0]):
        value: int | float = float(tokens[0])
    elif "point" in tokens:
        at = tokens.index("point")
        whole = _integer(tokens[:at]) if at else 0
        frac = _decimal_digits(tokens[at + 1 :])
        if not isinstance(whole, int) or frac is None:
            return None
        value = float(f"{whole}.{frac}")
    else:
        whole = _integer(tokens)
        if isinstance(whole, DigitString):
            return whole if unit is None and not negative and not half else None
        if whole is None:
            return None
        value = _number(whole + half, bool(half))
    if bare_degrees:
        unit = "°C" if value < 50 else "°F"
    return SpokenNumber(-value if negative else value, unit)


def parse_en(text: str) -> Spoken | None:
    tokens = _tokens(text)
    if not tokens:
        return None
    for word in _PAIR_WORDS:
        if word in tokens:
            at = tokens.index(word)
            rest, unit, _bare = _strip_unit(tokens[at + 1 :])
            first, second = _single(tokens[:at]), _single(rest)
            if isinstance(first, SpokenNumber) and isinstance(second, SpokenNumber):
                return NumberPair(first.value, second.value, unit or first.unit)
            if isinstance(first, DigitString | int) or isinstance(second, DigitString):
                return None
            return None
    return _single(tokens)
