"""FHIR R4 interchange: export validity, lossless round trips, third-party imports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir_checks import assert_valid_r4, fixture, walk_items

from nurse_app.domain.forms import compute_scores, dumps, from_dict, is_enabled
from nurse_app.domain.forms.bundled import bundled_scales
from nurse_app.domain.forms.fhir import (
    URL_CRITICAL_RULE,
    export_questionnaire,
    import_questionnaire,
)
from nurse_app.domain.forms.samples import discharge_followup, phq9
from nurse_app.domain.model import PublicationStatus


# -- export and round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("code", sorted(bundled_scales()))
def test_bundled_scale_exports_valid_fhir_and_round_trips_losslessly(code: str) -> None:
    defn = bundled_scales()[code]
    exported = export_questionnaire(defn, copyright="free")
    assert_valid_r4(exported)
    result = import_questionnaire(json.loads(json.dumps(exported)))
    assert result.issues == ()
    assert result.definition == defn
    assert dumps(result.definition) == dumps(defn)  # also keeps int vs float
    assert result.copyright == "free"
    assert export_questionnaire(result.definition, copyright="free") == exported


def test_export_maps_the_fhir_names() -> None:
    q = export_questionnaire(bundled_scales()["phq9"])
    assert (q["version"], q["status"], q["language"]) == ("1", "active", "zh-CN")
    assert q["identifier"][0]["value"] == "phq9"
    group = q["item"][0]
    q1 = group["item"][0]
    assert q1["text"] == "做事时提不起劲或没有兴趣"
    translation = q1["_text"]["extension"][0]
    assert translation["url"] == "http://hl7.org/fhir/StructureDefinition/translation"
    assert {"url": "lang", "valueCode": "en"} in translation["extension"]
    coding = q1["answerOption"][3]["valueCoding"]
    assert coding["code"] == "3" and coding["display"] == "几乎每天"
    assert coding["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 3}
    ]
    total = q["item"][-1]
    assert total["linkId"] == "total" and total["readOnly"] is True and total["type"] == "decimal"
    expression = total["extension"][0]["valueExpression"]["expression"]
    assert expression.startswith("%resource.repeat(item).where(linkId='q1').answer.value.ordinal().sum() + ")
    rules = [e for e in q["extension"] if e["url"] == URL_CRITICAL_RULE]
    assert len(rules) == 2
    assert {"url": "threshold", "valueInteger": 0} in rules[0]["extension"]


def _kitchen_sink() -> dict[str, Any]:
    """A draft that uses every feature the engine has, in awkward combinations."""
    yes_no = [{"code": "y", "display": "是", "ordinalValue": 1}, {"code": "n", "display": {"en": "No"}}]
    levels = [
        {"code": f"s{n}", "display": {"zh_CN": f"{n}级", "en": f"level {n}"}, "ordinalValue": n}
        for n in range(1, 6)
    ]
    return {
        "code": "kitchen sink/ü",
        "version": 7,
        "status": "retired",
        "title": {"en": "English only"},
        "item": [
            {
                "linkId": "g",
                "type": "group",
                "required": True,
                "text": {"zh_CN": "只有中文"},
                "item": [
                    {
                        "linkId": "w",
                        "type": "quantity",
                        "unit": "kg",
                        "minValue": 20,
                        "maxValue": 250.5,
                        "initial": [{"value": 60, "unit": "kg"}],
                    },
                    {"linkId": "bp", "type": "quantity", "unit": "mmHg"},
                    {
                        "linkId": "sat",
                        "type": "choice",
                        "satisfaction": True,
                        "answerOption": levels,
                        "initial": ["s4"],
                        "readOnly": True,
                    },
                ],
            },
            {
                "linkId": "oc",
                "type": "open-choice",
                "answerOption": yes_no,
                "repeats": True,
                "initial": ["y", "free text"],
                "minLength": 1,
                "maxLength": 20,
                "regex": "[a-z ]+",
            },
            {"linkId": "oc2", "type": "open-choice", "initial": ["typed"]},
            {
                "linkId": "d",
                "type": "date",
                "minValue": "2020-01-01",
                "maxValue": "2030-12-31",
                "initial": ["2026-01-01"],
            },
            {
                "linkId": "dt",
                "type": "dateTime",
                "enableWhen": [{"question": "d", "operator": ">=", "answerDate": "2025-01-01"}],
            },
            {"linkId": "b", "type": "boolean", "initial": [False]},
            {
                "linkId": "n",
                "type": "integer",
                "minValue": 0.5,
                "initial": [3],
                "enableWhen": [{"question": "w", "operator": ">", "answerQuantity": {"value": 80}}],
                "enableBehavior": "any",
            },
            {
                "linkId": "x",
                "type": "decimal",
                "initial": [36.0],
                "enableWhen": [
                    {"question": "sat", "operator": ">=", "answerDecimal": 3.5},
                    {"question": "b", "operator": "exists", "answerBoolean": False},
                    {"question": "oc", "operator": "!=", "answerCoding": {"code": "n"}},
                    {"question": "bp", "operator": "=", "answerQuantity": {"value": 120, "unit": "mmHg"}},
                ],
            },
            {
                "linkId": "t",
                "type": "text",
                "text": "same",
                "enableWhen": [
                    {"question": "n", "operator": "<", "answerInteger": 2},
                    {"question": "dt", "operator": "exists", "answerBoolean": True},
                ],
            },
            {
                "linkId": "s",
                "type": "string",
                "text": {"zh_CN": "不同", "en": "different"},
                "enableWhen": [{"question": "t", "operator": "=", "answerString": "x"}],
            },
            {"linkId": "info", "type": "display", "text": "注意 it's' \\ 'quoted"},
        ],
        "score": [
            {
                "name": "n",
                "title": {"en": "collides with item n"},
                "item": [
                    {"linkId": "sat", "weight": 2},
                    {"linkId": "b", "weight": 0.5},
                    {"linkId": "n", "weight": -1},
                    {"linkId": "w", "weight": 1},
                    {"linkId": "oc", "weight": 1},
                    {"linkId": "sat", "weight": 1},
                ],
                "band": [
                    {"min": 0, "max": 9.5, "label": {"zh_CN": "低"}},
                    {"min": 10, "max": 1000, "label": {"en": "high"}},
                ],
            },
            {"name": "it's", "item": ["x"]},
        ],
        "criticalRule": [
            {
                "code": "r1",
                "target": "sat",
                "operator": "in",
                "threshold": ["s1", "s2"],
                "severity": "warning",
                "message": {"zh_CN": "{value}"},
            },
            {
                "code": "r2",
                "target": "b",
                "operator": "=",
                "threshold": True,
                "severity": "critical",
                "message": {},
            },
            {
                "code": "r3",
                "target": "it's",
                "operator": "<",
                "threshold": 1.5,
                "severity": "critical",
                "message": {"en": "low {value}"},
            },
            {
                "code": "r4",
                "target": "w",
                "operator": ">=",
                "threshold": {"value": 100, "unit": "kg"},
                "severity": "warning",
                "message": "双语 same",
            },
            {
                "code": "r5",
                "target": "oc",
                "operator": "!=",
                "threshold": "y",
                "severity": "warning",
                "message": "",
            },
            {"code": "r6", "target": "x", "operator": "in", "threshold": [1, 2.5], "severity": "warning"},
            {"code": "r7", "target": "d", "operator": "<", "threshold": "2024-01-01", "severity": "warning"},
        ],
    }


def test_every_engine_feature_round_trips() -> None:
    defn = from_dict(_kitchen_sink())
    exported = export_questionnaire(defn, source_version="7.0-beta")
    assert_valid_r4(exported)
    result = import_questionnaire(json.dumps(exported, ensure_ascii=False))
    assert result.issues == ()
    assert dumps(result.definition) == dumps(defn)
    assert result.source_version == "7.0-beta"
    assert result.definition.status == PublicationStatus.RETIRED
    item_ids = {i["linkId"] for i in walk_items(exported["item"])}
    assert {"n", "n-score", "it's"} <= item_ids  # the score named like item "n" got its own linkId


def test_samples_round_trip() -> None:
    for defn in (phq9(), discharge_followup()):
        assert_valid_r4(export_questionnaire(defn))
        assert dumps(import_questionnaire(export_questionnaire(defn)).definition) == dumps(defn)


# -- third-party imports ---------------------------------------------------------------------------
def _issue_keys(result: Any) -> set[tuple[str, str]]:
    return {(i.link_id, i.what) for i in result.issues}


def test_import_loinc_style_phq9() -> None:
    data = fixture("loinc_phq9.json")
    Questionnaire.model_validate(data)  # the fixture itself is valid FHIR
    result = import_questionnaire(data)
    defn = result.definition
    assert (defn.code, defn.version, defn.status) == ("PHQ_9", 2, PublicationStatus.PUBLISHED)
    assert result.source_version == "2.72"
    assert result.copyright is not None and result.copyright.startswith("Copyright © Pfizer")
    assert (defn.title.en, defn.title.zh) == ("PHQ-9 quick depression assessment panel", "PHQ-9 抑郁快速评估")
    q1 = defn.find("/44250-9")
    assert q1 is not None and q1.required and q1.text.zh == "做事时提不起劲或没有兴趣"
    first = q1.answer_options[0]
    assert (first.code, first.ordinal, first.display.en, first.display.zh) == (
        "LA6568-5",
        0,
        "Not at all",
        "完全不会",
    )
    assert defn.find("/69722-7").answer_options[0].ordinal is None  # type: ignore[union-attr]
    assert defn.find("/44261-6") is None  # the total item became the score
    (score,) = defn.scores
    assert score.name == "/44261-6" and len(score.items) == 9 and {e.weight for e in score.items} == {1}
    answers = {e.link_id: "LA6571-9" for e in score.items}
    assert compute_scores(defn, answers)["/44261-6"].value == 27
    keys = _issue_keys(result)
    assert ("/44250-9", "code") in keys and ("/44250-9", "prefix") in keys
    assert ("/44250-9", "extension questionnaire-itemControl") in keys
    assert ("", "version '2.72'") in keys and ("", "code system http://loinc.org") in keys
    assert any(i.what.startswith("metadata") and "publisher" in i.what for i in result.issues)


def test_import_lhc_style_gad7_with_option_lookups() -> None:
    result = import_questionnaire(fixture("lhc_gad7.json"))
    defn = result.definition
    assert (defn.code, defn.version, defn.status) == ("69737-5", 1, PublicationStatus.DRAFT)
    (score,) = defn.scores
    assert [e.link_id for e in score.items][:2] == ["/69725-0", "/68509-9"] and len(score.items) == 7
    assert defn.find("/69725-0").answer_options[2].ordinal == 2  # type: ignore[union-attr]
    bmi = defn.find("/bmi")
    assert bmi is not None and bmi.read_only  # an unsupported calculation is kept, reported, not computed
    (issue,) = [i for i in result.issues if i.link_id == "/bmi"]
    assert issue.what.startswith("calculatedExpression '%resource") and "operator '/'" in issue.why


def test_import_sdc_style_form() -> None:
    data = fixture("sdc_postop.json")
    Questionnaire.model_validate(data)
    result = import_questionnaire(data)
    defn = result.definition
    assert [i.link_id for i in defn.items][:3] == ["vitals", "wound_group", "symptoms"]
    assert defn.title.zh == "术后电话随访" and defn.find("vitals").text.zh == "生命体征"  # type: ignore[union-attr]
    weight = defn.find("weight")
    assert weight is not None and (weight.unit, weight.min_value, weight.max_value) == ("kg", 20, 250)
    temp = defn.find("temp")
    assert temp is not None and "°C" in temp.text.en and temp.min_value == 34.0
    assert defn.find("measured_at").regex is not None  # type: ignore[union-attr]
    assert defn.find("wound_photo") is None and defn.find("site").type == "string"  # type: ignore[union-attr]
    wound_state = defn.find("wound_state")
    assert wound_state is not None and wound_state.initial == ("dry",)
    assert wound_state.option("pus").display.zh == "流脓"  # type: ignore[union-attr]
    detail = defn.find("wound_detail")
    assert (
        detail is not None
        and detail.enable_behavior == "any"
        and (detail.min_length, detail.max_length) == (2, 300)
    )
    phone = defn.find("phone")
    assert phone is not None and phone.repeats and phone.regex == r"1[3-9]\d{9}"
    (score,) = defn.scores
    assert [(e.link_id, e.weight) for e in score.items] == [("nausea", 1), ("pain", 1), ("fever_days", 2)]
    answers = {"nausea": "severe", "pain": "3", "fever_days": 1}
    assert compute_scores(defn, answers)["symptom_score"].value == 7
    assert is_enabled(defn, {"has_wound": True, "wound_state": "red"}, "wound_detail")
    assert not is_enabled(defn, {"has_wound": False, "wound_state": "red"}, "wound_detail")
    assert is_enabled(defn, {"weight": {"value": 101, "unit": "kg"}}, "heavy")
    assert is_enabled(defn, {"temp": 38.6, "weight": {"value": 70}}, "fever_note")
    assert not is_enabled(defn, {"temp": 38.6}, "fever_note")
    keys = _issue_keys(result)
    for expected in [
        ("weight", "unitOption"),
        ("temp", "unit"),
        ("measured_at", "type time"),
        ("wound_photo", "type attachment"),
        ("pain", "answerOption valueInteger"),
        ("phone", "extension questionnaire-hidden"),
        ("site", "type url"),
    ]:
        assert expected in keys
    assert sum(1 for i in result.issues if i.link_id == "pain") == 1  # one issue for four options


def test_imported_forms_round_trip_through_our_export() -> None:
    for name in ("loinc_phq9.json", "lhc_gad7.json", "sdc_postop.json"):
        first = import_questionnaire(fixture(name))
        exported = export_questionnaire(
            first.definition, copyright=first.copyright, source_version=first.source_version
        )
        assert_valid_r4(exported)
        again = import_questionnaire(exported)
        assert dumps(again.definition) == dumps(first.definition), name
        assert (again.issues, again.copyright, again.source_version) == (
            (),
            first.copyright,
            first.source_version,
        )


def test_external_value_set_becomes_free_text_and_is_reported() -> None:
    data = {
        "resourceType": "Questionnaire",
        "name": "Ext",
        "status": "draft",
        "item": [
            {"linkId": "q", "type": "choice", "text": "Q", "answerValueSet": "http://loinc.org/vs/LL358-3"}
        ],
    }
    result = import_questionnaire(data)
    assert result.definition.find("q").type == "open-choice"  # type: ignore[union-attr]
    assert ("q", "answerValueSet") in _issue_keys(result)
