"""Our JSON file format for scales, mirroring FHIR R4 ``Questionnaire`` names (camelCase).

Example (abridged)::

    {
      "resourceType": "Questionnaire",
      "code": "PHQ-9", "version": 1, "status": "published",
      "title": {"zh_CN": "患者健康问卷-9", "en": "Patient Health Questionnaire-9"},
      "item": [
        {"linkId": "q1", "type": "choice", "required": true,
         "text": {"zh_CN": "做事时提不起劲或没有兴趣", "en": "Little interest or pleasure in doing things"},
         "answerOption": [{"code": "0", "display": {"zh_CN": "完全不会", "en": "Not at all"},
                           "ordinalValue": 0}, ...]},
        {"linkId": "q9_detail", "type": "text",
         "enableWhen": [{"question": "q9", "operator": ">", "answerDecimal": 0}],
         "enableBehavior": "all", "maxLength": 500},
        {"linkId": "sbp", "type": "quantity", "unit": "mmHg", "minValue": 40, "maxValue": 300}
      ],
      "score": [{"name": "total", "title": {...}, "item": [{"linkId": "q1", "weight": 1}, ...],
                 "band": [{"min": 0, "max": 4, "label": {"zh_CN": "无/极轻微", "en": "None-minimal"}}]}],
      "criticalRule": [{"code": "phq9_q9", "target": "q9", "operator": ">", "threshold": 0,
                        "severity": "critical", "message": {"zh_CN": "...", "en": "..."}}]
    }

Mapping to FHIR (for the import/export step): ``code``/``version``/``status``
are ``Questionnaire.name``/``version`` (a string there)/``status`` (our
``published`` is FHIR ``active``); a localized text ``{"zh_CN", "en"}`` is the
string plus the ``translation`` extension; ``answerOption`` entries are
``valueCoding`` with the ``ordinalValue`` extension; ``initial`` is a list of
plain values (FHIR ``initial.value[x]``); ``enableWhen`` uses FHIR's typed
``answerBoolean|Integer|Decimal|String|Date|DateTime|Coding|Quantity`` keys
(``answerCoding`` is ``{"code": ...}``; a plain ``answer`` is also read);
``minValue``/``maxValue``/``minLength``/``regex``/``unit`` are the SDC
extensions of those names; ``satisfaction``, ``score`` and ``criticalRule`` are
ours. Text may be a plain string, meaning the same in both languages. Keys
with default values are omitted on output, and ``from_dict(to_dict(d)) == d``.
"""

from __future__ import annotations

import json
from typing import Any

from nurse_app.domain.forms.checks import check_definition
from nurse_app.domain.forms.definition import (
    AnswerOption,
    CriticalRule,
    EnableBehavior,
    EnableOperator,
    EnableWhen,
    FormDefinition,
    Item,
    LocalText,
    RuleOperator,
    ScoreBand,
    ScoreDefinition,
    ScoreItem,
    parse_item_type,
)
from nurse_app.domain.forms.messages import message
from nurse_app.domain.forms.problems import FormDefinitionError, Problem
from nurse_app.domain.forms.serialize import dumps, to_dict
from nurse_app.domain.model import AlertSeverity, PublicationStatus

_ANSWER_KEYS = (
    "answerBoolean",
    "answerInteger",
    "answerDecimal",
    "answerString",
    "answerDate",
    "answerDateTime",
    "answerCoding",
    "answerQuantity",
    "answer",
)


def _enum(cls: Any, raw: Any) -> Any:
    # Unknown values are kept as strings so the definition check can name them with their item.
    try:
        return cls(raw)
    except ValueError:
        return raw


def _text(raw: Any) -> LocalText:
    if isinstance(raw, str):
        return LocalText(raw, raw)
    if isinstance(raw, dict):
        return LocalText(str(raw.get("zh_CN", raw.get("zh", "")) or ""), str(raw.get("en", "") or ""))
    return LocalText()


