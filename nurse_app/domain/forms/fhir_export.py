"""Writing a :class:`FormDefinition` as a FHIR R4 ``Questionnaire`` (see :mod:`fhir` for the mapping)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote as url_quote

from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    CriticalRule,
    EnableWhen,
    FormDefinition,
    Item,
    ItemType,
    ScoreDefinition,
)
from nurse_app.domain.forms.fhir_common import (
    FHIRPATH,
    QUESTIONNAIRE_URL,
    SCALE_CODE_SYSTEM,
    URL_CALCULATED,
    URL_CRITICAL_RULE,
    URL_INITIAL_TEXT,
    URL_MAX_QUANTITY,
    URL_MAX_VALUE,
    URL_MIN_LENGTH,
    URL_MIN_QUANTITY,
    URL_MIN_VALUE,
    URL_ORDINAL,
    URL_REGEX,
    URL_SATISFACTION,
    URL_SCORE,
    URL_SOURCE_VERSION,
    URL_UNIT_OPTION,
    number,
    put_text,
    quantity,
    typed_value,
    unit_coding,
)
from nurse_app.domain.forms.fhir_score_expr import write_sum
from nurse_app.domain.model import PublicationStatus

STATUS_TO_FHIR = {
    PublicationStatus.DRAFT: "draft",
    PublicationStatus.PUBLISHED: "active",
    PublicationStatus.RETIRED: "retired",
}
# enableWhen answer[x] / initial value[x] by the type of the item the value belongs to.
_VALUE_TYPE = {
    ItemType.BOOLEAN: "Boolean",
    ItemType.DECIMAL: "Decimal",
    ItemType.STRING: "String",
    ItemType.TEXT: "String",
    ItemType.DATE: "Date",
    ItemType.DATETIME: "DateTime",
}


def fhir_id(code: str) -> str:
    """A FHIR ``id`` (``[A-Za-z0-9\\-.]{1,64}``) made from a scale code."""
    return re.sub(r"[^A-Za-z0-9\-.]", "-", code)[:64].strip("-") or "scale"


def computable_name(code: str) -> str:
    """A FHIR computable ``name`` (``[A-Z][A-Za-z0-9_]*``, invariant que-0) made from a scale code."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", code) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Scale"
    return name if name[0].isalpha() else "Q" + name


def _int_or_decimal(value: Any) -> tuple[str, Any]:
    # valueInteger only for an int within FHIR's 32 bits; a float stays valueDecimal so its type survives.
    if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
        return "Integer", value
    return "Decimal", value


def _typed(item_type: str, value: Any) -> tuple[str, Any]:
    """``(suffix, value)`` of a constant of an item of ``item_type`` (answer[x], value[x])."""
    if item_type == ItemType.INTEGER:
        return _int_or_decimal(value) if number(value) else typed_value(value)
    if item_type == ItemType.QUANTITY:
        if isinstance(value, dict):
            return "Quantity", quantity(value.get("value"), value.get("unit"))
        return "Decimal", value
    key = _VALUE_TYPE.get(item_type)  # type: ignore[call-overload]
    return (key, value) if key is not None else typed_value(value)


