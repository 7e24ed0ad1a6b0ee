"""enableWhen: every operator, enableBehavior any/all, nested groups, and a reference evaluation."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nurse_app.domain.forms import FormDefinition, enabled_items, from_dict, is_enabled, prune_hidden

ABC = [{"code": c, "display": c.upper(), "ordinalValue": n} for n, c in enumerate("abc")]


def scale(items: list[dict[str, Any]]) -> FormDefinition:
    return from_dict({"code": "T", "version": 1, "status": "draft", "title": "t", "item": items})


def gated(
    source: dict[str, Any], operator: str, key: str, value: Any, behavior: str = "all"
) -> FormDefinition:
    target = {
        "linkId": "x",
        "type": "string",
        "enableWhen": [{"question": source["linkId"], "operator": operator, key: value}],
        "enableBehavior": behavior,
    }
    return scale([source, target])


INTEGER = {"linkId": "n", "type": "integer"}
DECIMAL = {"linkId": "n", "type": "decimal"}
CHOICE = {"linkId": "n", "type": "choice", "answerOption": ABC}


@pytest.mark.parametrize(
    ("operator", "threshold", "shown_for", "hidden_for"),
    [
        ("=", 5, [5, [1, 5]], [4, None, [1, 2]]),
        ("!=", 5, [4, None, [1, 2]], [5, [1, 5]]),
        (">", 5, [6, [1, 9]], [5, 4, None]),
        ("<", 5, [4, [9, 1]], [5, 6, None]),
        (">=", 5, [5, 6], [4, None]),
        ("<=", 5, [5, 4], [6, None]),
    ],
)
def test_integer_operators(
    operator: str, threshold: int, shown_for: list[Any], hidden_for: list[Any]
) -> None:
    defn = gated(INTEGER, operator, "answerInteger", threshold)
    for value in shown_for:
        assert is_enabled(defn, {"n": value}, "x"), (operator, value)
    for value in hidden_for:
        assert not is_enabled(defn, {"n": value}, "x"), (operator, value)


def test_decimal_and_quantity_compare_numbers() -> None:
    defn = gated(DECIMAL, ">=", "answerDecimal", 38.5)
    assert is_enabled(defn, {"n": 38.5}, "x")
    assert is_enabled(defn, {"n": 39}, "x")
    assert not is_enabled(defn, {"n": 38.4}, "x")
    qty = gated({"linkId": "n", "type": "quantity", "unit": "mmHg"}, ">", "answerQuantity", {"value": 140})
    assert is_enabled(qty, {"n": {"value": 141, "unit": "mmHg"}}, "x")
    assert not is_enabled(qty, {"n": {"value": 140, "unit": "mmHg"}}, "x")


@pytest.mark.parametrize("present", [True, False])
def test_exists(present: bool) -> None:
    defn = gated({"linkId": "n", "type": "string"}, "exists", "answerBoolean", present)
    assert is_enabled(defn, {"n": "x"}, "x") is present
    assert is_enabled(defn, {}, "x") is not present
    # Blank text and empty lists are no answer.
    assert is_enabled(defn, {"n": "  "}, "x") is not present
    assert is_enabled(defn, {"n": []}, "x") is not present


def test_boolean_equality() -> None:
    defn = gated({"linkId": "n", "type": "boolean"}, "=", "answerBoolean", False)
    assert is_enabled(defn, {"n": False}, "x")
    assert not is_enabled(defn, {"n": True}, "x")
    assert not is_enabled(defn, {"n": 0}, "x")  # 0 is not "no"
    assert not is_enabled(defn, {}, "x")


def test_choice_equality_by_code_and_ordering_by_ordinal() -> None:
    eq = gated(CHOICE, "=", "answerCoding", {"code": "b"})
    assert is_enabled(eq, {"n": "b"}, "x")
    assert is_enabled(eq, {"n": ["a", "b"]}, "x")
    assert not is_enabled(eq, {"n": "c"}, "x")
    ge = gated(CHOICE, ">=", "answerInteger", 1)
    assert is_enabled(ge, {"n": "b"}, "x")
    assert is_enabled(ge, {"n": "c"}, "x")
    assert not is_enabled(ge, {"n": "a"}, "x")
    assert not is_enabled(ge, {"n": "unknown"}, "x")


def test_dates_compare_as_dates() -> None:
    defn = gated({"linkId": "n", "type": "date"}, "<", "answerDate", "2025-03-01")
    assert is_enabled(defn, {"n": "2025-02-28"}, "x")
    assert not is_enabled(defn, {"n": "2025-03-01"}, "x")
    assert not is_enabled(defn, {"n": "yesterday"}, "x")
    dt = gated({"linkId": "n", "type": "dateTime"}, ">", "answerDateTime", "2025-03-01T08:00:00+08:00")
    assert is_enabled(dt, {"n": "2025-03-01T01:00:00Z"}, "x")  # 09:00 in Beijing
    assert not is_enabled(dt, {"n": "2025-02-28T23:00:00Z"}, "x")


def test_wrong_types_never_match_and_never_raise() -> None:
    defn = gated(INTEGER, ">", "answerInteger", 5)
    for value in ("9", True, {"value": 9}, [None, "x"], 9.5, float("nan")):
        assert not is_enabled(defn, {"n": value}, "x"), value


def two_conditions(behavior: str) -> FormDefinition:
    return scale(
        [
            {"linkId": "a", "type": "boolean"},
            {"linkId": "b", "type": "integer"},
            {
                "linkId": "x",
                "type": "string",
                "enableWhen": [
                    {"question": "a", "operator": "=", "answerBoolean": True},
                    {"question": "b", "operator": ">=", "answerInteger": 7},
                ],
                "enableBehavior": behavior,
            },
        ]
    )


@pytest.mark.parametrize(
    ("a", "b", "all_", "any_"),
    [(True, 8, True, True), (True, 1, False, True), (False, 8, False, True), (False, 1, False, False)],
)
def test_enable_behavior(a: bool, b: int, all_: bool, any_: bool) -> None:
    assert is_enabled(two_conditions("all"), {"a": a, "b": b}, "x") is all_
    assert is_enabled(two_conditions("any"), {"a": a, "b": b}, "x") is any_


def nested() -> FormDefinition:
    return scale(
        [
            {"linkId": "wound", "type": "boolean"},
            {
                "linkId": "g",
                "type": "group",
                "enableWhen": [{"question": "wound", "operator": "=", "answerBoolean": True}],
                "item": [
                    {"linkId": "state", "type": "choice", "answerOption": ABC},
                    {
                        "linkId": "inner",
                        "type": "group",
                        "enableWhen": [{"question": "state", "operator": "=", "answerCoding": {"code": "c"}}],
                        "item": [{"linkId": "photo", "type": "string"}],
                    },
                ],
            },
            {
                "linkId": "later",
                "type": "string",
                "enableWhen": [{"question": "state", "operator": "exists", "answerBoolean": True}],
            },
        ]
    )


def test_disabled_group_disables_children_and_their_answers() -> None:
    defn = nested()
    assert enabled_items(defn, {}) == {"wound"}
    assert enabled_items(defn, {"wound": True}) == {"wound", "g", "state"}
    assert enabled_items(defn, {"wound": True, "state": "c"}) == {
        "wound",
        "g",
        "state",
        "inner",
        "photo",
        "later",
    }
    # The nurse changes her mind: the stale answer to the hidden "state" no longer shows "later".
    stale = {"wound": False, "state": "c", "photo": "红肿"}
    assert enabled_items(defn, stale) == {"wound"}
    assert prune_hidden(defn, stale) == {"wound": False}
    assert prune_hidden(defn, {"wound": True, "state": "a", "photo": "x", "extra": 1}) == {
        "wound": True,
        "state": "a",
        "extra": 1,
    }


# ---- property: the engine agrees with a straightforward recursive evaluation ----------------

_OPS = {
    "boolean": ["exists", "=", "!="],
    "integer": ["exists", "=", "!=", ">", "<", ">=", "<="],
    "decimal": ["exists", "=", "!=", ">", "<", ">=", "<="],
    "choice": ["exists", "=", "!=", ">", "<", ">=", "<="],
}


def _constant(kind: str, op: str) -> st.SearchStrategy[Any]:
    if op == "exists" or kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(-3, 3)
    if kind == "decimal":
        return st.sampled_from([-1.5, 0.0, 0.5, 2.0])
    return st.sampled_from("abc") if op in ("=", "!=") else st.sampled_from([0, 1, 2, 1.5])


def _value(kind: str) -> st.SearchStrategy[Any]:
    good = {
        "boolean": st.booleans(),
        "integer": st.integers(-3, 3),
        "decimal": st.sampled_from([-1.5, 0.0, 0.5, 2.0, 3]),
        "choice": st.sampled_from("abcz"),
    }[kind]
    junk = st.sampled_from([None, "", "x", 1, True, 2.5, {"value": 1}])
    return st.one_of(good, st.lists(good, max_size=3), junk)


@st.composite
def forms_and_answers(draw: st.DrawFn) -> tuple[FormDefinition, dict[str, Any]]:
    ids = itertools.count()
    questions: list[tuple[str, str]] = []

    def conditions() -> dict[str, Any]:
        if not questions or not draw(st.booleans()):
            return {}
        out = []
        for _ in range(draw(st.integers(1, 3))):
            lid, kind = draw(st.sampled_from(questions))
            op = draw(st.sampled_from(_OPS[kind]))
            out.append({"question": lid, "operator": op, "answer": draw(_constant(kind, op))})
        return {"enableWhen": out, "enableBehavior": draw(st.sampled_from(["all", "any"]))}

    def question() -> dict[str, Any]:
        kind = draw(st.sampled_from(list(_OPS)))
        spec = {"linkId": f"q{next(ids)}", "type": kind, **conditions()}
        if kind == "choice":
            spec["answerOption"] = ABC
        questions.append((spec["linkId"], kind))
        return spec

    def node(depth: int) -> dict[str, Any]:
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            spec = {"linkId": f"g{next(ids)}", "type": "group", **conditions()}
            spec["item"] = [node(depth + 1) for _ in range(draw(st.integers(1, 3)))]
            return spec
        return question()

    items = [node(0) for _ in range(draw(st.integers(1, 8)))]
    answers = {lid: draw(_value(kind)) for lid, kind in questions if draw(st.booleans())}
    return scale(items), answers


def _key(kind: str, value: Any, op: str, item: Any) -> Any:
    """Reference coercion, written independently of the engine's."""
    if kind == "boolean":
        return value if type(value) is bool else None
    if kind in ("integer", "decimal"):
        if type(value) not in (int, float) or not math.isfinite(value):
            return None
        if kind == "integer" and not float(value).is_integer():
            return None
        return value
    if type(value) is not str:
        return None
    if op in ("=", "!="):
        return value
    option = item.option(value)
    return option.ordinal if option else None


