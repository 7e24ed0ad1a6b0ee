"""The bundled scales: they load, pass the definition checks, and score and alert as published."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nurse_app.domain.forms import bundled as bundled_module
from nurse_app.domain.forms import (
    check_definition,
    compute_scores,
    evaluate_critical,
    to_answers,
    validate_answers,
)
from nurse_app.domain.forms.bundled import (
    BundledScalesError,
    bundled_entries,
    bundled_scale,
    bundled_scales,
    scales_dir,
)
from nurse_app.domain.forms.definition import FormDefinition, ItemType
from nurse_app.domain.model import AlertSeverity, PublicationStatus

CODES = (
    "general_followup",
    "satisfaction",
    "phq9",
    "gad7",
    "nrs_pain",
    "barthel",
    "heart_failure",
    "stroke",
    "diabetes",
    "postop_recovery",
)


def scale(code: str) -> FormDefinition:
    return bundled_scales()[code]


def fired(code: str, answers: dict[str, Any]) -> set[str]:
    return {a.rule_code for a in evaluate_critical(scale(code), answers)}


def total(code: str, answers: dict[str, Any], name: str = "total") -> tuple[float, str]:
    result = compute_scores(scale(code), answers, lang="en")[name]
    return result.value, result.label


def test_every_scale_is_bundled_published_and_valid() -> None:
    scales = bundled_scales()
    assert set(scales) == set(CODES)
    for code, defn in scales.items():
        assert defn.code == code
        assert defn.version == 1
        assert defn.status == PublicationStatus.PUBLISHED
        assert check_definition(defn) == []


def test_every_text_is_in_chinese_and_english_and_every_file_has_a_copyright_note() -> None:
    for code, entry in bundled_entries().items():
        data = json.loads(entry.path.read_text(encoding="utf-8"))
        assert data["copyright"].strip() == entry.copyright and entry.copyright, code
        defn = entry.definition
        assert defn.title.zh and defn.title.en, code
        for item, _ in defn.walk():
            assert item.text.zh and item.text.en, (code, item.link_id)
            for opt in item.answer_options:
                assert opt.display.zh and opt.display.en, (code, item.link_id, opt.code)
        for rule in defn.critical_rules:
            assert rule.message.zh and rule.message.en, (code, rule.code)


def test_readme_says_eq5d_is_not_bundled() -> None:
    readme = (scales_dir() / "README.md").read_text(encoding="utf-8")
    assert "EQ-5D" in readme and "not** bundled" in readme
    assert not any("eq5d" in code.lower() for code in bundled_scales())


def test_demo_plans_only_use_bundled_scales() -> None:
    from nurse_app.demo.catalog import DEMO_PLANS

    used = {code for plan in DEMO_PLANS for step in plan.steps for code in step.questionnaires}
    assert used <= set(bundled_scales())


def test_demo_answers_fit_general_followup_and_satisfaction() -> None:
    answers = {
        "systolic_bp": 132,
        "temperature": 36.7,
        "pain_nrs": 2,
        "medication_adherence": "occasional_miss",
    }
    for adherence in ("regular", "occasional_miss", "stopped"):
        answers["medication_adherence"] = adherence
        problems = validate_answers(scale("general_followup"), answers)
        assert {p.code for p in problems if p.link_id in answers} == set()
    levels = {lid: "4" for lid in ("overall", "nursing", "doctor", "environment", "discharge_guidance")}
    assert validate_answers(scale("satisfaction"), levels) == []


def test_bundled_scale_lookup_names_the_known_codes() -> None:
    assert bundled_scale("phq9").code == "phq9"
    with pytest.raises(BundledScalesError, match="phq9"):
        bundled_scale("eq5d")


def test_missing_resources_folder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setattr(bundled_module, "__file__", str(tmp_path / "a" / "b" / "c" / "bundled.py"))
    with pytest.raises(BundledScalesError, match="resources folder not found"):
        bundled_module.resources_dir()


# -- PHQ-9 / GAD-7 ---------------------------------------------------------------------------------
def _spread(count: int, points: int) -> dict[str, str]:
    """Answers to q1..q<count> (0–3 each) that add up to ``points``."""
    out = {}
    for n in range(1, count + 1):
        take = min(3, points)
        out[f"q{n}"] = str(take)
        points -= take
    assert points == 0
    return out


@pytest.mark.parametrize(
    ("points", "label"),
    [
        (0, "None-minimal"),
        (4, "None-minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_bands(points: int, label: str) -> None:
    assert total("phq9", _spread(9, points)) == (points, label)


def test_phq9_all_threes_is_27_severe_with_both_alerts() -> None:
    answers = dict.fromkeys((f"q{n}" for n in range(1, 10)), "3")
    assert total("phq9", answers) == (27, "Severe")
    alerts = {a.rule_code: a for a in evaluate_critical(scale("phq9"), answers)}
    assert alerts["PHQ9_SELF_HARM"].severity == AlertSeverity.CRITICAL
    assert alerts["PHQ9_SEVERE"].severity == AlertSeverity.WARNING


def test_phq9_item9_rule_fires_on_any_positive_answer_only() -> None:
    assert "PHQ9_SELF_HARM" not in fired("phq9", {"q9": "0"})
    assert "PHQ9_SELF_HARM" in fired("phq9", {"q9": "1"})


def test_phq9_difficulty_item_shows_once_a_problem_is_checked() -> None:
    from nurse_app.domain.forms import enabled_items

    assert "q10" not in enabled_items(scale("phq9"), _spread(9, 0))
    assert "q10" in enabled_items(scale("phq9"), {**_spread(9, 0), "q4": "1"})


@pytest.mark.parametrize(
    ("points", "label"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_bands(points: int, label: str) -> None:
    assert total("gad7", _spread(7, points)) == (points, label)


# -- NRS / Barthel ---------------------------------------------------------------------------------
def test_nrs_rule_fires_at_7_not_at_6() -> None:
    assert fired("nrs_pain", {"pain_nrs": 6}) == set()
    assert fired("nrs_pain", {"pain_nrs": 7}) == {"PAIN_SEVERE"}
    assert total("nrs_pain", {"pain_nrs": 7}, "pain") == (7, "Severe pain")
    assert total("nrs_pain", {"pain_nrs": 0}, "pain") == (0, "No pain")


def _barthel_items() -> list[Any]:
    return [item for item, _ in scale("barthel").walk() if item.type == ItemType.CHOICE]


def test_barthel_has_ten_items_scored_0_5_10_15() -> None:
    items = _barthel_items()
    assert len(items) == 10
    maxima = sorted(max(o.ordinal for o in item.answer_options) for item in items)
    assert maxima == [5, 5, 10, 10, 10, 10, 10, 10, 15, 15]
    for item in items:
        assert all(o.ordinal in (0, 5, 10, 15) and o.code == str(o.ordinal) for o in item.answer_options)


def test_barthel_full_independence_is_100() -> None:
    best = {item.link_id: max(item.answer_options, key=lambda o: o.ordinal).code for item in _barthel_items()}
    assert total("barthel", best) == (100, "Independent")
    assert fired("barthel", best) == set()


@pytest.mark.parametrize(
    ("points", "label", "alert"),
    [
        (0, "Severe dependence", True),
        (40, "Severe dependence", True),
        (45, "Moderate dependence", False),
        (60, "Moderate dependence", False),
        (65, "Mild dependence", False),
        (95, "Mild dependence", False),
    ],
)
def test_barthel_bands(points: int, label: str, alert: bool) -> None:
    answers: dict[str, str] = {}
    left = points
    for item in _barthel_items():
        best = max(o.ordinal for o in item.answer_options if o.ordinal <= left)
        answers[item.link_id] = str(int(best))
        left -= best
    assert left == 0
    assert total("barthel", answers) == (points, label)
    assert ("BARTHEL_SEVERE_DEPENDENCE" in fired("barthel", answers)) is alert


# -- satisfaction ----------------------------------------------------------------------------------
def test_satisfaction_items_are_flagged_five_point_items() -> None:
    defn = scale("satisfaction")
    flagged = [item for item, _ in defn.walk() if item.satisfaction]
    assert [i.link_id for i in flagged] == [
        "overall",
        "nursing",
        "doctor",
        "environment",
        "discharge_guidance",
    ]
    for item in flagged:
        by_ordinal = {o.ordinal: o for o in item.answer_options}
        assert sorted(by_ordinal) == [1, 2, 3, 4, 5]
        assert (by_ordinal[5].display.zh, by_ordinal[5].display.en) == ("非常满意", "Very satisfied")
        assert (by_ordinal[4].display.zh, by_ordinal[4].display.en) == ("满意", "Satisfied")
    comment = defn.find("comment")
    assert comment is not None and comment.type == ItemType.TEXT and not comment.satisfaction
    answers = to_answers(defn, {"overall": "5", "nursing": "4", "comment": "很好"})
    assert [(a.link_id, a.ordinal, a.is_satisfaction) for a in answers] == [
        ("overall", 5, True),
        ("nursing", 4, True),
        ("comment", None, False),
    ]


# -- general follow-up -----------------------------------------------------------------------------
def test_general_followup_has_the_items_the_demo_data_uses() -> None:
    defn = scale("general_followup")
    for link_id in ("systolic_bp", "diastolic_bp", "temperature", "heart_rate", "blood_glucose", "pain_nrs"):
        assert defn.find(link_id) is not None, link_id
    adherence = defn.find("medication_adherence")
    assert adherence is not None
    assert {"regular", "occasional_miss", "stopped"} <= {o.code for o in adherence.answer_options}
    wound = defn.find("wound")
    assert wound is not None and wound.option("red_swollen_discharging") is not None
    assert wound.option("red_swollen_discharging").display.en == "Red, swollen, discharging"
    for link_id in ("next_visit", "diet", "activity", "symptoms"):
        assert defn.find(link_id) is not None


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"systolic_bp": 180}, {"SBP_HIGH"}),
        ({"systolic_bp": 179}, set()),
        ({"systolic_bp": 90}, {"SBP_LOW"}),
        ({"systolic_bp": 91}, set()),
        ({"temperature": 39.0}, {"FEVER"}),
        ({"temperature": 38.9}, set()),
        ({"pain_nrs": 7}, {"PAIN_SEVERE"}),
        ({"pain_nrs": 6}, set()),
        ({"has_wound": True, "wound": "red_swollen_discharging"}, {"WOUND_INFECTED"}),
        ({"has_wound": True, "wound": "red_swollen"}, set()),
        ({"has_wound": False, "wound": "red_swollen_discharging"}, set()),  # hidden item: no alert
        ({"blood_glucose": 3.9}, {"GLUCOSE_LOW"}),
        ({"blood_glucose": 16.7}, {"GLUCOSE_HIGH"}),
        ({"medication_adherence": "stopped"}, {"MED_STOPPED"}),
    ],
)
def test_general_followup_rules(answers: dict[str, Any], expected: set[str]) -> None:
    assert fired("general_followup", answers) == expected


# -- disease scales --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        ("heart_failure", {"weight_gain_3d": 2.5}, {"HF_WEIGHT_GAIN"}),
        ("heart_failure", {"weight_gain_3d": 2}, set()),
        ("heart_failure", {"nyha": "IV", "orthopnoea": True}, {"HF_NYHA_IV", "HF_ORTHOPNOEA"}),
        ("heart_failure", {"nyha": "III", "oedema": "above_knee"}, {"HF_OEDEMA"}),
        ("heart_failure", {"diuretic_adherence": "stopped"}, {"DIURETIC_STOPPED"}),
        ("stroke", {"new_weakness": True}, {"STROKE_WEAKNESS"}),
        ("stroke", {"speech_change": True, "face_droop": False}, {"STROKE_SPEECH"}),
        ("stroke", {"antithrombotic_adherence": "stopped"}, {"ANTITHROMBOTIC_STOPPED"}),
        ("diabetes", {"fasting_glucose": 3.9}, {"FASTING_GLUCOSE_LOW"}),
        ("diabetes", {"fasting_glucose": 4.0, "postmeal_glucose": 16.6}, set()),
        ("diabetes", {"postmeal_glucose": 16.7}, {"POSTMEAL_GLUCOSE_HIGH"}),
        ("diabetes", {"hypo_episodes": 2, "severe_hypo": True}, {"HYPO_EPISODES", "SEVERE_HYPO"}),
        ("diabetes", {"foot_problem": ["numbness", "ulcer"]}, {"DIABETIC_FOOT"}),
        ("diabetes", {"on_insulin": True, "insulin_adherence": "stopped"}, {"INSULIN_STOPPED"}),
        (
            "postop_recovery",
            {"wound": "red_swollen_discharging", "pain_nrs": 7},
            {"WOUND_INFECTED", "PAIN_SEVERE"},
        ),
        ("postop_recovery", {"temperature": 38.5}, {"POSTOP_FEVER"}),
        ("postop_recovery", {"has_drain": True, "drainage_character": "purulent"}, {"DRAINAGE_ABNORMAL"}),
        ("postop_recovery", {"has_drain": False, "drainage_ml": 500}, set()),  # drain group hidden
        (
            "postop_recovery",
            {"calf_swelling": True, "bowel_function": "no_flatus"},
            {"DVT_SIGNS", "ILEUS_SIGNS"},
        ),
    ],
)
def test_disease_scale_rules(code: str, answers: dict[str, Any], expected: set[str]) -> None:
    assert fired(code, answers) == expected


def test_stroke_warning_signs_say_call_120() -> None:
    alerts = evaluate_critical(scale("stroke"), {"face_droop": True})
    assert alerts[0].severity == AlertSeverity.CRITICAL
    assert "120" in alerts[0].message("zh_CN") and "120" in alerts[0].message("en")


@pytest.mark.parametrize(
    ("grade", "label"), [("0", "No significant disability"), ("3", "Moderate disability")]
)
def test_stroke_mrs_grade(grade: str, label: str) -> None:
    assert total("stroke", {"mrs": grade}, "mrs_grade") == (int(grade), label)
