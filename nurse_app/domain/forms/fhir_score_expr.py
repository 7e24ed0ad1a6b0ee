"""Reading a FHIRPath ``calculatedExpression`` as a weighted sum of item answers (our score), and back.

Our scores are weighted sums of the ordinals (choice), yes = 1 (boolean) or
numbers (integer/decimal/quantity) of items. Published scales write such sums
in several shapes; the common ones are understood here:

* per item: ``%resource.repeat(item).where(linkId='q1').answer.value.ordinal()``
  (or ``.weight()``, or ``.extension.where(url=%scoreExt).value``, with
  ``.item.where(linkId=…)`` steps instead of ``repeat(item)``, an optional
  ``.sum()``, ``valueCoding``/``valueInteger``… for ``value``);
* whole sets: ``%resource.repeat(item).answer.value.ordinal().sum()``,
  optionally filtered by ``where(linkId != 'total')``;
* the LHC-Forms rule-editor style: ``%questionnaire.item.where(linkId='q1')
  .answerOption.where(valueCoding.code = %resource…answer.valueCoding.code)
  .extension.where(url='…ordinalValue').valueDecimal`` in variables, summed as
  ``iif(%any_answered, iif(%a.exists(), %a, 0) + …, {})``;
* weights ``2 * term``, parentheses, ``%variables`` (questionnaire or item level).

Anything else raises :class:`UnsupportedExpression` with the reason, which the
importer reports for the item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nurse_app.domain.forms.definition import CHOICE_TYPES, NUMERIC_TYPES, ItemType
from nurse_app.domain.forms.fhir_common import ORDINAL_URLS
from nurse_app.domain.forms.fhir_path import FhirPathSyntaxError, Node, parse, quote


class UnsupportedExpression(ValueError):
    """An expression this reader cannot turn into a weighted sum (the message says why)."""


class TreeNode(Protocol):
    """What the reader needs of an item: its linkId, type and children."""

    link_id: str
    type: str
    children: Sequence[TreeNode]


@dataclass(frozen=True, slots=True)
class Term:
    """One summand: an item's answer value times ``weight``."""

    link_id: str
    weight: float = 1


_VALUE_MEMBERS = frozenset(
    {"value", "valueCoding", "valueInteger", "valueDecimal", "valueQuantity", "valueBoolean"}
)
_PASS_THROUGH = frozenset({"sum", "first", "single", "toDecimal", "toInteger", "last"})


def _mode_fits(mode: str, item_type: str) -> bool:
    if mode == "ordinal":
        return item_type in CHOICE_TYPES
    if mode == "number":
        return item_type in NUMERIC_TYPES
    return mode == "count" and item_type == ItemType.BOOLEAN


def _descendants(nodes: Sequence[TreeNode]) -> list[TreeNode]:
    out: list[TreeNode] = []
    for node in nodes:
        for child in node.children:
            out.append(child)
            out.extend(_descendants([child]))
    return out


@dataclass
class _Root:
    children: Sequence[TreeNode]
    link_id: str = ""
    type: str = "group"