class _Writer:
    def __init__(self, defn: FormDefinition) -> None:
        self.defn = defn
        self.by_id = {item.link_id: item for item, _ in defn.walk()}

    def item(self, item: Item) -> dict[str, Any]:
        out: dict[str, Any] = {"linkId": item.link_id}
        exts: list[dict[str, Any]] = []
        put_text(out, "text", item.text)
        out["type"] = str(item.type)
        if item.enable_when:
            out["enableWhen"] = [self.condition(c) for c in item.enable_when]
            if len(item.enable_when) > 1 or item.enable_behavior != "all":
                out["enableBehavior"] = str(item.enable_behavior)  # que-12: needed with several conditions
        for key, flag in (
            ("required", item.required),
            ("repeats", item.repeats),
            ("readOnly", item.read_only),
        ):
            if flag:
                out[key] = True
        if item.max_length is not None:
            out["maxLength"] = item.max_length
        self.bounds(item, exts)
        if item.min_length is not None:
            exts.append({"url": URL_MIN_LENGTH, "valueInteger": item.min_length})
        if item.regex is not None:
            exts.append({"url": URL_REGEX, "valueString": item.regex})
        if item.unit is not None:
            exts.append({"url": URL_UNIT_OPTION, "valueCoding": unit_coding(item.unit)})
        if item.satisfaction:
            exts.append({"url": URL_SATISFACTION, "valueBoolean": True})
        if item.answer_options:
            out["answerOption"] = [self.option(item, o) for o in item.answer_options]
        self.initial(item, out, exts)
        if exts:
            out["extension"] = exts
        if item.items:
            out["item"] = [self.item(child) for child in item.items]
        return out

    def bounds(self, item: Item, exts: list[dict[str, Any]]) -> None:
        for url, quantity_url, value in (
            (URL_MIN_VALUE, URL_MIN_QUANTITY, item.min_value),
            (URL_MAX_VALUE, URL_MAX_QUANTITY, item.max_value),
        ):
            if value is None:
                continue
            if item.type == ItemType.QUANTITY:
                exts.append({"url": quantity_url, "valueQuantity": quantity(value, item.unit)})
            else:
                suffix, typed = _typed(item.type, value)
                exts.append({"url": url, "value" + suffix: typed})

    def option(self, item: Item, opt: Any) -> dict[str, Any]:
        coding: dict[str, Any] = {"code": opt.code}
        put_text(coding, "display", opt.display)
        if opt.ordinal is not None:
            coding["extension"] = [{"url": URL_ORDINAL, "valueDecimal": opt.ordinal}]
        entry: dict[str, Any] = {"valueCoding": coding}
        if opt.code in item.initial:
            entry["initialSelected"] = True  # que-11: with answerOption, initial values are flagged here
        return entry

    def initial(self, item: Item, out: dict[str, Any], exts: list[dict[str, Any]]) -> None:
        if not item.initial:
            return
        if item.type not in CHOICE_TYPES:
            out["initial"] = []
            for value in item.initial:
                suffix, typed = _typed(item.type, value)
                out["initial"].append({"value" + suffix: typed})
            return
        if not item.answer_options:
            out["initial"] = [{"valueString": str(v)} for v in item.initial]
            return
        in_option_order = [o.code for o in item.answer_options if o.code in item.initial]
        if list(item.initial) != in_option_order:
            # que-11 allows only initialSelected beside answerOption: free-text defaults of an
            # open-choice, or defaults in another order, travel in our extension as well.
            exts.extend({"url": URL_INITIAL_TEXT, "valueString": str(v)} for v in item.initial)

    def condition(self, cond: EnableWhen) -> dict[str, Any]:
        out: dict[str, Any] = {"question": cond.question, "operator": str(cond.operator)}
        source = self.by_id.get(cond.question)
        answer = cond.answer
        if cond.operator == "exists" or source is None:
            suffix, value = typed_value(answer)
        elif source.type in CHOICE_TYPES and cond.operator in ("=", "!="):
            suffix, value = "Coding", {"code": str(answer)}
        elif source.type in CHOICE_TYPES:
            suffix, value = _int_or_decimal(answer)  # an ordering on a choice compares the option's ordinal
        elif source.type == ItemType.QUANTITY and not isinstance(answer, dict):
            suffix, value = "Quantity", quantity(answer, source.unit)
        else:
            suffix, value = _typed(source.type, answer)
        out["answer" + suffix] = value
        return out

    def score_item(self, score: ScoreDefinition, link_id: str) -> dict[str, Any]:
        terms = []
        for entry in score.items:
            item = self.by_id.get(entry.link_id)
            terms.append((entry.link_id, entry.weight, item.type if item is not None else ItemType.DECIMAL))
        ours: list[dict[str, Any]] = [{"url": "name", "valueString": score.name}]
        for band in score.bands:
            parts: list[dict[str, Any]] = [
                {"url": "min", "valueDecimal": band.min},
                {"url": "max", "valueDecimal": band.max},
            ]
            if band.label.zh:
                parts.append({"url": "label", "valueString": band.label.zh})
            if band.label.en:
                parts.append({"url": "label-en", "valueString": band.label.en})
            ours.append({"url": "band", "extension": parts})
        out: dict[str, Any] = {
            "linkId": link_id,
            "extension": [
                {
                    "url": URL_CALCULATED,
                    "valueExpression": {"language": FHIRPATH, "expression": write_sum(terms)},
                },
                {"url": URL_SCORE, "extension": ours},
            ],
        }
        put_text(out, "text", score.title)
        out["type"] = "decimal"
        out["readOnly"] = True
        return out

    def rule(self, rule: CriticalRule) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [
            {"url": "code", "valueString": rule.code},
            {"url": "target", "valueString": rule.target},
            {"url": "operator", "valueCode": str(rule.operator)},
        ]
        thresholds = rule.threshold if isinstance(rule.threshold, (tuple, list)) else (rule.threshold,)
        for value in thresholds:
            suffix, typed = typed_value(value)
            parts.append({"url": "threshold", "value" + suffix: typed})
        parts.append({"url": "severity", "valueCode": str(rule.severity)})
        if rule.message.zh:
            parts.append({"url": "message", "valueString": rule.message.zh})
        if rule.message.en:
            parts.append({"url": "message-en", "valueString": rule.message.en})
        return {"url": URL_CRITICAL_RULE, "extension": parts}


