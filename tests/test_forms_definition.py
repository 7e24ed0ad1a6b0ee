"""Definition checks (FormDefinitionError with every problem) and the JSON format round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import (
    FormDefinitionError,
    ItemType,
    LocalText,
    check_definition,
    compile_form,
    dumps,
    from_dict,
    loads,
    to_dict,
)
from nurse_app.domain.forms.samples import discharge_followup, discharge_followup_dict, phq9, phq9_dict
from nurse_app.domain.model import AlertSeverity, PublicationStatus

YES_NO = [
    {"code": "y", "display": "是", "ordinalValue": 1},
    {"code": "n", "display": "否", "ordinalValue": 0},
]


def scale(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"code": "T", "version": 1, "status": "draft", "title": "测试", "item": items, **extra}


def problems(data: dict[str, Any], lang: str = "en") -> list[tuple[str, str]]:
    with pytest.raises(FormDefinitionError) as info:
        from_dict(data, lang=lang)
    return [(p.link_id, p.code) for p in info.value.problems]


def test_samples_are_valid_and_round_trip() -> None:
    for defn in (phq9(), discharge_followup()):
        assert check_definition(defn) == []
        assert from_dict(to_dict(defn)) == defn
        assert loads(dumps(defn)) == defn
        assert from_dict(json.loads(json.dumps(to_dict(defn)))) == defn


def test_json_keys_mirror_fhir_names() -> None:
    data = to_dict(discharge_followup())
    assert data["resourceType"] == "Questionnaire"
    sbp = data["item"][0]["item"][0]
    assert sbp == {
        "linkId": "sbp",
        "type": "quantity",
        "text": {"zh_CN": "收缩压", "en": "Systolic BP"},
        "minValue": 40,
        "maxValue": 300,
        "unit": "mmHg",
    }
    wound = next(i for i in data["item"] if i["linkId"] == "wound")
    assert wound["enableWhen"] == [{"question": "has_wound", "operator": "=", "answerBoolean": True}]
    assert wound["answerOption"][0] == {
        "code": "healed",
        "display": {"zh_CN": "愈合良好", "en": "Healed"},
        "ordinalValue": 0,
    }
    assert "患者健康问卷" in dumps(phq9())


def test_parse_reads_typed_answer_keys_and_plain_text() -> None:
    data = scale(
        [
            {"linkId": "a", "type": "choice", "text": "选择", "answerOption": YES_NO},
            {"linkId": "b", "type": "quantity", "unit": "mmHg"},
            {
                "linkId": "c",
                "type": "string",
                "enableWhen": [{"question": "a", "operator": "=", "answerCoding": {"code": "y"}}],
            },
            {
                "linkId": "d",
                "type": "string",
                "enableWhen": [
                    {"question": "b", "operator": ">", "answerQuantity": {"value": 140, "unit": "mmHg"}}
                ],
            },
            {
                "linkId": "e",
                "type": "string",
                "enableWhen": [{"question": "a", "operator": "!=", "answer": "n"}],
            },
        ]
    )
    defn = from_dict(data)
    assert defn.find("a").text == LocalText("选择", "选择")
    assert defn.find("c").enable_when[0].answer == "y"
    assert defn.find("d").enable_when[0].answer == 140
    assert defn.find("e").enable_when[0].answer == "n"
    out = to_dict(defn)
    assert out["item"][2]["enableWhen"][0] == {
        "question": "a",
        "operator": "=",
        "answerCoding": {"code": "y"},
    }
    assert out["item"][3]["enableWhen"][0]["answerQuantity"] == {"value": 140, "unit": "mmHg"}
    assert from_dict(out) == defn


def test_definition_error_is_domain_error_and_lists_everything() -> None:
    data = scale(
        [
            {"linkId": "a", "type": "string"},
            {"linkId": "a", "type": "string"},
            {"linkId": "c", "type": "choice"},
            {"linkId": "d", "type": "slider"},
        ]
    )
    with pytest.raises(DomainError) as info:
        from_dict(data, lang="en")
    err = info.value
    assert isinstance(err, FormDefinitionError)
    assert [(p.link_id, p.code) for p in err.problems] == [
        ("a", "duplicate_link_id"),
        ("c", "choice_no_options"),
        ("d", "unknown_type"),
    ]
    assert "duplicate linkId 'a'" in str(err)
    assert "unknown type 'slider'" in str(err)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh_CN", "题目“b”的显示条件引用了排在其后的题目“c”"),
        ("en", "enableWhen of 'b' refers forward to 'c'"),
    ],
)
def test_forward_reference_named_in_both_languages(lang: str, text: str) -> None:
    data = scale(
        [
            {
                "linkId": "b",
                "type": "string",
                "enableWhen": [{"question": "c", "operator": "exists", "answerBoolean": True}],
            },
            {"linkId": "c", "type": "string"},
        ]
    )
    with pytest.raises(FormDefinitionError) as info:
        from_dict(data, lang=lang)
    assert [p.message for p in info.value.problems] == [text]


def test_enable_when_self_missing_and_non_question() -> None:
    data = scale(
        [
            {"linkId": "g", "type": "group", "item": [{"linkId": "x", "type": "string"}]},
            {
                "linkId": "a",
                "type": "string",
                "enableWhen": [{"question": "a", "operator": "exists", "answerBoolean": True}],
            },
            {
                "linkId": "b",
                "type": "string",
                "enableWhen": [{"question": "zz", "operator": "exists", "answerBoolean": True}],
            },
            {
                "linkId": "c",
                "type": "string",
                "enableWhen": [{"question": "g", "operator": "exists", "answerBoolean": True}],
            },
        ]
    )
    assert problems(data) == [
        ("a", "enable_when_self"),
        ("b", "enable_when_missing"),
        ("c", "enable_when_not_question"),
    ]


def test_cycle_is_reported_with_its_path() -> None:
    cond = lambda q: [{"question": q, "operator": "exists", "answerBoolean": True}]  # noqa: E731
    data = scale(
        [
            {"linkId": "a", "type": "string", "enableWhen": cond("c")},
            {"linkId": "b", "type": "string", "enableWhen": cond("a")},
            {"linkId": "c", "type": "string", "enableWhen": cond("b")},
        ]
    )
    with pytest.raises(FormDefinitionError) as info:
        from_dict(data, lang="en")
    codes = info.value.codes
    assert codes.count("enable_when_cycle") == 1
    assert "enable_when_forward" in codes
    cycle = next(p for p in info.value.problems if p.code == "enable_when_cycle")
    assert cycle.message == "enableWhen forms a cycle: a → c → b → a"


def test_enable_when_operator_and_answer_must_fit_the_question() -> None:
    data = scale(
        [
            {"linkId": "flag", "type": "boolean"},
            {"linkId": "pick", "type": "choice", "answerOption": YES_NO},
            {"linkId": "n", "type": "integer"},
            {
                "linkId": "a",
                "type": "string",
                "enableWhen": [{"question": "flag", "operator": ">", "answerBoolean": True}],
            },
            {
                "linkId": "b",
                "type": "string",
                "enableWhen": [{"question": "pick", "operator": "=", "answerCoding": {"code": "maybe"}}],
            },
            {
                "linkId": "c",
                "type": "string",
                "enableWhen": [{"question": "n", "operator": "=", "answerString": "five"}],
            },
            {
                "linkId": "d",
                "type": "string",
                "enableWhen": [{"question": "n", "operator": "~", "answerInteger": 1}],
            },
            {
                "linkId": "e",
                "type": "string",
                "enableWhen": [{"question": "n", "operator": "exists", "answerInteger": 1}],
            },
        ]
    )
    assert problems(data) == [
        ("a", "enable_when_operator"),
        ("b", "enable_when_answer"),
        ("c", "enable_when_answer"),
        ("d", "enable_when_operator"),
        ("e", "enable_when_answer"),
    ]


def test_item_constraints() -> None:
    data = scale(
        [
            {"linkId": "n", "type": "integer", "minValue": 10, "maxValue": 1},
            {"linkId": "s", "type": "string", "minLength": 5, "maxLength": 2, "regex": "("},
            {"linkId": "b", "type": "boolean", "maxLength": 3, "unit": "cm"},
            {"linkId": "d", "type": "date", "minValue": "2025-13-01"},
            {"linkId": "o", "type": "choice", "answerOption": [*YES_NO, YES_NO[0]]},
            {"linkId": "t", "type": "string", "answerOption": YES_NO},
            {"linkId": "g", "type": "group"},
            {"linkId": "x", "type": "display", "item": [{"linkId": "y", "type": "string"}]},
            {"linkId": "i", "type": "integer", "initial": ["seven"]},
            {"linkId": "sat", "type": "choice", "satisfaction": True, "answerOption": YES_NO},
        ]
    )
    assert problems(data) == [
        ("n", "min_gt_max"),
        ("s", "min_length_gt_max_length"),
        ("s", "bad_regex"),
        ("b", "constraint_not_applicable"),
        ("b", "constraint_not_applicable"),
        ("d", "bad_bound"),
        ("o", "duplicate_option"),
        ("t", "options_not_allowed"),
        ("g", "group_empty"),
        ("x", "children_not_allowed"),
        ("i", "bad_initial"),
        ("sat", "satisfaction_item"),
    ]


def test_score_problems() -> None:
    data = scale(
        [
            {"linkId": "a", "type": "choice", "answerOption": [{"code": "x", "display": "x"}]},
            {"linkId": "s", "type": "string"},
        ],
        score=[
            {
                "name": "t",
                "item": ["a", "s", "missing"],
                "band": [{"min": 0, "max": 5}, {"min": 5, "max": 9}, {"min": 9, "max": 1}],
            },
            {"name": "t", "item": []},
        ],
    )
    assert problems(data) == [
        ("t", "score_option_no_ordinal"),
        ("t", "score_item_not_scorable"),
        ("t", "score_missing_item"),
        ("t", "band_min_gt_max"),
        ("t", "band_overlap"),
        ("t", "duplicate_score"),
        ("t", "score_empty"),
    ]


def test_missing_score_item_message_in_both_languages() -> None:
    data = scale([{"linkId": "a", "type": "integer"}], score=[{"name": "total", "item": ["a", "b"]}])
    with pytest.raises(FormDefinitionError) as info:
        from_dict(data, lang="zh_CN")
    assert info.value.problems[0].message == "评分“total”引用了不存在的题目“b”"
    with pytest.raises(FormDefinitionError) as info:
        from_dict(data, lang="en")
    assert info.value.problems[0].message == "score 'total' refers to missing item 'b'"


def test_rule_problems() -> None:
    rule = {"severity": "critical", "message": "!"}
    data = scale(
        [
            {"linkId": "bp", "type": "integer"},
            {"linkId": "w", "type": "choice", "answerOption": YES_NO},
            {"linkId": "g", "type": "group", "item": [{"linkId": "txt", "type": "text"}]},
            {"linkId": "a", "type": "choice", "answerOption": [{"code": "x", "display": "x"}]},
        ],
        score=[{"name": "bp", "item": ["bp"]}, {"name": "sum", "item": ["w"]}],
        criticalRule=[
            {"code": "r1", "target": "nope", "operator": ">=", "threshold": 1, **rule},
            {"code": "r2", "target": "bp", "operator": ">=", "threshold": 1, **rule},
            {"code": "r3", "target": "w", "operator": "in", "threshold": ["y", "zzz"], **rule},
            {"code": "r4", "target": "sum", "operator": ">=", "threshold": "high", **rule},
            {"code": "r4", "target": "g", "operator": "=", "threshold": 1, **rule},
            {"code": "r5", "target": "txt", "operator": ">", "threshold": "a", **rule},
            {"code": "r6", "target": "sum", "operator": "≈", "threshold": 1, "severity": "fatal"},
            {"code": "r7", "target": "a", "operator": ">", "threshold": 0, **rule},
        ],
    )
    assert problems(data) == [
        ("r1", "rule_missing_target"),
        ("r2", "rule_ambiguous_target"),
        ("r3", "rule_unknown_option"),
        ("r4", "rule_threshold"),
        ("r4", "duplicate_rule"),
        ("r4", "rule_target_not_question"),
        ("r5", "rule_threshold"),
        ("r6", "bad_value"),
        ("r6", "bad_value"),
        ("r7", "rule_option_no_ordinal"),
    ]


def test_shape_problems_and_bad_json() -> None:
    data = scale([{"linkId": "a", "type": "string"}, "not an item"], status="final")
    assert problems(data) == [("", "bad_value"), ("", "bad_value")]
    with pytest.raises(FormDefinitionError):
        loads("{not json")
    with pytest.raises(FormDefinitionError):
        from_dict([1, 2])  # type: ignore[arg-type]


def test_check_false_returns_a_broken_draft_and_compiling_it_fails() -> None:
    data = scale([{"linkId": "a", "type": "choice"}])
    defn = from_dict(data, check=False)
    assert defn.status is PublicationStatus.DRAFT
    assert [p.code for p in check_definition(defn)] == ["choice_no_options"]
    with pytest.raises(FormDefinitionError):
        compile_form(defn)


def test_dataclass_vocabulary() -> None:
    defn = discharge_followup()
    assert defn.find("sbp").type is ItemType.QUANTITY
    assert defn.find("nope") is None
    assert defn.critical_rules[0].severity is AlertSeverity.CRITICAL
    assert defn.key == ("DISCHARGE-FU", 1)
    assert LocalText("中", "").get("en") == "中"
    assert LocalText("", "en").get("zh_CN") == "en"
    assert LocalText("中", "en").get("en-US") == "en"
    assert phq9_dict()["score"][0]["band"][0]["label"]["en"] == "None-minimal"
    assert discharge_followup_dict()["code"] == "DISCHARGE-FU"
