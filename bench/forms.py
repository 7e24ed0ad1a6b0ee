"""Benchmark of the form engine's per-keystroke work (bar: a 60-item scale under 2000 µs).

Builds a 60-item scale (groups, every answer type, enableWhen chains, 2 scores,
5 critical rules), then times ``evaluate`` — enableWhen + validation + scoring
+ critical rules — over a few thousand random answer sets (including wrong
types and answers to hidden items). Run from the repository root:

    python bench/forms.py

The last line is ``evaluate_us=<median microseconds per evaluation>``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nurse_app.domain.forms import compile_form, evaluate, from_dict
from nurse_app.domain.forms.definition import FormDefinition

SETS = 3000
SEED = 20240601


def _t(text: str) -> dict[str, str]:
    return {"zh_CN": text, "en": text}


def _options(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"code": f"{prefix}{n}", "display": _t(f"{prefix} {n}"), "ordinalValue": n} for n in range(count)]


def build_scale() -> FormDefinition:
    """The 60-item benchmark scale."""
    phq = [
        {
            "linkId": f"phq{n}",
            "type": "choice",
            "required": True,
            "text": _t(f"PHQ {n}"),
            "answerOption": _options("p", 4),
        }
        for n in range(1, 10)
    ]
    vitals = [
        {
            "linkId": "sbp",
            "type": "quantity",
            "unit": "mmHg",
            "minValue": 40,
            "maxValue": 300,
            "required": True,
        },
        {"linkId": "dbp", "type": "quantity", "unit": "mmHg", "minValue": 20, "maxValue": 200},
        {"linkId": "hr", "type": "integer", "minValue": 20, "maxValue": 250},
        {"linkId": "temp", "type": "decimal", "minValue": 34, "maxValue": 43, "required": True},
        {"linkId": "weight", "type": "decimal", "minValue": 1, "maxValue": 300},
    ]
    symptoms: list[dict[str, Any]] = []
    for n in range(1, 11):
        symptoms.append(
            {"linkId": f"sym{n}", "type": "boolean", "required": True, "text": _t(f"Symptom {n}")}
        )
        symptoms.append(
            {
                "linkId": f"sev{n}",
                "type": "choice",
                "required": True,
                "answerOption": _options("s", 4),
                "enableWhen": [{"question": f"sym{n}", "operator": "=", "answerBoolean": True}],
            }
        )
    misc = [
        {"linkId": "pain", "type": "integer", "minValue": 0, "maxValue": 10, "required": True},
        {
            "linkId": "pain_site",
            "type": "string",
            "maxLength": 40,
            "enableWhen": [
                {"question": "pain", "operator": ">=", "answerInteger": 4},
                {"question": "sym1", "operator": "exists", "answerBoolean": True},
            ],
            "enableBehavior": "any",
        },
        {"linkId": "phone", "type": "string", "regex": r"1\d{10}"},
        {"linkId": "note1", "type": "text", "maxLength": 500},
        {"linkId": "note2", "type": "text", "minLength": 2, "maxLength": 200},
        {"linkId": "visit_date", "type": "date", "minValue": "2020-01-01", "maxValue": "2030-12-31"},
        {"linkId": "next_visit", "type": "dateTime"},
        {"linkId": "diet", "type": "open-choice", "answerOption": _options("d", 3), "maxLength": 30},
        {"linkId": "wound", "type": "choice", "answerOption": _options("w", 3), "required": True},
        {
            "linkId": "wound_note",
            "type": "text",
            "required": True,
            "enableWhen": [{"question": "wound", "operator": ">=", "answerDecimal": 1}],
        },
        {"linkId": "meds", "type": "boolean"},
        {"linkId": "discharge_day", "type": "integer", "minValue": 0, "maxValue": 365},
        {"linkId": "caregiver", "type": "string", "minLength": 2, "maxLength": 20},
        {"linkId": "rehab", "type": "open-choice", "answerOption": _options("r", 4)},
        {
            "linkId": "meds_reason",
            "type": "choice",
            "repeats": True,
            "answerOption": _options("m", 5),
            "enableWhen": [{"question": "meds", "operator": "!=", "answerBoolean": True}],
        },
    ]
    satisfaction = [
        {
            "linkId": f"sat{n}",
            "type": "choice",
            "satisfaction": True,
            "answerOption": [
                {"code": f"v{k}", "display": _t(str(k)), "ordinalValue": k} for k in range(1, 6)
            ],
        }
        for n in range(1, 6)
    ]
    items = [
        {"linkId": "intro", "type": "display", "text": _t("Intro")},
        {"linkId": "g_phq", "type": "group", "item": phq},
        {"linkId": "g_vitals", "type": "group", "item": vitals},
        {"linkId": "g_sym", "type": "group", "item": symptoms},
        {"linkId": "g_misc", "type": "group", "item": misc},
        {
            "linkId": "g_sat",
            "type": "group",
            "item": satisfaction,
            "enableWhen": [{"question": "phq1", "operator": "exists", "answerBoolean": True}],
        },
    ]
    data = {
        "code": "BENCH-60",
        "version": 1,
        "status": "published",
        "title": _t("Benchmark"),
        "item": items,
        "score": [
            {
                "name": "phq_total",
                "item": [f"phq{n}" for n in range(1, 10)],
                "band": [
                    {"min": lo, "max": hi, "label": _t(label)}
                    for lo, hi, label in (
                        (0, 4, "none"),
                        (5, 9, "mild"),
                        (10, 14, "moderate"),
                        (15, 19, "mod-severe"),
                        (20, 27, "severe"),
                    )
                ],
            },
            {"name": "burden", "item": [{"linkId": f"sev{n}", "weight": 1.5} for n in range(1, 11)]},
        ],
        "criticalRule": [
            {"code": "sbp_high", "target": "sbp", "operator": ">=", "threshold": 180, "severity": "critical"},
            {"code": "sbp_low", "target": "sbp", "operator": "<=", "threshold": 90, "severity": "critical"},
            {"code": "fever", "target": "temp", "operator": ">=", "threshold": 39.0, "severity": "critical"},
            {"code": "phq9_q9", "target": "phq9", "operator": ">", "threshold": 0, "severity": "critical"},
            {
                "code": "phq_severe",
                "target": "phq_total",
                "operator": ">=",
                "threshold": 20,
                "severity": "warning",
            },
        ],
    }
    defn = from_dict(data)
    count = sum(1 for _ in defn.walk())
    assert count == 60, count
    return defn


def _value(item_type: str, rng: random.Random, options: list[str]) -> Any:
    if item_type == "boolean":
        return rng.random() < 0.5
    if item_type in ("choice", "open-choice"):
        return rng.choice(options) if rng.random() < 0.9 else "free text"
    if item_type == "integer":
        return rng.randint(-5, 300)
    if item_type == "decimal":
        return round(rng.uniform(30, 45), 1)
    if item_type == "quantity":
        return {"value": rng.randint(50, 220), "unit": "mmHg"}
    if item_type == "date":
        return f"20{rng.randint(15, 35)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if item_type == "dateTime":
        return f"2025-03-0{rng.randint(1, 9)}T10:{rng.randint(10, 59)}:00+08:00"
    return rng.choice(["13800138000", "头痛", "x", "a" * 60])


def random_answers(defn: FormDefinition, rng: random.Random) -> dict[str, Any]:
    """A random, partly wrong answer set: ~80% of items answered, a few wrong types."""
    answers: dict[str, Any] = {}
    for item, _ in defn.walk():
        if item.type in ("group", "display") or rng.random() < 0.2:
            continue
        options = [o.code for o in item.answer_options]
        value = _value(item.type, rng, options) if rng.random() < 0.95 else "wrong"
        answers[item.link_id] = [value] if item.repeats else value
    return answers


def main() -> None:
    defn = build_scale()
    started = time.perf_counter()
    compile_form(defn)
    compile_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(SEED)
    sets = [random_answers(defn, rng) for _ in range(SETS)]
    for answers in sets[:200]:  # warm-up
        evaluate(defn, answers)
    timings = []
    alerts = problems = 0
    for answers in sets:
        t0 = time.perf_counter_ns()
        result = evaluate(defn, answers, "zh_CN")
        timings.append(time.perf_counter_ns() - t0)
        alerts += len(result.alerts)
        problems += len(result.problems)
    median_us = statistics.median(timings) / 1000
    p95_us = statistics.quantiles(timings, n=20)[-1] / 1000
    print(f"items=60 answer_sets={SETS} compile_ms={compile_ms:.2f}")
    print(f"problems_per_set={problems / SETS:.1f} alerts_per_set={alerts / SETS:.2f}")
    print(f"p95_us={p95_us:.1f} bar_us=2000 ratio_to_bar={median_us / 2000:.3f}")
    print(f"evaluate_us={median_us:.1f}")


if __name__ == "__main__":
    main()