class _Reader:
    """Turns JSON into dataclasses, collecting shape problems instead of stopping at the first."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.problems: list[Problem] = []

    def bad(self, where: str, field: str, value: object) -> None:
        self.problems.append(
            Problem(where, "bad_value", message("bad_value", self.lang, item=where, field=field, value=value))
        )

    def list_of(self, raw: Any, where: str, field: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.bad(where, field, raw)
            return []
        good = [x for x in raw if isinstance(x, dict)]
        if len(good) != len(raw):
            self.bad(where, field, raw)
        return good

    def item(self, raw: dict[str, Any]) -> Item:
        lid = str(raw.get("linkId", "") or "")
        initial = raw.get("initial")
        return Item(
            link_id=lid,
            type=parse_item_type(str(raw.get("type", ""))),
            text=_text(raw.get("text")),
            required=bool(raw.get("required", False)),
            repeats=bool(raw.get("repeats", False)),
            read_only=bool(raw.get("readOnly", False)),
            answer_options=tuple(
                AnswerOption(str(o.get("code", "")), _text(o.get("display")), o.get("ordinalValue"))
                for o in self.list_of(raw.get("answerOption"), lid, "answerOption")
            ),
            initial=() if initial is None else tuple(initial) if isinstance(initial, list) else (initial,),
            enable_when=tuple(
                self.enable_when(c, lid) for c in self.list_of(raw.get("enableWhen"), lid, "enableWhen")
            ),
            enable_behavior=_enum(EnableBehavior, raw.get("enableBehavior", "all")),
            min_value=raw.get("minValue"),
            max_value=raw.get("maxValue"),
            min_length=raw.get("minLength"),
            max_length=raw.get("maxLength"),
            regex=raw.get("regex"),
            unit=raw.get("unit"),
            satisfaction=bool(raw.get("satisfaction", False)),
            items=tuple(self.item(c) for c in self.list_of(raw.get("item"), lid, "item")),
        )

    def enable_when(self, raw: dict[str, Any], lid: str) -> EnableWhen:
        present = [k for k in _ANSWER_KEYS if k in raw]
        if len(present) != 1:
            self.bad(lid, "enableWhen answer[x]", ", ".join(present) or "-")
        answer = raw[present[0]] if present else None
        if present and present[0] in ("answerCoding", "answerQuantity") and isinstance(answer, dict):
            answer = answer.get("code") if present[0] == "answerCoding" else answer.get("value")
        return EnableWhen(str(raw.get("question", "")), _enum(EnableOperator, raw.get("operator")), answer)

    def score(self, raw: dict[str, Any]) -> ScoreDefinition:
        name = str(raw.get("name", ""))
        entries = []
        for entry in raw.get("item") or []:
            if isinstance(entry, str):
                entries.append(ScoreItem(entry))
            elif isinstance(entry, dict):
                entries.append(ScoreItem(str(entry.get("linkId", "")), entry.get("weight", 1.0)))
            else:
                self.bad(name, "item", entry)
        bands = tuple(
            ScoreBand(b.get("min"), b.get("max"), _text(b.get("label")))
            for b in self.list_of(raw.get("band"), name, "band")
        )
        return ScoreDefinition(name, tuple(entries), bands, _text(raw.get("title")))

    def rule(self, raw: dict[str, Any]) -> CriticalRule:
        threshold = raw.get("threshold")
        if isinstance(threshold, list):
            threshold = tuple(threshold)  # frozen definitions keep tuples
        return CriticalRule(
            code=str(raw.get("code", "")),
            target=str(raw.get("target", "")),
            operator=_enum(RuleOperator, raw.get("operator")),
            threshold=threshold,
            severity=_enum(AlertSeverity, raw.get("severity", "critical")),
            message=_text(raw.get("message")),
        )


def from_dict(data: dict[str, Any], check: bool = True, lang: str = "zh_CN") -> FormDefinition:
    """Build a :class:`FormDefinition` from our JSON format.

    Raises :class:`FormDefinitionError` listing every shape problem and, when
    ``check`` is true, every definition problem too (``check=False`` lets the
    designer open a broken draft to fix it).
    """
    if not isinstance(data, dict):
        raise FormDefinitionError(
            "?", [Problem("", "bad_value", f"a scale must be a JSON object, not {type(data).__name__}")]
        )
    reader = _Reader(lang)
    status = _enum(PublicationStatus, data.get("status", "draft"))
    if not isinstance(status, PublicationStatus):
        reader.bad("", "status", status)
        status = PublicationStatus.DRAFT
    defn = FormDefinition(
        code=str(data.get("code", "") or ""),
        version=data.get("version", 1),
        status=status,
        title=_text(data.get("title")),
        items=tuple(reader.item(i) for i in reader.list_of(data.get("item"), "", "item")),
        scores=tuple(reader.score(s) for s in reader.list_of(data.get("score"), "", "score")),
        critical_rules=tuple(
            reader.rule(r) for r in reader.list_of(data.get("criticalRule"), "", "criticalRule")
        ),
    )
    problems = reader.problems + (check_definition(defn, lang) if check else [])
    if problems:
        raise FormDefinitionError(f"{defn.code} v{defn.version}", problems)
    return defn


def loads(text: str | bytes, check: bool = True, lang: str = "zh_CN") -> FormDefinition:
    """Parse our JSON text (see the module docstring) into a :class:`FormDefinition`."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormDefinitionError("?", [Problem("", "bad_value", f"not valid JSON: {exc}")]) from None
    return from_dict(data, check=check, lang=lang)


__all__ = ["dumps", "from_dict", "loads", "to_dict"]
