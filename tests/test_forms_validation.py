"""Answer validation: every problem at once, each kind in Chinese and English; hidden items skipped."""

from __future__ import annotations

from typing import Any

import pytest

from nurse_app.domain.forms import FormDefinition, Problem, from_dict, prune_hidden, validate_answers
from nurse_app.domain.forms.samples import discharge_followup

OPTIONS = [{"code": c, "display": c, "ordinalValue": n} for n, c in enumerate(["none", "mild", "severe"])]


def scale() -> FormDefinition:
    return from_dict(
        {
            "code": "V",
            "version": 1,
            "status": "published",
            "title": "v",
            "item": [
                {
                    "linkId": "name",
                    "type": "string",
                    "required": True,
                    "text": {"zh_CN": "姓名", "en": "Name"},
                    "minLength": 2,
                    "maxLength": 4,
                },
                {
                    "linkId": "phone",
                    "type": "string",
                    "regex": r"1\d{10}",
                    "text": {"zh_CN": "电话", "en": "Phone"},
                },
                {
                    "linkId": "pain",
                    "type": "integer",
                    "minValue": 0,
                    "maxValue": 10,
                    "text": {"zh_CN": "疼痛", "en": "Pain"},
                },
                {
                    "linkId": "temp",
                    "type": "decimal",
                    "minValue": 34,
                    "maxValue": 43.5,
                    "text": {"zh_CN": "体温", "en": "Temperature"},
                },
                {
                    "linkId": "sbp",
                    "type": "quantity",
                    "unit": "mmHg",
                    "text": {"zh_CN": "收缩压", "en": "SBP"},
                },
                {"linkId": "ok", "type": "boolean", "text": {"zh_CN": "好转", "en": "Better"}},
                {
                    "linkId": "sev",
                    "type": "choice",
                    "answerOption": OPTIONS,
                    "text": {"zh_CN": "程度", "en": "Severity"},
                },
                {"linkId": "multi", "type": "choice", "repeats": True, "answerOption": OPTIONS},
                {
                    "linkId": "diet",
                    "type": "open-choice",
                    "answerOption": OPTIONS,
                    "maxLength": 3,
                    "text": "饮食",
                },
                {
                    "linkId": "seen",
                    "type": "date",
                    "minValue": "2025-01-01",
                    "text": {"zh_CN": "就诊日", "en": "Visit"},
                },
                {"linkId": "at", "type": "dateTime", "text": {"zh_CN": "时间", "en": "Time"}},
                {
                    "linkId": "g",
                    "type": "group",
                    "required": True,
                    "text": {"zh_CN": "用药", "en": "Medication"},
                    "item": [{"linkId": "drug", "type": "string"}],
                },
                {"linkId": "note", "type": "display", "text": "说明"},
            ],
        }
    )


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.link_id, p.code) for p in problems]


def test_valid_answers_have_no_problem() -> None:
    answers = {
        "name": "张三",
        "phone": "13800138000",
        "pain": 3,
        "temp": 36.8,
        "sbp": {"value": 120, "unit": "mmHg"},
        "ok": True,
        "sev": "mild",
        "multi": ["none", "severe"],
        "diet": "软食",
        "seen": "2025-03-01",
        "at": "2025-03-01T09:30:00+08:00",
        "drug": "阿司匹林",
    }
    assert validate_answers(scale(), answers) == []


def test_every_problem_is_reported_at_once() -> None:
    answers = {
        "name": "",
        "phone": "12345",
        "pain": 11,
        "temp": "hot",
        "sbp": {"value": 120, "unit": "kPa"},
        "ok": "yes",
        "sev": ["mild", "severe"],
        "multi": ["none", "bogus"],
        "diet": "很长的描述",
        "seen": "2024-12-31",
        "at": "tomorrow",
        "note": "x",
        "ghost": 1,
    }
    assert codes(validate_answers(scale(), answers)) == [
        ("name", "required"),
        ("phone", "pattern"),
        ("pain", "above_max"),
        ("temp", "type"),
        ("sbp", "wrong_unit"),
        ("ok", "type"),
        ("sev", "not_repeating"),
        ("multi", "unknown_option"),
        ("diet", "too_long"),
        ("seen", "below_min"),
        ("at", "type"),
        ("g", "required"),
        ("ghost", "unknown_item"),
        ("note", "not_answerable"),
    ]


