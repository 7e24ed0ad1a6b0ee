"""FHIR R4 interchange: bad files refused with a message; QuestionnaireResponse export."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir_checks import walk_items

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import from_dict
from nurse_app.domain.forms.bundled import bundled_scales
from nurse_app.domain.forms.fhir import (
    FormImportError,
    export_response,
    import_questionnaire,
)
from nurse_app.domain.model import Answer


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
    flat = {i["linkId"]: i for i in walk_items(response["item"])}
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
