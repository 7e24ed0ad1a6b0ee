"""Spoken numbers, Chinese and English, to values: "三十七点五度" → 37.5 °C, "one forty over ninety" → 140/90.

:func:`parse_spoken` returns what was said — a number (with its unit), a
pair (blood pressure), a digit string ("幺三八" → "138": phone numbers and bed
numbers keep leading zeros) or a time of day — and :func:`parse_number` the
number a numeric field takes. Well-formed Chinese numerals go to ``cn2an``;
the traps around it are handled here:

* 两 (两百, 两千) and 幺 (one, in digit strings) — cn2an's "normal" mode;
* colloquial elision: 一百四 = 140, 两千五 = 2500, 一万二 = 12000 (cn2an), and
  English "one forty" = 140, "nineteen ninety" = 1990 (here);
* temperature said the Chinese way: 三十七度五 = 37.5 °C;
* 斤 (half a kilogram: patients give weight in 斤) is converted to kg;
* 负/零下/minus, 百分之/percent;
* **times are not numbers**: 两点半 is 2:30, not 2.5 — it parses as a
  :class:`TimeOfDay` and :func:`parse_number` rejects it, so a nurse saying
  a time into a number field gets an error rather than a wrong value. A bare
  "X点" with X ≤ 24 is a time too; "两点五" (digit after 点) is 2.5.
* Vosk's Chinese output separates words with spaces ("一百 四十 九十"); the
  text is read as one number first and, when that fails, split at a space
  into a pair.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cn2an


@dataclass(frozen=True, slots=True)
class SpokenNumber:
    value: int | float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class NumberPair:
    """Two numbers said as one reading, e.g. systolic/diastolic blood pressure."""

    first: int | float
    second: int | float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class DigitString:
    digits: str


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    hour: int
    minute: int


Spoken = SpokenNumber | NumberPair | DigitString | TimeOfDay

_HAN = re.compile(r"[\u4e00-\u9fff]")
_ARABIC = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def parse_spoken(text: str, lang: str | None = None) -> Spoken | None:
    """What ``text`` says as a number, pair, digit string or time; ``None`` when it is not a number."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if lang is None:
        lang = "zh" if _HAN.search(text) else "en"
    from nurse_app.voice import numbers_en  # imported here: numbers_en builds on this module

    return _parse_zh(text) if lang.lower().startswith(("zh", "cmn")) else numbers_en.parse_en(text)


def parse_number(text: str, lang: str | None = None) -> SpokenNumber | None:
    """The single number ``text`` says (a digit string counts when it has no leading zero); else ``None``."""
    spoken = parse_spoken(text, lang)
    if isinstance(spoken, SpokenNumber):
        return spoken
    if isinstance(spoken, DigitString) and (spoken.digits == "0" or not spoken.digits.startswith("0")):
        return SpokenNumber(int(spoken.digits))
    return None


def _number(value: float, decimal: bool) -> int | float:
    if decimal:
        return float(value)
    return int(value) if float(value).is_integer() else float(value)


# -- Chinese -------------------------------------------------------------------------------------------

_ZH_DIGIT = "零〇洞幺一二三四五六七八九"
_ZH_DIGIT_VALUE = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {
    "〇": "0",
    "洞": "0",
    "幺": "1",
}
_ZH_NUMERAL = set(_ZH_DIGIT + "两十百千万亿点") | set("0123456789.")
#: Longest first; a factor converts (斤 = 0.5 kg).
_ZH_UNITS: tuple[tuple[str, str, float], ...] = (
    ("摄氏度", "°C", 1),
    ("华氏度", "°F", 1),
    ("毫米汞柱", "mmHg", 1),
    ("毫摩尔每升", "mmol/L", 1),
    ("毫摩尔", "mmol/L", 1),
    ("次每分钟", "/min", 1),
    ("次每分", "/min", 1),
    ("公斤", "kg", 1),
    ("千克", "kg", 1),
    ("厘米", "cm", 1),
    ("公分", "cm", 1),
    ("度", "°C", 1),
    ("斤", "kg", 0.5),
    ("次", "/min", 1),
    ("岁", "a", 1),
    ("分", "score", 1),
)
_ZH_FILLERS = ("大概", "大约", "差不多", "左右", "上下", "约", "是", "有", "为", "了", "吧", "啊")
_ZH_PAIR_SEP = re.compile(r"\s*(?:比|/|斜杠|低压|舒张压)\s*")
_ZH_LABELS = re.compile(r"^(?:血压|高压|收缩压|体温|温度|脉搏|心率|体重|血糖|身高|年龄)")
_ZH_TIME = re.compile(r"^(.+?)点(半|一刻|三刻|(.+?)分|)$")