class ScoreExpressionReader:
    """Turns expressions over one form's items into :class:`Term` lists."""

    def __init__(
        self, items: Sequence[TreeNode], variables: Mapping[str, str], exclude: frozenset[str] = frozenset()
    ) -> None:
        self.root = _Root(items)
        self.variables = dict(variables)
        self.exclude = exclude  # calculated items: never part of a sum
        self._expanding: list[str] = []

    def read(self, expression: str) -> list[Term]:
        """The terms of ``expression`` (raises :class:`UnsupportedExpression`)."""
        terms, constant = self._lin(self._parse(expression))
        if constant:
            raise UnsupportedExpression(f"adds a constant ({constant}), which a score cannot hold")
        if not terms:
            raise UnsupportedExpression("sums no item")
        return terms

    @staticmethod
    def _parse(expression: str) -> Node:
        try:
            return parse(expression)
        except FhirPathSyntaxError as exc:
            raise UnsupportedExpression(f"not readable FHIRPath ({exc})") from None

    def _variable(self, name: str) -> Node:
        if name not in self.variables:
            raise UnsupportedExpression(f"uses %{name}, which is not a variable of this form")
        if name in self._expanding:
            raise UnsupportedExpression(f"variable %{name} refers to itself")
        return self._parse(self.variables[name])

    def _with_variable(self, name: str, func: Callable[[Node], Any]) -> Any:
        node = self._variable(name)
        self._expanding.append(name)
        try:
            return func(node)
        finally:
            self._expanding.pop()

    # -- sums -----------------------------------------------------------------------------------
    def _lin(self, node: Node) -> tuple[list[Term], float]:
        kind = node[0]
        if kind == "num":
            return [], node[1]
        if kind == "empty":
            return [], 0
        if kind == "neg":
            terms, const = self._lin(node[1])
            return [Term(t.link_id, -t.weight) for t in terms], -const
        if kind == "bin" and node[1] == "+":
            left, lc = self._lin(node[2])
            right, rc = self._lin(node[3])
            return left + right, lc + rc
        if kind == "bin" and node[1] == "*":
            left, lc = self._lin(node[2])
            right, rc = self._lin(node[3])
            if left and right:
                raise UnsupportedExpression("multiplies two answers together")
            factor, terms = (lc, right) if not left else (rc, left)
            return [Term(t.link_id, t.weight * factor) for t in terms], lc * rc
        if kind == "call" and node[1] is None and node[2] == "iif":
            return self._iif(node[3])
        if kind == "var" and node[1] not in ("resource", "questionnaire", "context"):
            return self._with_variable(node[1], self._lin)
        if kind in ("member", "call", "index"):
            return self._path(node), 0
        if kind == "bin":
            raise UnsupportedExpression(f"uses the operator '{node[1]}', which is not a sum of answers")
        raise UnsupportedExpression(f"uses '{_describe(node)}', which is not a sum of answers")

    def _iif(self, args: list[Node]) -> tuple[list[Term], float]:
        if len(args) not in (2, 3):
            raise UnsupportedExpression("iif() needs 2 or 3 arguments")
        if len(args) == 3:
            other, const = self._lin(args[2])
            if other or const:
                raise UnsupportedExpression("iif() whose 'otherwise' branch is not 0 or {}")
        if not self._is_existence_test(args[0]):
            raise UnsupportedExpression(f"iif() on the condition '{_describe(args[0])}'")
        # "if answered then the value else 0" is exactly how our scores treat unanswered items.
        return self._lin(args[1])

    def _is_existence_test(self, node: Node) -> bool:
        kind = node[0]
        if kind == "call" and node[1] is not None and node[2] in ("exists", "hasValue") and not node[3]:
            return True
        if kind == "call" and node[1] is not None and node[2] == "not" and not node[3]:
            inner = node[1]
            return inner[0] == "call" and inner[2] == "empty"
        if kind == "bin" and node[1] in ("or", "and"):
            return self._is_existence_test(node[2]) and self._is_existence_test(node[3])
        if kind == "bin" and node[1] in (">", "!=") and node[3] == ("num", 0):
            left = node[2]
            return left[0] == "call" and left[2] == "count"
        if kind == "var" and node[1] in self.variables and node[1] not in self._expanding:
            return bool(self._with_variable(node[1], self._is_existence_test))
        return False

    # -- paths ----------------------------------------------------------------------------------
    def _path(self, node: Node) -> list[Term]:
        steps: list[Node] = []
        while node[0] in ("member", "call", "index") and node[1] is not None:
            steps.append(node)
            node = node[1]
        steps.reverse()
        if node == ("var", "questionnaire"):
            return self._option_lookup(steps)
        if node != ("var", "resource"):
            raise UnsupportedExpression(f"starts at '{_describe(node)}' instead of %resource")
        items, explicit, mode, rest = self._walk(steps)
        if mode == "code":
            raise UnsupportedExpression("sums answer codes, not their scores")
        for step in rest:
            if not (step[0] == "call" and step[2] in _PASS_THROUGH and not step[3]):
                raise UnsupportedExpression(f"uses .{_step_name(step)} on answer values")
        return self._terms(items, explicit, mode)

    def _terms(self, items: list[TreeNode], explicit: bool, mode: str) -> list[Term]:
        chosen = []
        for item in items:
            if item.link_id in self.exclude:
                continue
            if _mode_fits(mode, item.type):
                chosen.append(Term(item.link_id))
            elif explicit:
                raise UnsupportedExpression(f"reads the {mode} of '{item.link_id}', a {item.type} item")
        if not chosen:
            raise UnsupportedExpression("selects no item that can be scored")
        return chosen

    def _walk(self, steps: list[Node]) -> tuple[list[TreeNode], bool, str, list[Node]]:
        """Follow item/answer/value steps: (items, picked by linkId?, value mode, unread steps)."""
        current: list[TreeNode] = [self.root]
        explicit = False
        i = 0
        while i < len(steps):
            step = steps[i]
            name = _step_name(step)
            if step[0] == "member" and name == "item":
                current = [c for node in current for c in node.children]
                explicit = False
            elif step[0] == "call" and name in ("repeat", "descendants"):
                if name == "repeat" and step[3] != [("ident", "item")]:
                    raise UnsupportedExpression("repeat() over something other than item")
                current = _descendants(current)
                explicit = False
            elif step[0] == "call" and name == "where" and len(step[3]) == 1:
                current, explicit = self._filter(current, step[3][0])
            elif step[0] == "member" and name == "answer":
                return (current, explicit, *self._value(steps[i + 1 :]))
            elif not (step[0] == "call" and name in ("first", "single") and not step[3]):
                raise UnsupportedExpression(f"uses .{name} while selecting items")
            i += 1
        raise UnsupportedExpression("selects items but never reads their answers")

    def _filter(self, items: list[TreeNode], cond: Node) -> tuple[list[TreeNode], bool]:
        if cond[0] == "bin" and cond[1] in ("=", "!="):
            sides = (cond[2], cond[3])
            values = [s[1] for s in sides if s[0] == "str"]
            if ("ident", "linkId") in sides and len(values) == 1:
                if cond[1] == "=":
                    return [n for n in items if n.link_id == values[0]], True
                return [n for n in items if n.link_id != values[0]], False
        raise UnsupportedExpression(f"filters items by '{_describe(cond)}'")

    def _value(self, steps: list[Node]) -> tuple[str, list[Node]]:
        """The value mode after ``.answer``: ordinal, number, count or code, and the steps left."""
        if not steps or _step_name(steps[0]) not in _VALUE_MEMBERS or steps[0][0] != "member":
            raise UnsupportedExpression("reads the answer without .value")
        mode = "number"
        i = 1
        while i < len(steps):
            step, name = steps[i], _step_name(steps[i])
            if step[0] == "call" and name in ("ordinal", "weight") and not step[3]:
                mode = "ordinal"
            elif step[0] == "member" and name == "extension" and i + 1 < len(steps):
                where = steps[i + 1]
                if not (where[0] == "call" and where[2] == "where" and len(where[3]) == 1):
                    raise UnsupportedExpression("reads answer extensions without choosing one by url")
                self._check_ordinal_url(where[3][0])
                mode, i = "ordinal", i + 1
            elif step[0] == "call" and name == "extension" and len(step[3]) == 1:
                self._check_ordinal_url(step[3][0])
                mode = "ordinal"
            elif step[0] == "member" and name in ("value", "valueDecimal", "valueInteger"):
                pass  # the number of a Quantity, or of the ordinal extension just read
            elif step[0] == "member" and name == "code":
                mode = "code"
            elif (
                step[0] == "call"
                and name == "where"
                and step[3] in ([("this",)], [("bin", "=", ("this",), ("bool", True))])
            ):
                if i + 1 >= len(steps) or _step_name(steps[i + 1]) != "count":
                    raise UnsupportedExpression("filters answers without counting them")
                mode, i = "count", i + 1
            else:
                return mode, steps[i:]
            i += 1
        return mode, []

    def _check_ordinal_url(self, cond: Node) -> None:
        """``cond`` (``url = '…'``, a string or a %variable) must name an option-score extension."""
        if cond[0] == "bin" and cond[1] == "=" and ("ident", "url") in (cond[2], cond[3]):
            cond = cond[3] if cond[2] == ("ident", "url") else cond[2]
        if cond[0] == "var" and cond[1] in self.variables:
            cond = self._variable(cond[1])
        if cond[0] != "str" or cond[1] not in ORDINAL_URLS:
            raise UnsupportedExpression("reads an extension that is not the ordinalValue/itemWeight score")

    def _option_lookup(self, steps: list[Node]) -> list[Term]:
        # %questionnaire…answerOption.where(valueCoding.code = <answer code>).extension(ordinal)…
        for i, step in enumerate(steps):
            if _step_name(step) == "answerOption" and i + 1 < len(steps):
                where = steps[i + 1]
                cond = (
                    where[3][0] if where[0] == "call" and where[2] == "where" and len(where[3]) == 1 else None
                )
                if cond is not None and cond[0] == "bin" and cond[1] == "=":
                    answer = cond[3] if _mentions_code(cond[2]) else cond[2]
                    if answer[0] == "var" and answer[1] in self.variables:
                        answer = self._variable(answer[1])
                    inner = self._path_steps(answer)
                    items, explicit, mode, _rest = self._walk(inner)
                    if mode != "code":
                        break
                    mode, rest = self._value([("member", None, "value"), *steps[i + 2 :]])
                    if mode == "ordinal" and all(_step_name(s) in _PASS_THROUGH for s in rest):
                        return self._terms(items, explicit, "ordinal")
        raise UnsupportedExpression("looks up %questionnaire in a way that is not an option's score")

    @staticmethod
    def _path_steps(node: Node) -> list[Node]:
        steps: list[Node] = []
        while node[0] in ("member", "call", "index") and node[1] is not None:
            steps.append(node)
            node = node[1]
        if node != ("var", "resource"):
            raise UnsupportedExpression("compares option codes with something other than an answer")
        return list(reversed(steps))


