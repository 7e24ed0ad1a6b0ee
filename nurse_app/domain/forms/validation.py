"""Validation of answers against a scale: every problem at once, in the nurse's language.

Only enabled items are checked: a hidden item is never required and its stale
answer is not judged (``prune_hidden`` drops it on submit). Problems come in
document order, answers for unknown linkIds last.
"""

from __future__ import annotations

from collections.abc import Mapping

from nurse_app.domain.forms.compiled import CompiledItem, compile_form
from nurse_app.domain.forms.definition import FormDefinition, ItemType, normalize_lang
from nurse_app.domain.forms.enable_when import FormState, build_state
from nurse_app.domain.forms.messages import expected_name, message
from nurse_app.domain.forms.problems import Problem
from nurse_app.domain.forms.values import INVALID, is_empty

_LENGTH_CHECKED = frozenset({ItemType.STRING, ItemType.TEXT, ItemType.OPEN_CHOICE})
_RANGE_CHECKED = frozenset(
    {ItemType.INTEGER, ItemType.DECIMAL, ItemType.QUANTITY, ItemType.DATE, ItemType.DATETIME}
)


def validate_answers(
    definition: FormDefinition, answers: Mapping[str, object], lang: str = "zh_CN"
) -> list[Problem]:
    """Every problem of ``answers`` (empty when they can be submitted), with messages in ``lang``."""
    return problems_of(build_state(definition, answers), answers, lang)


def problems_of(state: FormState, answers: Mapping[str, object], lang: str = "zh_CN") -> list[Problem]:
    """The problems of an already evaluated :class:`FormState` (shared with :func:`evaluate`)."""
    lang = normalize_lang(lang)
    out: list[Problem] = []
    enabled, values, keys = state.enabled, state.values, state.keys
    for ci in state.form.items:
        i = ci.index
        if not enabled[i]:
            continue
        if not ci.question:
            if ci.item.required and ci.type == ItemType.GROUP and not _any_answered(state, ci):
                out.append(_problem(ci, "required", lang))
            continue
        vals = values[i]
        if not vals:
            if ci.item.required:
                out.append(_problem(ci, "required", lang))
            continue
        if len(vals) > 1 and not ci.item.repeats:
            out.append(_problem(ci, "not_repeating", lang))
        _check_values(ci, vals, keys[i], lang, out)
    for link_id in state.unknown:
        if not is_empty(answers[link_id]):
            out.append(Problem(link_id, "unknown_item", message("unknown_item", lang, item=link_id)))
    for ci in state.form.items:
        if not ci.question and not is_empty(answers.get(ci.link_id)):
            out.append(_problem(ci, "not_answerable", lang))
    return out


def _any_answered(state: FormState, group: CompiledItem) -> bool:
    return any(state.enabled[j] and state.values[j] for j in group.descendants)


def _problem(ci: CompiledItem, code: str, lang: str, **params: object) -> Problem:
    return Problem(ci.link_id, code, message(code, lang, item=ci.label(lang), **params))


def _check_values(
    ci: CompiledItem, vals: list[object], keys: list[object], lang: str, out: list[Problem]
) -> None:
    kind = ci.type
    reported: set[str] = set()  # one problem of a kind per item, even when a repeating item has many values

    def report(code: str, **params: object) -> None:
        if code not in reported:
            reported.add(code)
            out.append(_problem(ci, code, lang, **params))

    for value, key in zip(vals, keys, strict=True):
        if key is INVALID:
            report("type", expected=expected_name(kind, lang))
            continue
        if kind == ItemType.CHOICE:
            if key not in ci.ordinals:
                report("unknown_option", value=key)
            continue
        if kind in _RANGE_CHECKED:
            if ci.min is not None and _less(key, ci.min):
                report("below_min", min=ci.item.min_value)
            if ci.max is not None and _less(ci.max, key):
                report("above_max", max=ci.item.max_value)
            if kind == ItemType.QUANTITY and ci.item.unit:
                unit = value.get("unit") if isinstance(value, dict) else None
                # A missing unit means "the item's unit": the UI shows it next to the field.
                if unit and unit != ci.item.unit:
                    report("wrong_unit", unit=ci.item.unit)
            continue
        if kind in _LENGTH_CHECKED:
            if kind == ItemType.OPEN_CHOICE and key in ci.ordinals:
                continue  # a listed option, not free text: length and pattern do not apply
            text = key.strip()
            if ci.min_length is not None and len(text) < ci.min_length:
                report("too_short", min=ci.min_length)
            if ci.max_length is not None and len(text) > ci.max_length:
                report("too_long", max=ci.max_length)
            if ci.regex is not None and ci.regex.fullmatch(text) is None:
                report("pattern")


def _less(a: object, b: object) -> bool:
    try:
        return bool(a < b)  # type: ignore[operator]
    except TypeError:
        return False


def prune_hidden(definition: FormDefinition, answers: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``answers`` without the answers of disabled items (used on submit).

    Answers for linkIds the scale does not know are kept, so validation can
    still report them instead of their silently disappearing.
    """
    form = compile_form(definition)
    state = build_state(form, answers)
    index = form.index
    return {k: v for k, v in answers.items() if k not in index or state.enabled[index[k].index]}
