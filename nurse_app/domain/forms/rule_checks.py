"""Definition checks for scores and critical-value rules (split from :mod:`checks` to stay small)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    NON_QUESTION_TYPES,
    ORDERING_OPERATORS,
    CriticalRule,
    FormDefinition,
    Item,
    ItemType,
    RuleOperator,
)
from nurse_app.domain.forms.values import INVALID, coerce_condition
from nurse_app.domain.model import AlertSeverity

Add = Callable[..., None]

#: Item types whose answer can be counted in a score: ordinals, yes = 1, or the number itself.
SCORABLE_TYPES = frozenset(
    {
        ItemType.CHOICE,
        ItemType.OPEN_CHOICE,
        ItemType.BOOLEAN,
        ItemType.INTEGER,
        ItemType.DECIMAL,
        ItemType.QUANTITY,
    }
)
#: What a score looks like to a rule: a number.
SCORE_TYPE = ItemType.DECIMAL
_RULE_OPS = frozenset(o.value for o in RuleOperator)
_SEVERITIES = frozenset(s.value for s in AlertSeverity)
_UNORDERED = frozenset({ItemType.BOOLEAN, ItemType.STRING, ItemType.TEXT})


def _bad_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, (int, float))


def check_scores(definition: FormDefinition, by_id: dict[str, Item], add: Add) -> None:
    """Score names unique, items present and scorable, scored options with ordinals, sane bands."""
    seen: set[str] = set()
    for score in definition.scores:
        name = score.name
        if name in seen:
            add(name, "duplicate_score", score=name)
        seen.add(name)
        if not score.items:
            add(name, "score_empty", score=name)
        for entry in score.items:
            item = by_id.get(entry.link_id)
            if item is None:
                add(name, "score_missing_item", score=name, item=entry.link_id)
                continue
            if item.type not in SCORABLE_TYPES:
                add(name, "score_item_not_scorable", score=name, item=entry.link_id)
                continue
            if _bad_number(entry.weight):
                add(name, "bad_value", item=name, field="weight", value=entry.weight)
            if item.type == ItemType.CHOICE:
                for opt in item.answer_options:
                    if opt.ordinal is None:
                        add(name, "score_option_no_ordinal", score=name, item=item.link_id, value=opt.code)
        valid = []
        for band in score.bands:
            if _bad_number(band.min) or _bad_number(band.max):
                add(name, "bad_value", item=name, field="band", value=f"{band.min}–{band.max}")
            elif band.min > band.max:
                add(name, "band_min_gt_max", score=name, min=band.min, max=band.max)
            else:
                valid.append(band)
        valid.sort(key=lambda b: (b.min, b.max))
        for prev, nxt in itertools.pairwise(valid):
            if nxt.min <= prev.max:
                add(name, "band_overlap", score=name, a=f"{prev.min}–{prev.max}", b=f"{nxt.min}–{nxt.max}")


def rule_target_type(definition: FormDefinition, by_id: dict[str, Item], target: str) -> str | None:
    """The type a rule's target compares as: the item's type, :data:`SCORE_TYPE` for a score, else None."""
    item = by_id.get(target)
    if item is not None:
        return item.type
    if definition.score(target) is not None:
        return SCORE_TYPE
    return None


def threshold_problem(
    rule: CriticalRule, target_type: str, item: Item | None, threshold: object
) -> str | None:
    """The problem code of ``threshold`` for ``rule`` (``rule_threshold``/``rule_unknown_option``) or None."""
    op = rule.operator
    if op in ORDERING_OPERATORS and target_type in _UNORDERED:
        return "rule_threshold"
    key = coerce_condition(target_type, op, threshold)
    if key is INVALID:
        return "rule_threshold"
    if item is not None and item.type == ItemType.CHOICE and op in ("=", "!=", "in"):
        codes = key if op == "in" else {key}
        if any(item.option(code) is None for code in codes):
            return "rule_unknown_option"
    return None


def check_rules(definition: FormDefinition, by_id: dict[str, Item], add: Add) -> None:
    """Rule codes unique, targets exist and answer, operators/severities known, thresholds fit."""
    seen: set[str] = set()
    for rule in definition.critical_rules:
        code = rule.code
        if code in seen:
            add(code, "duplicate_rule", rule=code)
        seen.add(code)
        if rule.severity not in _SEVERITIES:
            add(code, "bad_value", item=code, field="severity", value=rule.severity)
        if rule.operator not in _RULE_OPS:
            add(code, "bad_value", item=code, field="operator", value=rule.operator)
            continue
        item = by_id.get(rule.target)
        if item is not None and definition.score(rule.target) is not None:
            add(code, "rule_ambiguous_target", rule=code, target=rule.target)
            continue
        target_type = rule_target_type(definition, by_id, rule.target)
        if target_type is None:
            add(code, "rule_missing_target", rule=code, target=rule.target)
            continue
        if target_type in NON_QUESTION_TYPES:
            add(code, "rule_target_not_question", rule=code, target=rule.target)
            continue
        if item is not None and item.type in CHOICE_TYPES and rule.operator in ORDERING_OPERATORS:
            # Ordinal comparison: every option needs an ordinal or a choice could slip past the rule.
            for opt in item.answer_options:
                if opt.ordinal is None:
                    add(code, "rule_option_no_ordinal", rule=code, item=item.link_id, value=opt.code)
        problem = threshold_problem(rule, target_type, item, rule.threshold)
        if problem:
            add(code, problem, rule=code, target=rule.target, op=rule.operator, value=rule.threshold)