def reference_enabled(defn: FormDefinition, answers: dict[str, Any]) -> set[str]:
    by_id = {item.link_id: item for item, _ in defn.walk()}
    parent = {item.link_id: (p.link_id if p else None) for item, p in defn.walk()}

    def enabled(lid: str) -> bool:
        item = by_id[lid]
        if parent[lid] is not None and not enabled(parent[lid]):
            return False
        results = [holds(c) for c in item.enable_when]
        if not results:
            return True
        return any(results) if item.enable_behavior == "any" else all(results)

    def values(lid: str) -> list[Any]:
        if not enabled(lid):
            return []
        raw = answers.get(lid)
        raw = raw if isinstance(raw, list) else [raw]
        return [
            v
            for v in raw
            if v is not None and v != "" and not (isinstance(v, dict) and v.get("value") is None)
        ]

    def holds(cond: Any) -> bool:
        source = by_id[cond.question]
        vals = values(cond.question)
        if cond.operator == "exists":
            return bool(vals) == cond.answer
        keys = [_key(source.type, v, cond.operator, source) for v in vals]
        keys = [k for k in keys if k is not None]
        if cond.operator == "=":
            return cond.answer in keys
        if cond.operator == "!=":
            return cond.answer not in keys
        compare = {">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__}[
            cond.operator
        ]
        return any(compare(float(k), float(cond.answer)) for k in keys)

    return {lid for lid in by_id if enabled(lid)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms_and_answers())
def test_engine_matches_reference_evaluation(case: tuple[FormDefinition, dict[str, Any]]) -> None:
    defn, answers = case
    assert enabled_items(defn, answers) == reference_enabled(defn, answers)
