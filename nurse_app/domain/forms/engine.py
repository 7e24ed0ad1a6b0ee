"""The one-call entry point the form UI runs on every keystroke, and the bridge to ``model.Response``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nurse_app.domain.forms.compiled import compile_form
from nurse_app.domain.forms.critical_rules import Overrides, RaisedAlert, alerts_of
from nurse_app.domain.forms.definition import FormDefinition, ItemType, normalize_lang
from nurse_app.domain.forms.enable_when import FormState
from nurse_app.domain.forms.problems import Problem
from nurse_app.domain.forms.scoring import ScoreResult, scores_of
from nurse_app.domain.forms.validation import problems_of
from nurse_app.domain.forms.values import INVALID
from nurse_app.domain.model import Answer


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything the form screen shows for the current answers."""

    enabled: frozenset[str]  # linkIds of shown items (groups and display items included)
    problems: tuple[Problem, ...]
    scores: dict[str, ScoreResult]
    alerts: tuple[RaisedAlert, ...]

    @property
    def ok(self) -> bool:
        """No problem: the answers may be submitted."""
        return not self.problems

    def problems_for(self, link_id: str) -> list[Problem]:
        return [p for p in self.problems if p.link_id == link_id]


def evaluate(
    definition: FormDefinition,
    answers: Mapping[str, object],
    lang: str = "zh_CN",
    overrides: Overrides | None = None,
) -> Evaluation:
    """Enabled items, problems, scores (with interpretation) and raised alerts, from one pass.

    The definition is compiled once and cached; this call does only the
    per-answer work, so it can run on every keystroke.
    """
    lang = normalize_lang(lang)
    state = FormState(compile_form(definition), answers)
    scores = scores_of(state, lang)
    return Evaluation(
        enabled=state.enabled_ids(),
        problems=tuple(problems_of(state, answers, lang)),
        scores=scores,
        alerts=tuple(alerts_of(state, scores, overrides)),
    )


def to_answers(definition: FormDefinition, answers: Mapping[str, object]) -> tuple[Answer, ...]:
    """The answers of enabled items as ``model.Answer`` values, in document order.

    A repeating item yields one ``Answer`` per value. Choice answers carry the
    option's ordinal; items flagged ``satisfaction`` carry ``is_satisfaction``.
    Hidden items and unknown linkIds are left out (as :func:`prune_hidden`
    would); a quantity dict is copied so the response never aliases UI state.
    """
    form = compile_form(definition)
    state = FormState(form, answers)
    out: list[Answer] = []
    for ci in form.items:
        i = ci.index
        if not ci.question or not state.enabled[i]:
            continue
        choice = ci.type in (ItemType.CHOICE, ItemType.OPEN_CHOICE)
        for raw, key in zip(state.values[i], state.keys[i], strict=True):
            value = dict(raw) if isinstance(raw, dict) else raw
            if isinstance(value, dict) and ci.item.unit and not value.get("unit"):
                value["unit"] = ci.item.unit  # a missing unit means the item's unit: store it explicitly
            ordinal = ci.ordinals.get(key) if choice and key is not INVALID else None
            out.append(
                Answer(
                    link_id=ci.link_id,
                    value=value,
                    ordinal=ordinal,
                    is_satisfaction=ci.item.satisfaction,
                )
            )
    return tuple(out)