def _zh_clean(text: str) -> str:
    text = re.sub(r"[，。、,;；：:！!？?]", " ", text)
    text = _ZH_LABELS.sub("", text.strip())
    for filler in _ZH_FILLERS:
        text = text.replace(filler, "")
    return text.strip()


def _zh_unit(text: str) -> tuple[str, str | None, float]:
    for word, unit, factor in _ZH_UNITS:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)].strip(), unit, factor
    return text, None, 1


def _zh_plain(core: str) -> int | float | None:
    """A bare numeral (no unit, sign or percent): arabic, or Chinese through cn2an."""
    core = core.replace(" ", "")
    if not core or not set(core) <= _ZH_NUMERAL:
        return None
    if _ARABIC.match(core):
        return _number(float(core), "." in core)
    if re.fullmatch(r"\d+点\d+", core):  # "37点5": a recogniser mixing digits and 点
        return float(core.replace("点", "."))
    if core[0] in "百千万":  # "百" alone is 一百; cn2an refuses it
        core = "一" + core
    if core.endswith("点"):
        return None
    try:
        value = cn2an.cn2an(core, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return _number(value, "点" in core)


def _zh_digits(core: str) -> DigitString | None:
    compact = core.replace(" ", "")
    if len(compact) >= 2 and all(c in _ZH_DIGIT for c in compact):
        return DigitString("".join(_ZH_DIGIT_VALUE[c] for c in compact))
    if len(compact) >= 2 and compact.isdigit() and compact.startswith("0"):
        return DigitString(compact)
    return None


def _zh_single(text: str) -> SpokenNumber | DigitString | TimeOfDay | None:
    time = _zh_time(text.replace(" ", ""))  # before units: the 分 of 三点十分 is minutes, not a score
    if time is not None:
        return time
    text, unit, factor = _zh_unit(text.strip())
    negative = False
    for sign in ("零下", "负", "-"):
        if text.startswith(sign) and len(text) > len(sign):
            text, negative = text[len(sign) :].strip(), True
            break
    percent = text.startswith("百分之")
    if percent:
        text, unit = text[3:], "%"
    elif text.endswith("%"):
        text, unit = text[:-1], "%"
    if unit is None and re.fullmatch(r"[^度]+度[^度]", text.replace(" ", "")):
        whole, tenth = text.replace(" ", "").split("度")  # 三十七度五: the Chinese way to say 37.5 °C
        value = _zh_plain(whole)
        digit = _ZH_DIGIT_VALUE.get(tenth, tenth if tenth.isdigit() else None)
        if value is None or digit is None:
            return None
        return SpokenNumber(-(value + int(digit) / 10) if negative else value + int(digit) / 10, "°C")
    if unit is None and not negative:
        digits = _zh_digits(text)
        if digits is not None:
            return digits
    value = _zh_plain(text)
    if value is None:
        return None
    value = value * factor if factor != 1 else value
    if isinstance(value, float) and factor != 1 and value.is_integer() and "点" not in text:
        value = int(value)
    return SpokenNumber(-value if negative else value, unit)


def _zh_time(text: str) -> TimeOfDay | None:
    match = _ZH_TIME.match(text)
    if not match:
        return None
    hour = _zh_plain(match.group(1))
    rest = match.group(2)
    if not isinstance(hour, int) or not 0 <= hour <= 24:
        return None
    if rest == "":
        return TimeOfDay(hour, 0)
    if rest in ("半", "一刻", "三刻"):
        return TimeOfDay(hour, {"半": 30, "一刻": 15, "三刻": 45}[rest])
    minute = _zh_plain(match.group(3))
    if isinstance(minute, int) and 0 <= minute < 60:
        return TimeOfDay(hour, minute)
    return None


def _zh_pair(parts: list[str], unit: str | None) -> NumberPair | None:
    first, second = (_zh_single(p) for p in parts)
    if isinstance(first, SpokenNumber) and isinstance(second, SpokenNumber):
        return NumberPair(first.value, second.value, unit or first.unit or second.unit)
    return None


def _parse_zh(text: str) -> Spoken | None:
    text = _zh_clean(text)
    if not text:
        return None
    bare, unit, _factor = _zh_unit(text)
    parts = _ZH_PAIR_SEP.split(bare)
    if len(parts) == 2 and all(parts):
        return _zh_pair(parts, unit)
    single = _zh_single(text)
    if single is not None:
        return single
    # "一百 四十 九十": read as one number it fails, so try each space as the pair's separator.
    words = bare.split()
    for cut in range(1, len(words)):
        pair = _zh_pair(["".join(words[:cut]), "".join(words[cut:])], unit)
        if pair is not None:
            return pair
    return None
