"""enableWhen evaluation: which items are shown for a given set of answers.

Semantics (FHIR R4, with the R5 wording of ``!=``):

* ``exists``: whether the question has an answer equals the bool constant;
* ``=``: at least one answer equals the constant;
* ``!=``: *no* answer equals the constant (so it holds for an unanswered question);
* ``>``, ``<``, ``>=``, ``<=``: at least one answer compares true; on choice
  questions the chosen option's ordinal is compared.

``enableBehavior`` ``all`` (default) needs every condition, ``any`` one of them.
An item under a disabled parent is disabled, and the answer of a disabled
question counts as no answer for the conditions of others — answers left
behind when the nurse changes her mind must not keep follow-up items visible.
Because the definition check forbids forward references, a single pass in
document order settles everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nurse_app.domain.forms.compiled import CompiledForm, Condition, compile_form
from nurse_app.domain.forms.definition import FormDefinition
from nurse_app.domain.forms.values import COMPARATORS, INVALID, answer_values, coerce


class FormState:
    """Per-evaluation view of the answers: values and keys per item index, and the enabled flags."""

    __slots__ = ("enabled", "form", "keys", "unknown", "values")

    def __init__(self, form: CompiledForm, answers: Mapping[str, object]) -> None:
        self.form = form
        count = len(form.items)
        self.values: list[list[object]] = [[]] * count  # shared empty list: never mutated
        self.keys: list[list[Any]] = [[]] * count
        self.enabled: list[bool] = [False] * count
        values, keys, enabled = self.values, self.keys, self.enabled
        get = answers.get
        for ci in form.items:
            i = ci.index
            if ci.question:
                raw = get(ci.link_id)
                if raw is not None:
                    vals = answer_values(raw)
                    if vals:
                        values[i] = vals
                        kind = ci.type
                        keys[i] = [coerce(kind, v) for v in vals]
            if ci.parent >= 0 and not enabled[ci.parent]:
                continue
            conditions = ci.conditions
            if not conditions:
                enabled[i] = True
            elif ci.any_behavior:
                enabled[i] = any(self._holds(c) for c in conditions)
            else:
                enabled[i] = all(self._holds(c) for c in conditions)
        index = form.index
        self.unknown = [k for k in answers if k not in index]

    def _holds(self, cond: Condition) -> bool:
        src = cond.source
        live = self.enabled[src]
        op = cond.op
        if op == "exists":
            return (live and bool(self.values[src])) == cond.key
        keys = self.keys[src] if live else []
        if cond.by_ordinal:
            ordinals = self.form.items[src].ordinals
            keys = [ordinals.get(k) if isinstance(k, str) else None for k in keys]
        target = cond.key
        if op == "=":
            return any(k is not INVALID and k == target for k in keys)
        if op == "!=":
            return not any(k is not INVALID and k == target for k in keys)
        compare = COMPARATORS[op]
        for k in keys:
            if k is None or k is INVALID:
                continue
            try:
                if compare(k, target):
                    return True
            except TypeError:
                continue
        return False

    def enabled_ids(self) -> frozenset[str]:
        items = self.form.items
        return frozenset(items[i].link_id for i, on in enumerate(self.enabled) if on)


def build_state(definition: FormDefinition | CompiledForm, answers: Mapping[str, object]) -> FormState:
    """Evaluate values and enableWhen for ``answers`` once; validation, scoring and rules share it."""
    form = definition if isinstance(definition, CompiledForm) else compile_form(definition)
    return FormState(form, answers)


def enabled_items(definition: FormDefinition, answers: Mapping[str, object]) -> frozenset[str]:
    """The linkIds of every enabled item (groups and display items included) given ``answers``."""
    return build_state(definition, answers).enabled_ids()


def is_enabled(definition: FormDefinition, answers: Mapping[str, object], link_id: str) -> bool:
    """Whether the item ``link_id`` is shown given ``answers`` (KeyError for an unknown linkId)."""
    form = compile_form(definition)
    return build_state(form, answers).enabled[form.index[link_id].index]
