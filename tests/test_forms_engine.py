"""The ``evaluate`` entry point, ``to_answers``, the compiled-form cache, robustness under random input."""

from __future__ import annotations

import gc
import time
from datetime import datetime, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nurse_app.domain.forms import (
    FormDefinition,
    compile_form,
    compute_scores,
    evaluate,
    evaluate_critical,
    from_dict,
    set_title,
    to_answers,
    validate_answers,
)
from nurse_app.domain.forms.compiled import _cache
from nurse_app.domain.forms.samples import discharge_followup, discharge_followup_dict, phq9
from nurse_app.domain.model import SATISFIED_ORDINAL, Answer, Response


def test_evaluate_returns_everything_together() -> None:
    defn = discharge_followup()
    answers = {"sbp": {"value": 185, "unit": "mmHg"}, "has_wound": True, "pain": 3, "meds": True}
    result = evaluate(defn, answers, "en")
    assert "wound" in result.enabled and "pain_site" not in result.enabled
    assert [(p.link_id, p.code) for p in result.problems] == [("wound", "required")]
    assert result.problems_for("wound")[0].message == "'Wound status' is required"
    assert not result.ok
    assert [a.rule_code for a in result.alerts] == ["sbp_high"]
    assert result.scores == {}
    assert result.problems == tuple(validate_answers(defn, answers, "en"))
    assert list(result.alerts) == evaluate_critical(defn, answers)


def test_evaluate_scores_match_compute_scores() -> None:
    answers = {"q1": "1", "q9": "2"}
    result = evaluate(phq9(), answers)
    assert result.scores == compute_scores(phq9(), answers)
    assert result.scores["total"].label == "无/极轻微"
    assert [a.rule_code for a in result.alerts] == ["phq9_q9_positive"]


def test_to_answers_builds_a_response() -> None:
    defn = discharge_followup()
    answers = {
        "sbp": {"value": 130},
        "has_wound": False,
        "wound": "healed",  # hidden: left out
        "pain": 2,
        "meds": True,
        "satisfaction": "s5",
    }
    built = to_answers(defn, answers)
    assert built == (
        Answer("sbp", {"value": 130, "unit": "mmHg"}),
        Answer("has_wound", False),
        Answer("pain", 2),
        Answer("meds", True),
        Answer("satisfaction", "s5", ordinal=5, is_satisfaction=True),
    )
    assert answers["sbp"] == {"value": 130}  # the caller's dict is not touched
    response = Response(
        task_id="t",
        questionnaire_code=defn.code,
        questionnaire_version=defn.version,
        answers=built,
        submitted_by="nurse1",
        submitted_at=datetime(2025, 3, 1, tzinfo=timezone.utc),
    )
    satisfied = [a for a in response.answers if a.is_satisfaction and (a.ordinal or 0) >= SATISFIED_ORDINAL]
    assert len(satisfied) == 1


def test_to_answers_repeating_choice_gives_one_answer_per_value() -> None:
    data = discharge_followup_dict()
    data["item"].append(
        {
            "linkId": "symptoms",
            "type": "choice",
            "repeats": True,
            "answerOption": [
                {"code": "cough", "display": "咳嗽", "ordinalValue": 1},
                {"code": "fever", "display": "发热", "ordinalValue": 2},
            ],
        }
    )
    built = to_answers(from_dict(data), {"symptoms": ["cough", "fever"]})
    assert [(a.link_id, a.value, a.ordinal) for a in built] == [
        ("symptoms", "cough", 1),
        ("symptoms", "fever", 2),
    ]


def test_compiled_form_is_cached_per_definition_object() -> None:
    defn = phq9(status="draft")
    assert compile_form(defn) is compile_form(defn)
    edited = set_title(defn, defn.title)
    assert edited == defn and compile_form(edited) is not compile_form(defn)
    key = id(edited)
    assert key in _cache
    del edited
    gc.collect()
    assert key not in _cache or _cache[key][0]() is not None  # the dead definition's entry is gone


def test_sixty_item_scale_evaluates_fast() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_forms", Path(__file__).parents[1] / "bench" / "forms.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import random

    defn = bench.build_scale()
    rng = random.Random(1)
    sets = [bench.random_answers(defn, rng) for _ in range(300)]
    for answers in sets[:20]:
        evaluate(defn, answers)
    started = time.perf_counter()
    for answers in sets:
        evaluate(defn, answers)
    per_call_ms = (time.perf_counter() - started) * 1000 / len(sets)
    assert per_call_ms < 2.0  # the bar; typically ~0.2 ms


# ---- property: arbitrary answer sets never crash -----------------------------------------------

_JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        ["0", "3", "s4", "healed", "red_swollen_discharging", "2025-03-01", "2025-03-01T08:00:00"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["value", "unit"]), children)
    ),
    max_leaves=6,
)
_KEYS = st.sampled_from(
    [f"q{n}" for n in range(1, 10)]
    + ["phq", "sbp", "temp", "vitals", "has_wound", "wound", "pain", "pain_site", "meds", "meds_reason"]
    + ["phone", "satisfaction", "unknown"]
)
_DEFS: list[FormDefinition] = [phq9(), discharge_followup()]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([0, 1]),
    st.dictionaries(_KEYS, _JUNK, max_size=12),
    st.sampled_from(["zh_CN", "en", "fr"]),
)
def test_random_answers_never_crash(which: int, answers: dict[str, Any], lang: str) -> None:
    defn = _DEFS[which]
    result = evaluate(defn, answers, lang, overrides={"sbp_high": 170, "fever": None})
    assert all(p.message for p in result.problems)
    for score in result.scores.values():
        assert 0 <= score.answered <= score.enabled <= score.total
    to_answers(defn, answers)
