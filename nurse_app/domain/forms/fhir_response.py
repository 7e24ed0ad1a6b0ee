"""Writing the answers of one filled scale as a FHIR R4 ``QuestionnaireResponse``.

The response mirrors the exported Questionnaire: same linkIds and nesting
(children of a question go under its answer, as FHIR requires), only enabled
items, and each score as the value of its calculated item — so a receiving
system gets the total without running FHIRPath.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms.compiled import CompiledItem, compile_form
from nurse_app.domain.forms.definition import FormDefinition, ItemType
from nurse_app.domain.forms.enable_when import FormState
from nurse_app.domain.forms.fhir_common import URL_ORDINAL, quantity
from nurse_app.domain.forms.fhir_export import questionnaire_url, score_link_ids
from nurse_app.domain.forms.scoring import scores_of
from nurse_app.domain.forms.values import INVALID, is_empty
from nurse_app.domain.model import Answer

_VALUE_KEY = {
    ItemType.BOOLEAN: "valueBoolean",
    ItemType.INTEGER: "valueInteger",
    ItemType.DECIMAL: "valueDecimal",
    ItemType.STRING: "valueString",
    ItemType.TEXT: "valueString",
    ItemType.DATE: "valueDate",
    ItemType.DATETIME: "valueDateTime",
}


def _answers_dict(answers: Mapping[str, object] | Iterable[Answer]) -> Mapping[str, object]:
    if isinstance(answers, Mapping):
        return answers
    grouped: dict[str, list[object]] = {}
    for answer in answers:
        grouped.setdefault(answer.link_id, []).append(answer.value)
    return {k: v if len(v) > 1 else v[0] for k, v in grouped.items()}


def _reference(ref: str) -> dict[str, str]:
    # "Patient/123" or a URL is a reference; a bare name (a nurse's username) is only a display.
    return {"reference": ref} if "/" in ref or ref.startswith("urn:") else {"display": ref}


class _ResponseWriter:
    def __init__(self, defn: FormDefinition, answers: Mapping[str, object]) -> None:
        self.form = compile_form(defn)
        self.state = FormState(self.form, answers)
        unknown = [k for k in self.state.unknown if not is_empty(answers.get(k))]
        if unknown:
            raise DomainError(f"answers for items scale {defn.code} does not have: {', '.join(unknown)}")

    def value(self, ci: CompiledItem, raw: object, key: object) -> dict[str, Any]:
        if key is INVALID:
            raise DomainError(f"the answer {raw!r} of item '{ci.link_id}' does not fit a {ci.type} item")
        kind = ci.type
        if kind in (ItemType.CHOICE, ItemType.OPEN_CHOICE):
            opt = ci.item.option(str(key))
            if opt is None:
                return {"valueString": key}  # open-choice free text
            coding: dict[str, Any] = {"code": opt.code}
            if opt.display.get():
                coding["display"] = opt.display.get()
            if opt.ordinal is not None:
                coding["extension"] = [{"url": URL_ORDINAL, "valueDecimal": opt.ordinal}]
            return {"valueCoding": coding}
        if kind == ItemType.QUANTITY:
            unit = raw.get("unit") if isinstance(raw, dict) else None
            return {"valueQuantity": quantity(key, unit or ci.item.unit)}
        if kind == ItemType.DATETIME and isinstance(raw, datetime):
            return {"valueDateTime": raw.isoformat()}
        return {_VALUE_KEY[kind]: raw}  # type: ignore[index]

    def items(self, children: list[CompiledItem]) -> list[dict[str, Any]]:
        out = []
        for ci in children:
            entry = self.item(ci)
            if entry is not None:
                out.append(entry)
        return out

    def children_of(self, ci: CompiledItem) -> list[CompiledItem]:
        return [c for c in self.form.items if c.parent == ci.index]

    def item(self, ci: CompiledItem) -> dict[str, Any] | None:
        if not self.state.enabled[ci.index]:
            return None
        nested = self.items(self.children_of(ci))
        entry: dict[str, Any] = {"linkId": ci.link_id}
        if ci.text.get():
            entry["text"] = ci.text.get()
        if not ci.question:
            if not nested:
                return None  # FHIR: a group in a response must hold answers
            entry["item"] = nested
            return entry
        values = self.state.values[ci.index]
        keys = self.state.keys[ci.index]
        answers = [self.value(ci, raw, key) for raw, key in zip(values, keys, strict=True)]
        if not answers:
            if not nested:
                return None
            entry["item"] = nested  # unanswered question with answered children: keep the children
            return entry
        if nested:
            answers[0]["item"] = nested  # a question's children belong under its answer
        entry["answer"] = answers
        return entry


def export_response(
    defn: FormDefinition,
    answers: Mapping[str, object] | Iterable[Answer],
    *,
    response_id: str,
    subject_ref: str,
    authored: datetime | str,
    author: str,
    status: str = "completed",
) -> dict[str, Any]:
    """The answers to ``defn`` as a FHIR R4 QuestionnaireResponse (plain dicts).

    ``answers`` is the engine's ``{linkId: value | [values]}`` or ``model.Answer``
    values. Hidden items are left out; a value that does not fit its item, or an
    answer to an item the scale does not have, raises :class:`DomainError`.
    """
    writer = _ResponseWriter(defn, _answers_dict(answers))
    top = [ci for ci in writer.form.items if ci.parent < 0]
    items = writer.items(top)
    link_ids = score_link_ids(defn)
    for name, result in scores_of(writer.state).items():
        if result.answered:
            items.append({"linkId": link_ids[name], "answer": [{"valueDecimal": result.value}]})
    moment = authored.isoformat() if isinstance(authored, datetime) else authored
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{questionnaire_url(defn.code)}|{defn.version}",
        "status": status,
        "subject": _reference(subject_ref),
        "authored": moment,
        "author": _reference(author),
    }
    if items:
        out["item"] = items
    return out
