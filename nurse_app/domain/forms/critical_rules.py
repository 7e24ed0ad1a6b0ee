"""Critical-value rules (危急值): alerts raised by item answers or scores, with ward overrides.

A rule fires when *any* answer of its (enabled) target item satisfies
``value <operator> threshold`` — for choice items ``=``/``!=``/``in`` compare
option codes and ordering operators compare the option's ordinal — or when its
target score, with at least one scored item answered, satisfies it. Scores are
sums of non-negative ordinals in practice, so a partial total that already
crosses a threshold is reported live during the call.

Ward overrides map a rule code to a new threshold, or to ``None`` /
:data:`DISABLED` to switch the rule off, without editing the (immutable)
scale. Codes the scale does not have are ignored, because one ward's override
set serves many scales. An override whose threshold does not fit its rule is
ignored in favour of the scale's own threshold — a configuration slip must
neither crash a call nor silence an alarm; :func:`check_overrides` reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nurse_app.domain.forms.compiled import CompiledRule, compile_form
from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    ORDERING_OPERATORS,
    FormDefinition,
    normalize_lang,
)
from nurse_app.domain.forms.enable_when import FormState, build_state
from nurse_app.domain.forms.messages import fmt, message
from nurse_app.domain.forms.problems import Problem
from nurse_app.domain.forms.rule_checks import threshold_problem
from nurse_app.domain.forms.scoring import ScoreResult, scores_of
from nurse_app.domain.forms.values import INVALID, compare
from nurse_app.domain.model import AlertSeverity


class _Disabled:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DISABLED"


#: Override value that switches a rule off (``None`` does the same).
DISABLED: Any = _Disabled()
_MISSING = object()

Overrides = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """A rule that fired: enough to create a ``model.Alert`` once the response is saved."""

    rule_code: str
    severity: AlertSeverity
    message_zh: str
    message_en: str
    value: object  # the answer (option code, number) or score value that crossed the threshold
    target: str = ""
    threshold: object = None  # the threshold in force, after any ward override

    def message(self, lang: str = "zh_CN") -> str:
        return self.message_en if normalize_lang(lang) == "en" else self.message_zh


def _render(template: str, value: object, threshold: object) -> str:
    # str.replace, not str.format: authors type free text and a stray brace must not break alerts.
    return template.replace("{value}", fmt(value)).replace("{threshold}", fmt(threshold))


def _first_match(state: FormState, rule: CompiledRule, key: Any) -> tuple[bool, object]:
    ci = state.form.items[rule.item]
    op = rule.rule.operator
    by_ordinal = ci.type in CHOICE_TYPES and op in ORDERING_OPERATORS
    for raw, k in zip(state.values[rule.item], state.keys[rule.item], strict=True):
        if k is INVALID:
            continue
        shown = k if isinstance(raw, dict) else raw  # a quantity reports its number
        if by_ordinal:
            k = ci.ordinals.get(k)
            if k is None:
                continue
        if op == "in":
            try:
                hit = k in key
            except TypeError:
                hit = False
        else:
            hit = compare(op, k, key)
        if hit:
            return True, shown
    return False, None


def alerts_of(
    state: FormState, scores: Mapping[str, ScoreResult], overrides: Overrides | None = None
) -> list[RaisedAlert]:
    """The alerts of an evaluated :class:`FormState` and its scores (shared with :func:`evaluate`)."""
    form = state.form
    raised: list[RaisedAlert] = []
    for compiled in form.rules:
        rule = compiled.rule
        key, threshold = compiled.key, rule.threshold
        if overrides:
            override = overrides.get(rule.code, _MISSING)
            if override is None or override is DISABLED:
                continue
            if override is not _MISSING:
                candidate = form.threshold_key(compiled, override)
                if candidate is not INVALID:
                    key, threshold = candidate, override
        if compiled.item >= 0:
            if not state.enabled[compiled.item]:
                continue
            hit, value = _first_match(state, compiled, key)
        else:
            score = scores.get(rule.target)
            if score is None or score.answered == 0:
                continue
            value = score.value
            hit = (value in key) if rule.operator == "in" else compare(rule.operator, value, key)
        if hit:
            raised.append(
                RaisedAlert(
                    rule_code=rule.code,
                    severity=AlertSeverity(rule.severity),
                    message_zh=_render(rule.message.zh or rule.message.en, value, threshold),
                    message_en=_render(rule.message.en or rule.message.zh, value, threshold),
                    value=value,
                    target=rule.target,
                    threshold=threshold,
                )
            )
    return raised


def evaluate_critical(
    definition: FormDefinition, answers: Mapping[str, object], overrides: Overrides | None = None
) -> list[RaisedAlert]:
    """Every critical rule of ``definition`` that ``answers`` trigger, ward ``overrides`` applied."""
    state = build_state(definition, answers)
    scores = scores_of(state) if state.form.scores else {}
    return alerts_of(state, scores, overrides)


def check_overrides(definition: FormDefinition, overrides: Overrides, lang: str = "zh_CN") -> list[Problem]:
    """Problems of a ward's override set for this scale: unsuitable thresholds, unknown option codes.

    Rule codes this scale does not have are not problems here (the set serves
    many scales); :func:`unknown_override_codes` finds those across all scales.
    """
    form = compile_form(definition)
    problems: list[Problem] = []
    for code, override in overrides.items():
        compiled = form.rule_codes.get(code)
        if compiled is None or override is None or override is DISABLED:
            continue
        item = definition.find(compiled.rule.target) if compiled.item >= 0 else None
        problem = threshold_problem(compiled.rule, compiled.target_type, item, override)
        if problem is not None:
            code_ = "override_threshold" if problem == "rule_threshold" else problem
            text = message(code_, lang, rule=code, target=compiled.rule.target, value=override)
            problems.append(Problem(code, code_, text))
    return problems


def unknown_override_codes(definitions: list[FormDefinition], overrides: Overrides) -> list[str]:
    """Override codes that match no rule of any of ``definitions`` (likely typos in the ward set)."""
    known = {r.code for d in definitions for r in d.critical_rules}
    return [code for code in overrides if code not in known]
