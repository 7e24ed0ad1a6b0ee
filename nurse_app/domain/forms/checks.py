"""Validation of a scale definition itself (not of answers).

Every problem is collected — an author fixing a scale in the designer wants
the whole list, not one error per save. Each :class:`Problem` names the item,
score or rule it is about in ``link_id``. The engine relies on these checks:
enableWhen only looks backwards in document order (so one forward pass
evaluates a form), options have unique codes, scored options have ordinals.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    DATE_TYPES,
    NON_QUESTION_TYPES,
    NUMERIC_TYPES,
    ORDERING_OPERATORS,
    TEXT_TYPES,
    EnableBehavior,
    EnableOperator,
    FormDefinition,
    Item,
    ItemType,
)
from nurse_app.domain.forms.messages import message
from nurse_app.domain.forms.problems import FormDefinitionError, Problem
from nurse_app.domain.forms.rule_checks import check_rules, check_scores
from nurse_app.domain.forms.values import INVALID, coerce, coerce_condition, coerce_constant

Add = Callable[..., None]
_KNOWN_TYPES = frozenset(t.value for t in ItemType)
_ENABLE_OPS = frozenset(o.value for o in EnableOperator)
_LENGTH_TYPES = TEXT_TYPES | {ItemType.OPEN_CHOICE}
# Yes/no and free text have no order; comparing them with > is an authoring mistake.
_UNORDERED_TYPES = frozenset({ItemType.BOOLEAN, ItemType.STRING, ItemType.TEXT})


def check_definition(definition: FormDefinition, lang: str = "zh_CN") -> list[Problem]:
    """Every problem of ``definition`` (empty list when it is usable), messages in ``lang``."""
    problems: list[Problem] = []

    def add(link_id: str, code: str, **params: object) -> None:
        problems.append(Problem(link_id, code, message(code, lang, **params)))

    if not isinstance(definition.code, str) or not definition.code.strip():
        add("", "empty_code")
    version = definition.version
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        add("", "bad_version", value=version)

    walked = list(definition.walk())
    order: dict[str, int] = {}
    for pos, (item, _parent) in enumerate(walked):
        if not item.link_id:
            add("", "empty_link_id")
        elif item.link_id in order:
            add(item.link_id, "duplicate_link_id", item=item.link_id)
        else:
            order[item.link_id] = pos
    by_id: dict[str, Item] = {}
    for item, _parent in walked:
        if item.link_id:
            by_id.setdefault(item.link_id, item)  # the first of duplicates, as ``order`` records

    for pos, (item, _parent) in enumerate(walked):
        _check_item(item, add)
        _check_enable_when(item, pos, order, by_id, add)
    _check_cycles(walked, by_id, add)
    check_scores(definition, by_id, add)
    check_rules(definition, by_id, add)
    return problems


def ensure_valid(definition: FormDefinition, lang: str = "zh_CN") -> FormDefinition:
    """Return ``definition`` unchanged, or raise :class:`FormDefinitionError` listing all its problems."""
    problems = check_definition(definition, lang)
    if problems:
        raise FormDefinitionError(f"{definition.code} v{definition.version}", problems)
    return definition


def _check_item(item: Item, add: Add) -> None:
    lid = item.link_id
    if item.type not in _KNOWN_TYPES:
        add(lid, "unknown_type", item=lid, type=item.type)
        return
    kind = ItemType(item.type)
    if kind == ItemType.GROUP and not item.items:
        add(lid, "group_empty", item=lid)
    if kind == ItemType.DISPLAY and item.items:
        add(lid, "children_not_allowed", item=lid)
    if item.enable_behavior not in (EnableBehavior.ALL, EnableBehavior.ANY):
        add(lid, "bad_value", item=lid, field="enableBehavior", value=item.enable_behavior)

    if kind not in CHOICE_TYPES and item.answer_options:
        add(lid, "options_not_allowed", item=lid)
    if kind == ItemType.CHOICE and not item.answer_options:
        add(lid, "choice_no_options", item=lid)
    seen: set[str] = set()
    for opt in item.answer_options:
        if opt.code in seen:
            add(lid, "duplicate_option", item=lid, value=opt.code)
        seen.add(opt.code)
        if opt.ordinal is not None and _bad_number(opt.ordinal):
            add(lid, "bad_value", item=lid, field="ordinalValue", value=opt.ordinal)

    def not_applicable(constraint: str) -> None:
        add(lid, "constraint_not_applicable", item=lid, constraint=constraint)

    if kind in NON_QUESTION_TYPES:
        for name, present in (
            ("repeats", item.repeats),
            ("required", item.required and kind == ItemType.DISPLAY),
            ("initial", bool(item.initial)),
        ):
            if present:
                not_applicable(name)
    _check_bounds(item, kind, add, not_applicable)
    _check_text_constraints(item, kind, add, not_applicable)
    if item.unit is not None and kind != ItemType.QUANTITY:
        not_applicable("unit")
    if item.satisfaction:
        ordinals = sorted(o.ordinal for o in item.answer_options if o.ordinal is not None)
        if kind != ItemType.CHOICE or ordinals != [1, 2, 3, 4, 5] or len(item.answer_options) != 5:
            add(lid, "satisfaction_item", item=lid)
    if kind not in NON_QUESTION_TYPES:
        _check_initial(item, kind, add)


def _bad_number(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, (int, float))


def _check_bounds(item: Item, kind: ItemType, add: Add, not_applicable: Callable[[str], None]) -> None:
    lid = item.link_id
    bounds = {}
    for name, raw in (("minValue", item.min_value), ("maxValue", item.max_value)):
        if raw is None:
            continue
        if kind not in NUMERIC_TYPES and kind not in DATE_TYPES:
            not_applicable(name)
            continue
        key = (
            coerce_constant(kind, raw) if kind != ItemType.INTEGER else coerce_constant(ItemType.DECIMAL, raw)
        )
        if key is INVALID:
            add(lid, "bad_bound", item=lid, value=raw)
        else:
            bounds[name] = key
    if len(bounds) == 2:
        try:
            inverted = bounds["minValue"] > bounds["maxValue"]
        except TypeError:
            inverted = False
        if inverted:
            add(lid, "min_gt_max", item=lid, min=item.min_value, max=item.max_value)


def _check_text_constraints(
    item: Item, kind: ItemType, add: Add, not_applicable: Callable[[str], None]
) -> None:
    lid = item.link_id
    lengths = {}
    for name, raw in (("minLength", item.min_length), ("maxLength", item.max_length)):
        if raw is None:
            continue
        if kind not in _LENGTH_TYPES:
            not_applicable(name)
        elif isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            add(lid, "bad_length", item=lid, value=raw)
        else:
            lengths[name] = raw
    if len(lengths) == 2 and lengths["minLength"] > lengths["maxLength"]:
        add(lid, "min_length_gt_max_length", item=lid, min=item.min_length, max=item.max_length)
    if item.regex is not None:
        if kind not in _LENGTH_TYPES:
            not_applicable("regex")
        else:
            try:
                re.compile(item.regex)
            except (re.error, TypeError) as exc:
                add(lid, "bad_regex", item=lid, error=exc)


def _check_initial(item: Item, kind: ItemType, add: Add) -> None:
    lid = item.link_id
    if len(item.initial) > 1 and not item.repeats:
        add(lid, "bad_initial", item=lid, detail=f"{len(item.initial)} values for a non-repeating item")
    codes = {o.code for o in item.answer_options}
    for value in item.initial:
        if coerce(kind, value) is INVALID or (kind == ItemType.CHOICE and value not in codes):
            add(lid, "bad_initial", item=lid, detail=repr(value))


def _check_enable_when(item: Item, pos: int, order: dict[str, int], by_id: dict[str, Item], add: Add) -> None:
    lid = item.link_id
    for cond in item.enable_when:
        target = cond.question
        if target == lid:
            add(lid, "enable_when_self", item=lid)
            continue
        source = by_id.get(target)
        if source is None:
            add(lid, "enable_when_missing", item=lid, target=target)
            continue
        if order.get(target, -1) > pos:
            add(lid, "enable_when_forward", item=lid, target=target)
        if source.type in NON_QUESTION_TYPES or source.type not in _KNOWN_TYPES:
            add(lid, "enable_when_not_question", item=lid, target=target)
            continue
        op = cond.operator
        if op not in _ENABLE_OPS:
            add(lid, "enable_when_operator", item=lid, target=target, op=op)
            continue
        if op in ORDERING_OPERATORS and source.type in _UNORDERED_TYPES:
            add(lid, "enable_when_operator", item=lid, target=target, op=op)
            continue
        key = coerce_condition(source.type, op, cond.answer)
        if key is INVALID or (
            source.type == ItemType.CHOICE and op in ("=", "!=") and source.option(key) is None
        ):
            add(lid, "enable_when_answer", item=lid, target=target, value=cond.answer)


def _check_cycles(walked: list[tuple[Item, Item | None]], by_id: dict[str, Item], add: Add) -> None:
    graph = {
        item.link_id: [c.question for c in item.enable_when if c.question in by_id]
        for item, _ in walked
        if item.link_id
    }
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    reported: set[frozenset[str]] = set()

    # Iterative DFS: a deep chain of conditions must not hit the recursion limit.
    for start in graph:
        if color[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = grey
        while stack:
            node, idx = stack[-1]
            targets = graph[node]
            if idx < len(targets):
                stack[-1] = (node, idx + 1)
                nxt = targets[idx]
                if color[nxt] == grey:
                    cycle = [*path[path.index(nxt) :], nxt]
                    members = frozenset(cycle)
                    if len(members) > 1 and members not in reported:  # self-references are reported apart
                        reported.add(members)
                        add(nxt, "enable_when_cycle", cycle=" → ".join(cycle))
                elif color[nxt] == white:
                    color[nxt] = grey
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                color[node] = black
                stack.pop()
                path.pop()
