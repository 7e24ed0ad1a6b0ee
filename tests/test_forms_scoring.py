"""Scores: PHQ-9 bands at every boundary, partial answers, weights, hidden items, other item types."""

from __future__ import annotations

import pytest

from nurse_app.domain.forms import FormDefinition, compute_scores, from_dict
from nurse_app.domain.forms.samples import phq9


def phq_answers(total: int) -> dict[str, str]:
    """Nine answers summing to ``total`` (0..27), filled greedily with 3s."""
    answers = {}
    left = total
    for n in range(1, 10):
        points = min(3, left)
        answers[f"q{n}"] = str(points)
        left -= points
    assert left == 0
    return answers


@pytest.mark.parametrize(
    ("total", "zh", "en"),
    [
        (0, "无/极轻微", "None-minimal"),
        (4, "无/极轻微", "None-minimal"),
        (5, "轻度", "Mild"),
        (9, "轻度", "Mild"),
        (10, "中度", "Moderate"),
        (14, "中度", "Moderate"),
        (15, "中重度", "Moderately severe"),
        (19, "中重度", "Moderately severe"),
        (20, "重度", "Severe"),
        (27, "重度", "Severe"),
    ],
)
def test_phq9_bands_at_boundaries(total: int, zh: str, en: str) -> None:
    defn = phq9()
    result = compute_scores(defn, phq_answers(total))["total"]
    assert result.value == total
    assert result.label == zh
    assert compute_scores(defn, phq_answers(total), lang="en")["total"].label == en
    assert (result.answered, result.enabled, result.total) == (9, 9, 9)
    assert result.complete


def test_partial_answers_are_scored_live() -> None:
    result = compute_scores(phq9(), {"q1": "3", "q2": "2", "q5": ""})["total"]
    assert result.value == 5
    assert result.answered == 2
    assert not result.complete
    assert result.band is not None and result.band.min == 5
    empty = compute_scores(phq9(), {})["total"]
    assert (empty.value, empty.answered) == (0, 0)


def test_invalid_codes_and_types_do_not_count() -> None:
    result = compute_scores(phq9(), {"q1": "9", "q2": 3, "q3": "1"})["total"]
    assert (result.value, result.answered) == (1, 1)


def weighted() -> FormDefinition:
    opts = [{"code": c, "display": c, "ordinalValue": n} for n, c in enumerate("abc")]
    return from_dict(
        {
            "code": "W",
            "version": 1,
            "status": "draft",
            "title": "w",
            "item": [
                {"linkId": "gate", "type": "boolean"},
                {"linkId": "c", "type": "choice", "answerOption": opts, "repeats": True},
                {"linkId": "o", "type": "open-choice", "answerOption": opts},
                {"linkId": "b", "type": "boolean"},
                {"linkId": "i", "type": "integer"},
                {"linkId": "q", "type": "quantity", "unit": "kg"},
                {
                    "linkId": "hidden",
                    "type": "integer",
                    "enableWhen": [{"question": "gate", "operator": "=", "answerBoolean": True}],
                },
            ],
            "score": [
                {
                    "name": "s",
                    "item": [
                        {"linkId": "c", "weight": 2},
                        {"linkId": "o", "weight": 1},
                        {"linkId": "b", "weight": 10},
                        {"linkId": "i", "weight": 0.5},
                        {"linkId": "q", "weight": 1},
                        {"linkId": "hidden", "weight": 100},
                    ],
                    "band": [
                        {"min": 0, "max": 10, "label": "low"},
                        {"min": 10.5, "max": 1000, "label": "high"},
                    ],
                }
            ],
        }
    )


def test_weights_and_item_kinds() -> None:
    answers = {
        "c": ["b", "c"],
        "o": "free text",
        "b": True,
        "i": 4,
        "q": {"value": 1.5, "unit": "kg"},
        "hidden": 1,
    }
    result = compute_scores(weighted(), answers)["s"]
    # c: (1 + 2) * 2 = 6; o: free text counts nothing; b: 10; i: 2; q: 1.5; hidden: not shown.
    assert result.value == 19.5
    assert (result.answered, result.enabled, result.total) == (4, 5, 6)
    assert result.label == "high"
    shown = compute_scores(weighted(), {**answers, "gate": True})["s"]
    assert shown.value == 119.5
    assert (shown.answered, shown.enabled) == (5, 6)


def test_value_between_bands_has_no_label() -> None:
    result = compute_scores(weighted(), {"i": 21})["s"]
    assert result.value == 10.5
    assert result.label == "high"
    assert compute_scores(weighted(), {"i": 2.5})["s"].answered == 0  # not a whole number: not counted
    between = compute_scores(weighted(), {"q": {"value": 10.2}})["s"]
    assert between.band is None
    assert between.label == ""


def test_no_answer_boolean_counts_as_answered_zero() -> None:
    result = compute_scores(weighted(), {"b": False})["s"]
    assert (result.value, result.answered) == (0, 1)
