"""A definition compiled once into flat, index-based structures for the per-keystroke evaluation.

:func:`compile_form` checks the definition (raising :class:`FormDefinitionError`)
and precomputes: items in document order with parent indexes, enableWhen
conditions with their constants already coerced, option → ordinal maps,
parsed bounds, compiled regexes, and score/rule targets resolved to indexes.
The result is cached per definition object; definitions are frozen, so the
cache can never go stale (an edited draft is a new object and compiles anew).
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from nurse_app.domain.forms.checks import ensure_valid
from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    NON_QUESTION_TYPES,
    CriticalRule,
    EnableBehavior,
    FormDefinition,
    Item,
    ItemType,
    LocalText,
    ScoreDefinition,
)
from nurse_app.domain.forms.rule_checks import SCORE_TYPE
from nurse_app.domain.forms.values import INVALID, coerce_condition, coerce_constant


class Condition:
    """One enableWhen, resolved: ``source`` is an item index, ``key`` the coerced constant."""

    __slots__ = ("by_ordinal", "key", "op", "source")

    def __init__(self, source: int, op: str, key: Any, by_ordinal: bool) -> None:
        self.source = source
        self.op = op
        self.key = key
        self.by_ordinal = by_ordinal  # ordering on a choice compares the chosen option's ordinal


class CompiledItem:
    """Everything the evaluation needs about one item, precomputed."""

    __slots__ = (
        "any_behavior",
        "conditions",
        "descendants",
        "index",
        "item",
        "link_id",
        "max",
        "max_length",
        "min",
        "min_length",
        "ordinals",
        "parent",
        "question",
        "regex",
        "text",
        "type",
    )

    def __init__(self, index: int, item: Item, parent: int) -> None:
        self.index = index
        self.item = item
        self.link_id: str = item.link_id
        self.type: str = item.type
        self.text: LocalText = item.text
        self.parent = parent  # -1 at top level
        self.question = item.type not in NON_QUESTION_TYPES
        self.conditions: tuple[Condition, ...] = ()
        self.any_behavior = item.enable_behavior == EnableBehavior.ANY
        self.ordinals: dict[str, float | None] = {o.code: o.ordinal for o in item.answer_options}
        bound_type = ItemType.DECIMAL if item.type == ItemType.INTEGER else item.type
        self.min = None if item.min_value is None else coerce_constant(bound_type, item.min_value)
        self.max = None if item.max_value is None else coerce_constant(bound_type, item.max_value)
        self.min_length = item.min_length
        self.max_length = item.max_length
        self.regex = re.compile(item.regex) if item.regex is not None else None
        self.descendants: tuple[int, ...] = ()  # question indexes below a group, for "required group"

    def label(self, lang: str) -> str:
        return self.text.get(lang) or self.link_id


@dataclass(frozen=True, slots=True)
class CompiledScore:
    score: ScoreDefinition
    entries: tuple[tuple[int, float], ...]  # (item index, weight)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: CriticalRule
    item: int  # item index, or -1 for a score target
    target_type: str
    key: Any  # the coerced threshold


class CompiledForm:
    """The compiled, read-only view of one :class:`FormDefinition`."""

    def __init__(self, definition: FormDefinition) -> None:
        ensure_valid(definition)
        # No reference to ``definition`` itself: the cache keys on its lifetime (see compile_form).
        self.code = definition.code
        self.version = definition.version
        items: list[CompiledItem] = []
        self.index: dict[str, CompiledItem] = {}
        self._flatten(definition.items, -1, items)
        self.items: tuple[CompiledItem, ...] = tuple(items)
        for ci in items:
            ci.conditions = tuple(
                self._condition(c.question, c.operator, c.answer) for c in ci.item.enable_when
            )
        for ci in reversed(items):  # children come after parents: one backward pass collects descendants
            if ci.parent >= 0:
                parent = items[ci.parent]
                own = (ci.index,) if ci.question else ()
                parent.descendants = own + ci.descendants + parent.descendants
        self.scores: tuple[CompiledScore, ...] = tuple(
            CompiledScore(s, tuple((self.index[e.link_id].index, float(e.weight)) for e in s.items))
            for s in definition.scores
        )
        self.score_names = frozenset(s.name for s in definition.scores)
        self.rules: tuple[CompiledRule, ...] = tuple(self._rule(r) for r in definition.critical_rules)
        self.rule_codes = {r.rule.code: r for r in self.rules}

    def _flatten(self, items: tuple[Item, ...], parent: int, out: list[CompiledItem]) -> None:
        for item in items:
            ci = CompiledItem(len(out), item, parent)
            out.append(ci)
            self.index[item.link_id] = ci
            self._flatten(item.items, ci.index, out)

    def _condition(self, question: str, op: str, answer: object) -> Condition:
        source = self.index[question]
        by_ordinal = source.type in CHOICE_TYPES and op in (">", "<", ">=", "<=")
        return Condition(source.index, str(op), coerce_condition(source.type, op, answer), by_ordinal)

    def _rule(self, rule: CriticalRule) -> CompiledRule:
        ci = self.index.get(rule.target)
        target_type = ci.type if ci is not None else SCORE_TYPE
        key = coerce_condition(target_type, rule.operator, rule.threshold)
        return CompiledRule(rule, ci.index if ci is not None else -1, target_type, key)

    def threshold_key(self, rule: CompiledRule, threshold: object) -> Any:
        """The coerced key of an override ``threshold`` for ``rule`` (INVALID if it does not fit)."""
        return coerce_condition(rule.target_type, rule.rule.operator, threshold)


_cache: dict[int, tuple[weakref.ref[FormDefinition], CompiledForm]] = {}
_lock = threading.Lock()


def _forget(key: int, ref: weakref.ref[FormDefinition]) -> None:
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] is ref:
            del _cache[key]


def compile_form(definition: FormDefinition) -> CompiledForm:
    """The cached :class:`CompiledForm` of ``definition`` (compiled and checked on first use)."""
    key = id(definition)
    entry = _cache.get(key)
    # Compare identity through the weak reference: ids are reused after an object dies.
    if entry is not None and entry[0]() is definition:
        return entry[1]
    compiled = CompiledForm(definition)
    ref = weakref.ref(definition, lambda r, k=key: _forget(k, r))
    with _lock:
        _cache[key] = (ref, compiled)
    return compiled


__all__ = ["INVALID", "CompiledForm", "CompiledItem", "CompiledRule", "CompiledScore", "compile_form"]
