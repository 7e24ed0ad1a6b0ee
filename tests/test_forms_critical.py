"""Critical-value rules on items and scores, every operator, and ward overrides."""

from __future__ import annotations

from typing import Any

import pytest

from nurse_app.domain.forms import (
    DISABLED,
    FormDefinition,
    check_overrides,
    evaluate_critical,
    from_dict,
    unknown_override_codes,
)
from nurse_app.domain.forms.samples import discharge_followup, phq9
from nurse_app.domain.model import AlertSeverity

BASE = {"has_wound": False, "pain": 1, "meds": True}


def fired(defn: FormDefinition, answers: dict[str, Any], overrides: Any = None) -> list[str]:
    return [a.rule_code for a in evaluate_critical(defn, answers, overrides)]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"sbp": {"value": 180, "unit": "mmHg"}}, ["sbp_high"]),
        ({"sbp": {"value": 179, "unit": "mmHg"}}, []),
        ({"sbp": {"value": 90}}, ["sbp_low"]),
        ({"sbp": {"value": 91}}, []),
        ({"temp": 39.0}, ["fever"]),
        ({"temp": 38.9}, []),
        ({"pain": 7}, ["pain_severe"]),
        ({"pain": 6}, []),
        ({"has_wound": True, "wound": "red_swollen_discharging"}, ["wound_infected"]),
        ({"has_wound": True, "wound": "red_swollen"}, []),
    ],
)
def test_vital_sign_rules_at_thresholds(answers: dict[str, Any], expected: list[str]) -> None:
    assert fired(discharge_followup(), {**BASE, **answers}) == expected


def test_alert_carries_severity_messages_value_and_threshold() -> None:
    [alert] = evaluate_critical(discharge_followup(), {**BASE, "sbp": {"value": 200, "unit": "mmHg"}})
    assert alert.severity is AlertSeverity.CRITICAL
    assert alert.message_zh == "收缩压200 mmHg ≥ 180"
    assert alert.message_en == "Systolic BP 200 mmHg ≥ 180"
    assert alert.message("en") == alert.message_en
    assert alert.message() == alert.message_zh
    assert (alert.value, alert.target, alert.threshold) == (200, "sbp", 180)


def test_hidden_or_invalid_answers_raise_nothing() -> None:
    defn = discharge_followup()
    assert fired(defn, {**BASE, "wound": "red_swollen_discharging"}) == []  # has_wound is False
    assert fired(defn, {**BASE, "temp": "40"}) == []
    assert fired(defn, {}) == []


def test_phq9_item9_on_ordinal_and_total_on_score() -> None:
    defn = phq9()
    assert fired(defn, {"q9": "0"}) == []
    assert fired(defn, {"q9": "1"}) == ["phq9_q9_positive"]
    severe = {f"q{n}": "3" for n in range(1, 8)}  # 21 from seven items: already severe while filling
    alerts = evaluate_critical(defn, severe)
    assert [a.rule_code for a in alerts] == ["phq9_total_severe"]
    assert alerts[0].severity is AlertSeverity.WARNING
    assert alerts[0].message_en == "PHQ-9 total 21: severe depression"


def rule_scale(operator: str, threshold: Any, item: dict[str, Any]) -> FormDefinition:
    return from_dict(
        {
            "code": "R",
            "version": 1,
            "status": "draft",
            "title": "r",
            "item": [{"linkId": "x", **item}],
            "criticalRule": [
                {
                    "code": "r",
                    "target": "x",
                    "operator": operator,
                    "threshold": threshold,
                    "severity": "warning",
                }
            ],
        }
    )


CHOICE = {
    "type": "choice",
    "repeats": True,
    "answerOption": [{"code": c, "display": c, "ordinalValue": n} for n, c in enumerate("abc")],
}


@pytest.mark.parametrize(
    ("operator", "threshold", "item", "hit", "miss"),
    [
        (">=", 5, {"type": "integer"}, [5, 6], [4]),
        ("<=", 5, {"type": "integer"}, [5, 4], [6]),
        (">", 5, {"type": "decimal"}, [5.1], [5, 4.9]),
        ("<", 5, {"type": "decimal"}, [4.9], [5]),
        ("=", True, {"type": "boolean"}, [True], [False]),
        ("!=", "a", CHOICE, ["b", ["a", "c"]], ["a"]),
        ("=", "b", CHOICE, ["b", ["a", "b"]], ["a", "c"]),
        ("in", ["b", "c"], CHOICE, ["c", ["a", "b"]], ["a"]),
        (">", 1, CHOICE, ["c"], ["a", "b"]),
        ("in", [1, 2], {"type": "integer"}, [1, 2], [3]),
        (">=", "2025-03-01", {"type": "date"}, ["2025-03-01"], ["2025-02-28"]),
    ],
)
def test_each_operator(
    operator: str, threshold: Any, item: dict[str, Any], hit: list[Any], miss: list[Any]
) -> None:
    defn = rule_scale(operator, threshold, item)
    for value in hit:
        assert fired(defn, {"x": value}) == ["r"], value
    for value in miss:
        assert fired(defn, {"x": value}) == [], value


def test_ward_override_changes_threshold_or_disables() -> None:
    defn = discharge_followup()
    answers = {**BASE, "sbp": {"value": 170, "unit": "mmHg"}, "temp": 39.2}
    assert fired(defn, answers) == ["fever"]
    assert fired(defn, answers, {"sbp_high": 160}) == ["sbp_high", "fever"]
    assert fired(defn, answers, {"sbp_high": 160, "fever": None}) == ["sbp_high"]
    assert fired(defn, answers, {"fever": DISABLED}) == []
    assert fired(defn, answers, {"other_scale_rule": 1}) == ["fever"]  # codes of other scales are ignored
    [alert] = evaluate_critical(defn, answers, {"sbp_high": 160, "fever": None})
    assert alert.threshold == 160
    assert alert.message_zh == "收缩压170 mmHg ≥ 160"


def test_bad_override_keeps_the_scales_threshold_and_is_reported() -> None:
    defn = discharge_followup()
    answers = {**BASE, "sbp": {"value": 185, "unit": "mmHg"}, "has_wound": True, "wound": "red_swollen"}
    # A typo in the ward configuration must neither crash the call nor silence the alarm.
    assert fired(defn, answers, {"sbp_high": "high"}) == ["sbp_high"]
    assert fired(defn, answers, {"wound_infected": ["red_swollen"]}) == ["sbp_high", "wound_infected"]
    problems = check_overrides(
        defn,
        {"sbp_high": "high", "wound_infected": ["pus"], "fever": 38.5, "pain_severe": None, "zz": 1},
        lang="en",
    )
    assert [(p.link_id, p.code) for p in problems] == [
        ("sbp_high", "override_threshold"),
        ("wound_infected", "rule_unknown_option"),
    ]
    assert problems[0].message == "ward override for rule 'sbp_high' has an unsuitable threshold 'high'"
    assert unknown_override_codes([defn, phq9()], {"fever": 1, "phq9_q9_positive": 1, "typo": 2}) == ["typo"]