CASES: list[tuple[dict[str, Any], str, str, str]] = [
    ({"name": None}, "required", "“姓名”为必填项", "'Name' is required"),
    ({"name": "张"}, "too_short", "“姓名”至少需要2个字符", "'Name' needs at least 2 characters"),
    ({"name": "张三李四王"}, "too_long", "“姓名”最多允许4个字符", "'Name' allows at most 4 characters"),
    ({"phone": "0101234"}, "pattern", "“电话”格式不正确", "'Phone' is not in the expected format"),
    ({"pain": -1}, "below_min", "“疼痛”不能小于0", "'Pain' must be at least 0"),
    ({"temp": 44}, "above_max", "“体温”不能大于43.5", "'Temperature' must be at most 43.5"),
    ({"pain": 2.5}, "type", "“疼痛”应为整数", "'Pain' must be a whole number"),
    ({"temp": True}, "type", "“体温”应为数字", "'Temperature' must be a number"),
    ({"sbp": 120}, "type", "“收缩压”应为带单位的数值", "'SBP' must be a quantity with a value and a unit"),
    (
        {"sbp": {"value": 9, "unit": "kPa"}},
        "wrong_unit",
        "“收缩压”的单位应为mmHg",
        "'SBP' must be given in mmHg",
    ),
    ({"ok": 1}, "type", "“好转”应为是/否", "'Better' must be yes or no"),
    ({"sev": "worst"}, "unknown_option", "“程度”没有选项“worst”", "'Severity' has no option 'worst'"),
    ({"sev": ["none", "mild"]}, "not_repeating", "“程度”只能有一个答案", "'Severity' takes a single answer"),
    ({"seen": "2025/03/01"}, "type", "“就诊日”应为日期（YYYY-MM-DD）", "'Visit' must be a date (YYYY-MM-DD)"),
    (
        {"seen": "2024-06-01"},
        "below_min",
        "“就诊日”不能小于2025-01-01",
        "'Visit' must be at least 2025-01-01",
    ),
    ({"drug": ""}, "required", "“用药”为必填项", "'Medication' is required"),
    ({"zz": "1"}, "unknown_item", "本量表没有题目“zz”", "this scale has no item 'zz'"),
    (
        {"note": 1},
        "not_answerable",
        "“说明”是分组或说明，不能作答",
        "'说明' is a group or display item and takes no answer",
    ),
]


@pytest.mark.parametrize(
    ("extra", "code", "zh", "en"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_problem_messages_in_both_languages(extra: dict[str, Any], code: str, zh: str, en: str) -> None:
    answers = {"name": "张三", "drug": "x", **extra}
    zh_problems = [p for p in validate_answers(scale(), answers) if p.code == code]
    en_problems = [p for p in validate_answers(scale(), answers, lang="en") if p.code == code]
    assert [p.message for p in zh_problems] == [zh]
    assert [p.message for p in en_problems] == [en]


def test_default_language_is_chinese_and_locale_variants_work() -> None:
    assert validate_answers(scale(), {})[0].message == "“姓名”为必填项"
    assert validate_answers(scale(), {}, lang="en-US")[0].message == "'Name' is required"
    assert validate_answers(scale(), {}, lang="zh-CN")[0].message == "“姓名”为必填项"


def test_quantity_without_unit_takes_the_items_unit_and_empty_value_is_unanswered() -> None:
    assert validate_answers(scale(), {"name": "张三", "drug": "x", "sbp": {"value": 120}}) == []
    defn = discharge_followup()
    problems = validate_answers(defn, {"sbp": {"value": None, "unit": "mmHg"}})
    assert "sbp" not in {p.link_id for p in problems}


def test_open_choice_accepts_options_and_free_text_with_limits() -> None:
    base = {"name": "张三", "drug": "x"}
    assert validate_answers(scale(), {**base, "diet": "severe"}) == []  # an option: length does not apply
    assert validate_answers(scale(), {**base, "diet": "粥"}) == []
    assert codes(validate_answers(scale(), {**base, "diet": "流质饮食"})) == [("diet", "too_long")]


def test_hidden_items_are_never_required_nor_judged() -> None:
    defn = discharge_followup()
    complete = {"has_wound": False, "pain": 2, "meds": True}
    assert validate_answers(defn, complete) == []
    # "wound" is required but hidden; its stale (even invalid) answer is not judged.
    assert validate_answers(defn, {**complete, "wound": "no-such-code"}) == []
    assert [p.link_id for p in validate_answers(defn, {**complete, "has_wound": True})] == ["wound"]
    assert [p.link_id for p in validate_answers(defn, {**complete, "meds": False})] == ["meds_reason"]


def test_prune_hidden_drops_only_hidden_answers() -> None:
    defn = discharge_followup()
    answers = {"has_wound": False, "wound": "healed", "pain": 2, "pain_site": "腹部", "meds": True, "x": 1}
    assert prune_hidden(defn, answers) == {"has_wound": False, "pain": 2, "meds": True, "x": 1}
    assert answers["wound"] == "healed"  # the input is not modified