def score_link_ids(defn: FormDefinition) -> dict[str, str]:
    """The linkId of each score's calculated item: its name, made unique against the form's linkIds."""
    taken = {item.link_id for item, _ in defn.walk()}
    out: dict[str, str] = {}
    for score in defn.scores:
        link_id = score.name or "score"
        n = 1
        while link_id in taken:
            n += 1
            link_id = f"{score.name}-score" if n == 2 else f"{score.name}-score-{n}"
        taken.add(link_id)
        out[score.name] = link_id
    return out


def questionnaire_url(code: str) -> str:
    """The canonical URL our exports give the scale ``code``."""
    return QUESTIONNAIRE_URL + url_quote(code, safe="")


def export_questionnaire(
    defn: FormDefinition, *, copyright: str | None = None, source_version: str | None = None
) -> dict[str, Any]:
    """``defn`` as a valid FHIR R4 Questionnaire (plain dicts, ready for ``json.dumps``).

    Scores become read-only calculated items at the end (a FHIRPath sum plus our
    ``score`` extension with the name and bands); critical rules our
    ``critical-rule`` extensions on the Questionnaire. ``copyright`` and the
    original FHIR ``source_version`` of an imported scale are written back when given.
    """
    writer = _Writer(defn)
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(defn.code),
        "language": "zh-CN",
        "url": questionnaire_url(defn.code),
        "identifier": [{"system": SCALE_CODE_SYSTEM, "value": defn.code}],
        "version": str(defn.version),
        "name": computable_name(defn.code),
    }
    put_text(out, "title", defn.title)
    out["status"] = STATUS_TO_FHIR[PublicationStatus(defn.status)]
    out["subjectType"] = ["Patient"]
    if copyright:
        out["copyright"] = copyright
    exts = [writer.rule(rule) for rule in defn.critical_rules]
    if source_version is not None:
        exts.append({"url": URL_SOURCE_VERSION, "valueString": source_version})
    if exts:
        out["extension"] = exts
    items = [writer.item(item) for item in defn.items]
    link_ids = score_link_ids(defn)
    items.extend(writer.score_item(score, link_ids[score.name]) for score in defn.scores)
    out["item"] = items
    return out
