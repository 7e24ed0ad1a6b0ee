"""FHIR R4 interchange: export validity, lossless round trips, third-party imports, bad files, responses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import compute_scores, dumps, from_dict, is_enabled
from nurse_app.domain.forms.bundled import bundled_scales
from nurse_app.domain.forms.fhir import (
    URL_CRITICAL_RULE,
    FormImportError,
    export_questionnaire,
    export_response,
    import_questionnaire,
)
from nurse_app.domain.forms.samples import discharge_followup, phq9
from nurse_app.domain.model import Answer, PublicationStatus

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
# Extension value types of FHIR R4 (fhir.resources validates R4B, which adds a few: keep to R4's).
R4_VALUE_TYPES = frozenset(
    [
        "Boolean",
        "Code",
        "Coding",
        "Date",
        "DateTime",
        "Decimal",
        "Expression",
        "Integer",
        "Quantity",
        "String",
        "CodeableConcept",
    ]
)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out.extend(_walk(item.get("item", [])))
    return out


def _extensions(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.extend(node.get("extension", []))
        for value in node.values():
            found.extend(_extensions(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_extensions(value))
    return found


def assert_valid_r4(q: dict[str, Any]) -> None:
    """Structure by fhir.resources (R4B ≈ R4 for Questionnaire) plus the R4 invariants it does not check."""
    Questionnaire.model_validate(q)
    assert q["status"] in ("draft", "active", "retired", "unknown")
    assert re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", q["name"])  # que-0
    items = _walk(q["item"])
    link_ids = [i["linkId"] for i in items]
    assert len(link_ids) == len(set(link_ids))  # que-2
    for item in items:
        kind = item["type"]
        assert (kind == "group") == bool(item.get("item")) or kind != "display"  # que-1
        if kind == "group":
            assert item.get("item")
        if kind == "display":
            assert not item.get("item") and not item.get("required") and not item.get("repeats")  # que-1/6
        if len(item.get("enableWhen", [])) > 1:
            assert item["enableBehavior"] in ("all", "any")  # que-12
        if item.get("answerOption"):
            assert kind in ("choice", "open-choice") and "initial" not in item  # que-5, que-11
        if len(item.get("initial", [])) > 1:
            assert item.get("repeats")  # que-13
        for cond in item.get("enableWhen", []):
            if cond["operator"] == "exists":
                assert "answerBoolean" in cond  # que-7
    for ext in _extensions(q):
        values = [k[5:] for k in ext if k.startswith("value")]
        assert len(values) <= 1 and (not values or values[0] in R4_VALUE_TYPES), ext
        assert bool(values) != bool(ext.get("extension")), ext  # ext-1: value or children, not both


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
    item_ids = {i["linkId"] for i in _walk(exported["item"])}
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


# -- bad files -------------------------------------------------------------------------------------
def _q(*items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "name": "Bad", "status": "draft", "item": list(items)}


@pytest.mark.parametrize(
    ("data", "message", "link_id"),
    [
        ({"resourceType": "Patient", "id": "p1"}, "not a FHIR Questionnaire: resourceType is 'Patient'", ""),
        ("{not json", "not valid JSON", ""),
        ([1, 2], "not a FHIR Questionnaire: the JSON is a list", ""),
        ({"resourceType": "Questionnaire", "code": "phq9", "version": 1}, "our own JSON format", ""),
        (_q({"linkId": "x", "type": "slider", "text": "?"}), "item 'x' has unknown type 'slider'", "x"),
        (
            _q({"linkId": "g", "type": "group", "item": [{"linkId": "c", "type": "coding"}]}),
            "unknown type 'coding'",
            "c",
        ),
        (
            _q(
                {
                    "linkId": "a",
                    "type": "boolean",
                    "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": True}],
                },
                {
                    "linkId": "b",
                    "type": "boolean",
                    "enableWhen": [{"question": "a", "operator": "=", "answerBoolean": True}],
                },
            ),
            "enableWhen of item 'a' forms a cycle: a → b → a",
            "a",
        ),
        (
            _q(
                {
                    "linkId": "s",
                    "type": "string",
                    "enableWhen": [{"question": "s", "operator": "exists", "answerBoolean": True}],
                }
            ),
            "cycle: s → s",
            "s",
        ),
        (_q({"type": "string"}), "an item under the Questionnaire has no linkId", ""),
        (
            _q(
                {
                    "linkId": "t",
                    "type": "string",
                    "enableWhen": [{"question": "nope", "operator": "exists", "answerBoolean": True}],
                }
            ),
            "cannot import Questionnaire 'Bad'",
            "t",
        ),
    ],
)
def test_bad_inputs_are_refused_with_a_message(data: Any, message: str, link_id: str) -> None:
    with pytest.raises(FormImportError) as info:
        import_questionnaire(data)
    assert message in str(info.value)
    assert info.value.link_id == link_id
    assert isinstance(info.value, DomainError)


def test_a_failed_check_lists_every_problem() -> None:
    data = _q(
        {
            "linkId": "a",
            "type": "choice",
            "answerOption": [{"valueCoding": {"code": "x"}}, {"valueCoding": {"code": "x"}}],
        },
        {"linkId": "a", "type": "string"},
    )
    with pytest.raises(FormImportError) as info:
        import_questionnaire(data)
    assert len(info.value.problems) == 2 and "duplicate" in str(info.value).lower()


# -- QuestionnaireResponse -------------------------------------------------------------------------
def test_response_export_is_valid_fhir_with_scores() -> None:
    defn = bundled_scales()["phq9"]
    answers = {f"q{n}": "3" for n in range(1, 10)}
    response = export_response(
        defn,
        answers,
        response_id="r-1",
        subject_ref="Patient/p-1",
        authored="2026-11-28T09:00:00+08:00",
        author="Practitioner/n-1",
    )
    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"].endswith("/Questionnaire/phq9|1")
    assert response["item"][-1] == {"linkId": "total", "answer": [{"valueDecimal": 27.0}]}
    group = response["item"][0]
    assert [i["linkId"] for i in group["item"]] == [f"q{n}" for n in range(1, 10)]  # q10 unanswered: left out
    assert group["item"][8]["answer"][0]["valueCoding"]["code"] == "3"


def test_response_export_of_general_followup_from_model_answers() -> None:
    from datetime import datetime, timezone

    defn = bundled_scales()["general_followup"]
    answers = [
        Answer("symptoms", "chest"),
        Answer("symptoms", "other"),
        Answer("symptoms_other", "乏力"),
        Answer("systolic_bp", 185),
        Answer("temperature", 38.2),
        Answer("has_wound", False),
        Answer("wound", "healing"),  # hidden by has_wound = False: left out
        Answer("next_visit", "2026-12-01"),
    ]
    response = export_response(
        defn,
        answers,
        response_id="r-2",
        subject_ref="Patient/p-2",
        authored=datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc),
        author="nurse.li",
    )
    QuestionnaireResponse.model_validate(response)
    assert (
        response["author"] == {"display": "nurse.li"} and response["authored"] == "2026-11-28T01:00:00+00:00"
    )
    flat = {i["linkId"]: i for i in _walk(response["item"])}
    assert [a["valueCoding"]["code"] for a in flat["symptoms"]["answer"]] == ["chest", "other"]
    assert flat["systolic_bp"]["answer"] == [{"valueInteger": 185}]
    assert "wound" not in flat and flat["has_wound"]["answer"] == [{"valueBoolean": False}]


def test_response_nests_children_of_a_question_under_its_answer() -> None:
    defn = from_dict(
        {
            "code": "nest",
            "version": 1,
            "status": "published",
            "title": "n",
            "item": [
                {"linkId": "q", "type": "boolean", "item": [{"linkId": "why", "type": "string"}]},
                {"linkId": "w", "type": "quantity", "unit": "mmHg"},
            ],
        }
    )
    response = export_response(
        defn,
        {"q": True, "why": "因为", "w": {"value": 120}},
        response_id="r",
        subject_ref="Patient/p",
        authored="2026-01-01",
        author="n",
    )
    QuestionnaireResponse.model_validate(response)
    q = response["item"][0]
    assert q["answer"][0]["item"] == [{"linkId": "why", "answer": [{"valueString": "因为"}]}]
    assert response["item"][1]["answer"][0]["valueQuantity"]["code"] == "mm[Hg]"


def test_response_refuses_answers_it_cannot_write() -> None:
    defn = bundled_scales()["nrs_pain"]
    common = {"response_id": "r", "subject_ref": "Patient/p", "authored": "2026-01-01", "author": "n"}
    with pytest.raises(DomainError, match="pain_nrs"):
        export_response(defn, {"pain_nrs": "seven"}, **common)
    with pytest.raises(DomainError, match="ghost"):
        export_response(defn, {"ghost": 1}, **common)