def _mentions_code(node: Node) -> bool:
    return node in (("member", ("ident", "valueCoding"), "code"), ("ident", "code"))


def _step_name(step: Node) -> str:
    return str(step[2]) if step[0] in ("member", "call") else "[]"


def _describe(node: Node) -> str:
    """Readable FHIRPath for ``node`` (for issue messages)."""
    kind = node[0]
    if kind == "str":
        return quote(node[1])
    if kind in ("num", "var", "ident", "bool"):
        return f"%{node[1]}" if kind == "var" else str(node[1])
    if kind == "this":
        return "$this"
    if kind in ("member", "call"):
        target = _describe(node[1]) + "." if node[1] is not None else ""
        args = f"({', '.join(_describe(a) for a in node[3])})" if kind == "call" else ""
        return f"{target}{node[2]}{args}"
    if kind == "bin":
        return f"{_describe(node[2])} {node[1]} {_describe(node[3])}"
    return kind


def _number(value: float) -> str:
    # 1.0 stays "1.0": the reader then yields a float weight again, so the round trip keeps the type.
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def write_sum(terms: Sequence[tuple[str, float, str]]) -> str:
    """The FHIRPath of a weighted sum of ``(linkId, weight, item type)`` terms, readable by :func:`read`.

    Each term is ``.sum()``-ed so that an unanswered item counts 0 instead of
    making the whole total empty, as FHIRPath's ``+`` on an empty collection would.
    """
    parts = []
    for link_id, weight, item_type in terms:
        path = f"%resource.repeat(item).where(linkId={quote(link_id)}).answer.value"
        if item_type in CHOICE_TYPES:
            path += ".ordinal().sum()"
        elif item_type == ItemType.BOOLEAN:
            path += ".where($this).count()"
        elif item_type == ItemType.QUANTITY:
            path += ".value.sum()"
        else:
            path += ".sum()"
        plain = weight == 1 and not isinstance(weight, float)
        parts.append(path if plain else f"{_number(weight)} * {path}")
    return " + ".join(parts)
