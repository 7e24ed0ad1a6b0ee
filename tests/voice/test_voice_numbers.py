"""Spoken-number normalisation, Chinese and English: a table of spoken forms and what they mean."""

from __future__ import annotations

import pytest

from nurse_app.voice.numbers import (
    DigitString,
    NumberPair,
    SpokenNumber,
    TimeOfDay,
    parse_number,
    parse_spoken,
)

N = SpokenNumber
P = NumberPair
D = DigitString
T = TimeOfDay

TABLE: list[tuple[str, object]] = [
    # plain Chinese numerals
    ("零", N(0)),
    ("一", N(1)),
    ("二", N(2)),
    ("两", N(2)),
    ("五", N(5)),
    ("十", N(10)),
    ("十五", N(15)),
    ("二十", N(20)),
    ("三十七", N(37)),
    ("九十", N(90)),
    ("九十九", N(99)),
    ("一百", N(100)),
    ("百", N(100)),
    ("一百零五", N(105)),
    ("一百一十", N(110)),
    ("一百四十", N(140)),
    ("两百", N(200)),
    ("二百", N(200)),
    ("两百五十", N(250)),
    ("三百零二", N(302)),
    ("一千", N(1000)),
    ("千", N(1000)),
    ("两千", N(2000)),
    ("一千零五", N(1005)),
    ("三千零五十", N(3050)),
    ("五万", N(50000)),
    ("两万三千", N(23000)),
    ("一万零二百", N(10200)),
    # colloquial elision
    ("一百四", N(140)),
    ("两百五", N(250)),
    ("两千五", N(2500)),
    ("一万二", N(12000)),
    ("一千二", N(1200)),
    # decimals
    ("三十七点五", N(37.5)),
    ("零点五", N(0.5)),
    ("九十八点六", N(98.6)),
    ("二十点零五", N(20.05)),
    ("两点五", N(2.5)),
    ("三十七点零", N(37.0)),
    ("六点八", N(6.8)),
    ("十二点三", N(12.3)),
    # units
    ("三十七点五度", N(37.5, "°C")),
    ("三十七度五", N(37.5, "°C")),
    ("三十八度", N(38, "°C")),
    ("三十九点二摄氏度", N(39.2, "°C")),
    ("零下五度", N(-5, "°C")),
    ("七十二次", N(72, "/min")),
    ("六十五公斤", N(65, "kg")),
    ("六十五千克", N(65, "kg")),
    ("一百二十斤", N(60, "kg")),
    ("一百三十五斤", N(67.5, "kg")),
    ("一百七十厘米", N(170, "cm")),
    ("一百四十毫米汞柱", N(140, "mmHg")),
    ("六点五毫摩尔", N(6.5, "mmol/L")),
    ("七十岁", N(70, "a")),
    ("八十分", N(80, "score")),
    # signs and percent
    ("负二", N(-2)),
    ("负零点五", N(-0.5)),
    ("零下三", N(-3)),
    ("百分之八十", N(80, "%")),
    ("百分之九十五", N(95, "%")),
    ("百分之三点五", N(3.5, "%")),
    # labels and fillers a nurse repeats
    ("体温三十七点五度", N(37.5, "°C")),
    ("大概三十七度五左右", N(37.5, "°C")),
    ("心率七十二", N(72)),
    ("是三十六点八", N(36.8)),
    ("差不多一百", N(100)),
    # blood pressure pairs
    ("一百四十 九十", P(140, 90)),
    ("一百 四十 九十", P(140, 90)),
    ("一百四十比九十", P(140, 90)),
    ("一百四十/九十", P(140, 90)),
    ("高压一百四低压九十", P(140, 90)),
    ("一百二十比八十毫米汞柱", P(120, 80, "mmHg")),
    ("血压一百三十比八十五", P(130, 85)),
    ("140/90", P(140, 90)),
    ("一百六十 一百", P(160, 100)),
    # digit strings
    ("幺三八", D("138")),
    ("一三八", D("138")),
    ("幺零幺", D("101")),
    ("零幺零", D("010")),
    ("三七", D("37")),
    ("洞幺", D("01")),
    ("幺二三四五", D("12345")),
    # times are not numbers
    ("两点半", T(2, 30)),
    ("三点一刻", T(3, 15)),
    ("十点三刻", T(10, 45)),
    ("两点", T(2, 0)),
    ("八点十分", T(8, 10)),
    ("两点三十分", T(2, 30)),
    # arabic from a recogniser
    ("37.5", N(37.5)),
    ("37点5", N(37.5)),
    ("１２０", N(120)),
    # English
    ("zero", N(0)),
    ("five", N(5)),
    ("twelve", N(12)),
    ("twenty", N(20)),
    ("thirty seven", N(37)),
    ("thirty-seven", N(37)),
    ("ninety nine", N(99)),
    ("a hundred", N(100)),
    ("one hundred", N(100)),
    ("two hundred", N(200)),
    ("a hundred and five", N(105)),
    ("one hundred and forty", N(140)),
    ("twelve hundred", N(1200)),
    ("two thousand", N(2000)),
    ("two thousand five hundred", N(2500)),
    ("one forty", N(140)),
    ("one forty five", N(145)),
    ("nineteen ninety", N(1990)),
    ("thirty seven point five", N(37.5)),
    ("point five", N(0.5)),
    ("ninety eight point six", N(98.6)),
    ("six point eight", N(6.8)),
    ("two point oh five", N(2.05)),
    ("two and a half", N(2.5)),
    ("half", N(0.5)),
    ("minus two", N(-2)),
    ("negative five", N(-5)),
    ("eighty percent", N(80, "%")),
    ("eighty per cent", N(80, "%")),
    ("thirty seven point five degrees", N(37.5, "°C")),
    ("ninety eight point six degrees", N(98.6, "°F")),
    ("thirty eight degrees celsius", N(38, "°C")),
    ("seventy two beats per minute", N(72, "/min")),
    ("sixty five kilos", N(65, "kg")),
    ("about thirty seven", N(37)),
    ("it's one twenty", N(120)),
    ("one forty over ninety", P(140, 90)),
    ("one twenty over eighty", P(120, 80)),
    ("one hundred forty over ninety", P(140, 90)),
    ("one sixty slash one hundred", P(160, 100)),
    ("one three eight", D("138")),
    ("oh one", D("01")),
    ("one oh five", D("105")),
    ("half past two", T(2, 30)),
    ("quarter past three", T(3, 15)),
    ("two o'clock", T(2, 0)),
    # not numbers at all
    ("没有", None),
    ("胸痛", None),
    ("hello", None),
    ("", None),
    ("点", None),
    ("three apples", None),
]


def test_the_table_is_large() -> None:
    assert len(TABLE) >= 100


@pytest.mark.parametrize(("spoken", "expected"), TABLE, ids=[s or "<empty>" for s, _ in TABLE])
def test_spoken_form(spoken: str, expected: object) -> None:
    got = parse_spoken(spoken)
    assert got == expected
    if isinstance(expected, SpokenNumber):
        assert type(got.value) is type(expected.value)  # 37.0 stays a decimal, 37 an integer


def test_parse_number_takes_digit_strings_but_rejects_times_and_pairs() -> None:
    assert parse_number("幺三八") == SpokenNumber(138)
    assert parse_number("零幺零") is None  # leading zero: a code, not a quantity
    assert parse_number("两点半") is None  # 2:30, never 2.5
    assert parse_number("一百四十 九十") is None
    assert parse_number("thirty seven point five", "en") == SpokenNumber(37.5)


def test_language_can_be_forced() -> None:
    assert parse_spoken("37.5", "zh_CN") == SpokenNumber(37.5)
    assert parse_spoken("37.5", "en") == SpokenNumber(37.5)
