"""Writing a :class:`FormDefinition` to our JSON format (described in :mod:`parse`)."""

from __future__ import annotations

import json
from typing import Any

from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    CriticalRule,
    EnableWhen,
    FormDefinition,
    Item,
    ItemType,
    LocalText,
    ScoreDefinition,
)

_ANSWER_KEY_BY_TYPE = {
    ItemType.BOOLEAN: "answerBoolean",
    ItemType.INTEGER: "answerInteger",
    ItemType.DECIMAL: "answerDecimal",
    ItemType.STRING: "answerString",
    ItemType.TEXT: "answerString",
    ItemType.DATE: "answerDate",
    ItemType.DATETIME: "answerDateTime",
}


def _text(text: LocalText) -> dict[str, str]:
    return {"zh_CN": text.zh, "en": text.en}


def _scalar(value: Any) -> Any:
    """Enums as their value, tuples as lists: what ``json`` understands."""
    if isinstance(value, tuple):
        return [_scalar(v) for v in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


def _answer_entry(cond: EnableWhen, source: Item | None) -> tuple[str, Any]:
    answer = cond.answer
    if cond.operator == "exists":
        return "answerBoolean", answer
    if source is not None:
        if source.type in CHOICE_TYPES:
            if cond.operator in ("=", "!="):
                return "answerCoding", {"code": answer}
            return ("answerInteger" if isinstance(answer, int) else "answerDecimal"), answer
        if source.type == ItemType.QUANTITY:
            quantity: dict[str, Any] = {"value": answer}
            if source.unit:
                quantity["unit"] = source.unit
            return "answerQuantity", quantity
        key = _ANSWER_KEY_BY_TYPE.get(source.type)  # type: ignore[call-overload]
        if key is not None:
            return key, answer
    # Source unknown (a broken draft): pick by the Python type so the file still round-trips.
    if isinstance(answer, bool):
        return "answerBoolean", answer
    if isinstance(answer, int):
        return "answerInteger", answer
    if isinstance(answer, float):
        return "answerDecimal", answer
    return "answer", answer


def _item(item: Item, by_id: dict[str, Item]) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.link_id, "type": _scalar(item.type)}
    if item.text != LocalText():
        out["text"] = _text(item.text)
    for key, value in (("required", item.required), ("repeats", item.repeats), ("readOnly", item.read_only)):
        if value:
            out[key] = True
    if item.answer_options:
        options = []
        for opt in item.answer_options:
            entry: dict[str, Any] = {"code": opt.code, "display": _text(opt.display)}
            if opt.ordinal is not None:
                entry["ordinalValue"] = opt.ordinal
            options.append(entry)
        out["answerOption"] = options
    if item.initial:
        out["initial"] = list(item.initial)
    if item.enable_when:
        conditions = []
        for cond in item.enable_when:
            key, answer = _answer_entry(cond, by_id.get(cond.question))
            conditions.append({"question": cond.question, "operator": _scalar(cond.operator), key: answer})
        out["enableWhen"] = conditions
        if item.enable_behavior != "all":
            out["enableBehavior"] = _scalar(item.enable_behavior)
    for key, value in (
        ("minValue", item.min_value),
        ("maxValue", item.max_value),
        ("minLength", item.min_length),
        ("maxLength", item.max_length),
        ("regex", item.regex),
        ("unit", item.unit),
    ):
        if value is not None:
            out[key] = value
    if item.satisfaction:
        out["satisfaction"] = True
    if item.items:
        out["item"] = [_item(child, by_id) for child in item.items]
    return out


def _score(score: ScoreDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"name": score.name}
    if score.title != LocalText():
        out["title"] = _text(score.title)
    out["item"] = [{"linkId": e.link_id, "weight": e.weight} for e in score.items]
    if score.bands:
        out["band"] = [{"min": b.min, "max": b.max, "label": _text(b.label)} for b in score.bands]
    return out


def _rule(rule: CriticalRule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "target": rule.target,
        "operator": _scalar(rule.operator),
        "threshold": _scalar(rule.threshold),
        "severity": _scalar(rule.severity),
        "message": _text(rule.message),
    }


def to_dict(defn: FormDefinition) -> dict[str, Any]:
    """Our JSON format of ``defn`` (plain dicts/lists, ready for ``json.dumps``)."""
    by_id = {item.link_id: item for item, _ in defn.walk()}
    out: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "code": defn.code,
        "version": defn.version,
        "status": _scalar(defn.status),
        "title": _text(defn.title),
        "item": [_item(item, by_id) for item in defn.items],
    }
    if defn.scores:
        out["score"] = [_score(s) for s in defn.scores]
    if defn.critical_rules:
        out["criticalRule"] = [_rule(r) for r in defn.critical_rules]
    return out


def dumps(defn: FormDefinition, indent: int | None = 2) -> str:
    """``defn`` as JSON text; Chinese stays readable (``ensure_ascii=False``)."""
    return json.dumps(to_dict(defn), ensure_ascii=False, indent=indent)
