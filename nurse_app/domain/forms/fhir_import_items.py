"""Reading FHIR ``Questionnaire.item`` trees into mutable nodes (frozen into :class:`Item` later).

Conditions and scores need the whole tree (a condition's answer is typed by
its source item; a score can sum items anywhere), so items are read first
into :class:`Node` objects and finished by :mod:`fhir_import`. Every element
or extension that has no place in our definition is reported for its item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nurse_app.domain.forms.definition import CHOICE_TYPES, DATE_TYPES, NUMERIC_TYPES, AnswerOption, LocalText
from nurse_app.domain.forms.fhir_common import (
    FHIRPATH,
    URL_CALCULATED,
    URL_INITIAL_TEXT,
    URL_MAX_QUANTITY,
    URL_MAX_VALUE,
    URL_MIN_LENGTH,
    URL_MIN_QUANTITY,
    URL_MIN_VALUE,
    URL_REGEX,
    URL_SATISFACTION,
    URL_SCORE,
    URL_UNIT,
    URL_UNIT_OPTION,
    VARIABLE_URLS,
    FormImportError,
    ImportIssue,
    Report,
    coding_unit,
    extensions,
    number,
    ordinal_of,
    read_text,
    value_of,
)
from nurse_app.domain.forms.fhir_valueset import ValueSets

SUPPORTED_TYPES = frozenset(
    {"group", "display", "boolean", "decimal", "integer", "date", "dateTime", "string", "text", "choice"}
    | {"open-choice", "quantity"}
)
_LENGTH_KINDS = frozenset({"string", "text", "open-choice"})
_TIME_REGEX = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
_HANDLED = frozenset(
    {"linkId", "type", "text", "_text", "required", "repeats", "readOnly", "maxLength", "answerOption"}
    | {"answerValueSet", "initial", "enableWhen", "enableBehavior", "item", "extension", "id"}
)
_ELEMENT_REASONS = {
    "code": "item codes (e.g. LOINC) are not kept",
    "prefix": "the numbering prefix is not shown",
    "definition": "the data-element link is not kept",
}
_KNOWN_EXTENSION_REASONS = {
    "questionnaire-itemControl": "the desktop chooses the input widget itself",
    "questionnaire-hidden": "hidden items are not supported; the item is shown",
    "sdc-questionnaire-enableWhenExpression": "expression conditions are not supported; always shown",
    "sdc-questionnaire-initialExpression": "computed defaults are not supported",
    "questionnaire-choiceOrientation": "the desktop lays out options itself",
    "entryFormat": "entry hints are not kept",
}


@dataclass(eq=False)
class Node:
    """One item while importing: :class:`Item` keyword fields plus what the later passes need."""

    link_id: str
    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    raw_conditions: list[Any] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    calculated: str | None = None  # a FHIRPath calculatedExpression: becomes a score if it is a plain sum
    score_ext: dict[str, Any] | None = None  # our own score extension (name, bands)
    scope: dict[str, str] = field(default_factory=dict)  # FHIRPath variables visible here
    ordered_initial: list[Any] = field(default_factory=list)  # our initial-text extension, if any


class ItemReader:
    """Reads raw FHIR items, appending an :class:`ImportIssue` for everything it cannot keep."""

    def __init__(self, valuesets: ValueSets, primary: str, issues: list[ImportIssue]) -> None:
        self.valuesets = valuesets
        self.primary = primary
        self.issues = issues
        self.dropped: set[str] = set()  # linkIds of items left out (attachments, references)

    def read_all(self, raw: Any, parent: str, scope: dict[str, str]) -> list[Node]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise FormImportError(
                f"item list under '{parent or 'the Questionnaire'}' is not a JSON array", parent
            )
        nodes = [self.read(entry, parent, scope) for entry in raw]
        return [n for n in nodes if n is not None]

    def read(self, raw: Any, parent: str, scope: dict[str, str]) -> Node | None:
        where = f"'{parent}'" if parent else "the Questionnaire"
        if not isinstance(raw, dict):
            raise FormImportError(f"an item under {where} is not a JSON object", parent)
        lid = raw.get("linkId")
        if not isinstance(lid, str) or not lid:
            raise FormImportError(f"an item under {where} has no linkId", parent)

        seen: set[tuple[str, str]] = set()

        def report(what: str, why: str) -> None:
            if (what, why) not in seen:  # e.g. ten integer options: one issue for the item, not ten
                seen.add((what, why))
                self.issues.append(ImportIssue(lid, what, why))

        kind = self._kind(raw.get("type"), lid, report)
        if kind is None:
            self.dropped.add(lid)
            return None
        node = Node(lid, kind)
        fields = node.fields
        fields["text"] = read_text(raw, "text", self.primary, report)
        for key, name in (("required", "required"), ("repeats", "repeats"), ("readOnly", "read_only")):
            value = raw.get(key)
            if isinstance(value, bool):
                fields[name] = value
            elif value is not None:
                report(key, f"not true/false ({value!r}); ignored")
        if fields.get("repeats") and kind == "group":
            fields["repeats"] = False
            report("repeats", "repeating groups are not supported; the group is answered once")
        if kind == "time":
            node.type, fields["regex"] = "string", _TIME_REGEX
        self._extensions(raw, node, scope, report)
        self._max_length(raw.get("maxLength"), node, report)
        self._options(raw, node, report)
        self._initial(raw.get("initial"), node, report)
        if node.ordered_initial:
            fields["initial"] = node.ordered_initial  # ours: the exact defaults, free text and order included
        conditions = raw.get("enableWhen")
        if conditions is not None:
            if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
                raise FormImportError(f"enableWhen of item '{lid}' is not a list of objects", lid)
            node.raw_conditions = conditions
        behavior = raw.get("enableBehavior")
        if behavior is not None:
            fields["enable_behavior"] = behavior
        for key in raw:
            if key not in _HANDLED and not key.startswith("_"):
                report(key, _ELEMENT_REASONS.get(key, "not supported by the form engine; dropped"))
        node.children = self.read_all(raw.get("item"), lid, node.scope)
        return node

    def _kind(self, raw: Any, lid: str, report: Report) -> str | None:
        if raw in SUPPORTED_TYPES:
            return str(raw)
        if raw == "url":
            report("type url", "read as a string item")
            return "string"
        if raw == "time":
            report("type time", "read as a string item checked against HH:MM[:SS]")
            return "time"
        if raw in ("attachment", "reference"):
            report(f"type {raw}", "cannot be answered on a phone follow-up; the item is left out")
            return None
        raise FormImportError(f"item '{lid}' has unknown type '{raw}'", lid)

    def _extensions(self, raw: dict[str, Any], node: Node, scope: dict[str, str], report: Report) -> None:
        fields, kind = node.fields, node.type
        node.scope = dict(scope)
        units: list[str] = []
        for ext in extensions(raw):
            url = str(ext.get("url", ""))
            suffix, value = value_of(ext)
            if url in (URL_MIN_VALUE, URL_MAX_VALUE, URL_MIN_QUANTITY, URL_MAX_QUANTITY):
                bound = value.get("value") if suffix == "Quantity" and isinstance(value, dict) else value
                name = "min_value" if url in (URL_MIN_VALUE, URL_MIN_QUANTITY) else "max_value"
                fits = kind in NUMERIC_TYPES and number(bound)
                if fits or (kind in DATE_TYPES and isinstance(bound, str)):
                    fields[name] = bound
                else:
                    report(url.rsplit("/", 1)[-1], f"{bound!r} does not apply to a {kind} item; dropped")
            elif url == URL_MIN_LENGTH and kind in _LENGTH_KINDS and isinstance(value, int):
                fields["min_length"] = value
            elif url == URL_REGEX and kind in _LENGTH_KINDS and isinstance(value, str):
                self._regex(value, fields, report)
            elif url in (URL_UNIT, URL_UNIT_OPTION) and suffix == "Coding":
                unit = coding_unit(value)
                if unit:
                    units.append(unit)
            elif url == URL_SATISFACTION and value is True:
                fields["satisfaction"] = True
            elif url == URL_INITIAL_TEXT and isinstance(value, str):
                node.ordered_initial.append(value)
            elif url == URL_CALCULATED and suffix == "Expression" and isinstance(value, dict):
                if value.get("language", FHIRPATH) == FHIRPATH and isinstance(value.get("expression"), str):
                    node.calculated = value["expression"]
                else:
                    report(
                        "calculatedExpression", f"language {value.get('language')} is not supported; dropped"
                    )
            elif url == URL_SCORE:
                node.score_ext = ext
            elif url in VARIABLE_URLS and suffix == "Expression" and isinstance(value, dict):
                if isinstance(value.get("name"), str) and isinstance(value.get("expression"), str):
                    node.scope[value["name"]] = value["expression"]
            else:
                name = url.rsplit("/", 1)[-1]
                report(
                    f"extension {name or '?'}", _KNOWN_EXTENSION_REASONS.get(name, "not supported; dropped")
                )
        self._units(units, node, report)

    @staticmethod
    def _regex(value: str, fields: dict[str, Any], report: Report) -> None:
        try:
            re.compile(value)
        except re.error as exc:
            report("regex", f"'{value}' is not a pattern Python can check ({exc}); dropped")
            return
        fields["regex"] = value

    @staticmethod
    def _units(units: list[str], node: Node, report: Report) -> None:
        if not units:
            return
        if all(u == "1" or u.startswith("{") for u in units):
            report("unit", f"dimensionless unit {units[0]} is not shown")
            return
        if node.type == "quantity":
            node.fields["unit"] = units[0]
            if len(units) > 1:
                report(
                    "unitOption",
                    f"only one unit per item is kept: {units[0]}; dropped {', '.join(units[1:])}",
                )
        elif node.type in ("integer", "decimal"):
            text: LocalText = node.fields["text"]
            unit = units[0]
            if unit not in text.zh and unit not in text.en:
                node.fields["text"] = LocalText(
                    f"{text.zh}（{unit}）" if text.zh else "", f"{text.en} ({unit})" if text.en else ""
                )
            report("unit", f"numbers carry no unit in the engine; '{unit}' is shown in the question text")
        else:
            report("unit", f"does not apply to a {node.type} item; dropped")

    def _max_length(self, raw: Any, node: Node, report: Report) -> None:
        if raw is None:
            return
        if node.type in _LENGTH_KINDS and isinstance(raw, int) and not isinstance(raw, bool):
            node.fields["max_length"] = raw
        else:
            report("maxLength", f"{raw!r} does not apply to a {node.type} item; dropped")

    def _options(self, raw: dict[str, Any], node: Node, report: Report) -> None:
        listed, valueset = raw.get("answerOption"), raw.get("answerValueSet")
        if listed is None and valueset is None:
            return
        if node.type not in CHOICE_TYPES:
            report("answerOption", f"a {node.type} item has no options; dropped")
            return
        if listed is not None and valueset is not None:
            report("answerValueSet", "both answerOption and answerValueSet given (que-4); answerOption used")
        options: list[AnswerOption] = []
        selected: list[str] = []
        if listed is not None:
            if not isinstance(listed, list):
                raise FormImportError(f"answerOption of item '{node.link_id}' is not a list", node.link_id)
            for entry in listed:
                opt = self.option(entry, report)
                if opt is not None:
                    options.append(opt)
                    if isinstance(entry, dict) and entry.get("initialSelected") is True:
                        selected.append(opt.code)
        else:
            found = self.valuesets.options(valueset, self.primary, report)
            if found is None:
                node.type = "open-choice"  # no list to choose from: the nurse types the answer
            else:
                options = found
        node.fields["answer_options"] = tuple(options)
        if selected:
            node.fields["initial"] = selected

    def option(self, entry: Any, report: Report) -> AnswerOption | None:
        """One ``answerOption`` as our option (None, reported, when its value type cannot be a choice)."""
        if not isinstance(entry, dict):
            report("answerOption", f"{entry!r} is not an object; dropped")
            return None
        suffix, value = value_of(entry)
        ordinal = ordinal_of(entry)
        if suffix == "Coding" and isinstance(value, dict):
            display = read_text(value, "display", self.primary, report)
            own = ordinal_of(value)
            if own is not None and ordinal is not None and own != ordinal:
                report("answerOption", f"two different scores ({ordinal}, {own}) on one option; {own} kept")
            ordinal = own if own is not None else ordinal
            code = value.get("code")
            if not isinstance(code, str) or not code:
                code = display.get("en") or display.get()
                report("answerOption", f"an option without a code; its text '{code}' is used as the code")
            if isinstance(value.get("system"), str):
                self.valuesets.note_system(value["system"])
            return AnswerOption(code, display, ordinal)
        if suffix in ("String", "Date", "Time") and isinstance(value, str):
            text = read_text(entry, "value" + suffix, self.primary, report)
            if suffix != "String":
                report("answerOption", f"value{suffix} options are kept as text codes")
            return AnswerOption(value, text if text != LocalText() else LocalText(value, value), ordinal)
        if suffix == "Integer" and number(value):
            report(
                "answerOption valueInteger", "integer options are kept as text codes scored by their value"
            )
            return AnswerOption(
                str(value), LocalText(str(value), str(value)), value if ordinal is None else ordinal
            )
        report("answerOption", f"value{suffix or '?'} options cannot be a choice; dropped")
        return None

    def _initial(self, raw: Any, node: Node, report: Report) -> None:
        if raw is None:
            return
        values = node.fields.setdefault("initial", [])
        for entry in raw if isinstance(raw, list) else [raw]:
            suffix, value = value_of(entry) if isinstance(entry, dict) else ("", None)
            if suffix == "Coding" and isinstance(value, dict) and isinstance(value.get("code"), str):
                values.append(value["code"])
            elif suffix == "Quantity" and isinstance(value, dict):
                values.append({k: value[k] for k in ("value", "unit") if k in value})
            elif suffix in ("Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Uri"):
                values.append(value)
            else:
                report("initial", f"{entry!r} cannot be a default answer; dropped")
