"""Answer lists from ValueSets contained in a Questionnaire (``answerValueSet: "#id"``).

Only contained ValueSets can be read offline; a canonical URL pointing
elsewhere is reported and the question becomes free text (open-choice
without options). Concepts come from ``expansion.contains`` when present,
else from ``compose.include[].concept``; their score is the ordinalValue /
itemWeight extension, their translations ``designation`` entries (language
zh/en) or ``translation`` extensions on ``_display``.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain.forms.definition import AnswerOption, LocalText
from nurse_app.domain.forms.fhir_common import ImportIssue, Report, lang_side, ordinal_of, read_text


class ValueSets:
    """The contained ValueSets of one Questionnaire, by ``#id``."""

    def __init__(self, contained: Any, issues: list[ImportIssue]) -> None:
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.systems: set[str] = set()
        self.issues = issues
        for resource in contained if isinstance(contained, list) else []:
            if not isinstance(resource, dict):
                continue
            kind, rid = resource.get("resourceType"), resource.get("id")
            if kind == "ValueSet" and isinstance(rid, str):
                self.by_ref["#" + rid] = resource
            else:
                issues.append(
                    ImportIssue("", f"contained {kind} '{rid}'", "only contained ValueSets are read")
                )

    def note_system(self, system: str) -> None:
        """Remember a code system whose codes are kept without it (reported once per form)."""
        self.systems.add(system)

    def options(self, ref: Any, primary: str, report: Report) -> list[AnswerOption] | None:
        """The options of ValueSet ``ref``; None (reported) when it cannot be read here."""
        resource = self.by_ref.get(ref) if isinstance(ref, str) else None
        if resource is None:
            report(
                "answerValueSet",
                f"'{ref}' is not a ValueSet contained in this file; the answer becomes free text",
            )
            return None
        self.used.add(ref)
        concepts = self._expansion(resource, report)
        if concepts is None:
            concepts = self._compose(resource, report)
        if not concepts:
            report("answerValueSet", f"'{ref}' lists no codes; the answer becomes free text")
            return None
        return [self._option(concept, primary, report) for concept in concepts]

    def _expansion(self, resource: dict[str, Any], report: Report) -> list[dict[str, Any]] | None:
        expansion = resource.get("expansion")
        if not isinstance(expansion, dict) or not isinstance(expansion.get("contains"), list):
            return None
        out: list[dict[str, Any]] = []

        def walk(entries: list[Any]) -> None:
            for entry in entries:
                if isinstance(entry, dict):
                    if entry.get("code") and entry.get("abstract") is not True:
                        out.append(entry)
                    if isinstance(entry.get("contains"), list):
                        walk(entry["contains"])

        walk(expansion["contains"])
        return out

    def _compose(self, resource: dict[str, Any], report: Report) -> list[dict[str, Any]]:
        compose = resource.get("compose")
        if not isinstance(compose, dict):
            return []
        if compose.get("exclude"):
            report("answerValueSet", "compose.exclude is not applied")
        out: list[dict[str, Any]] = []
        for include in compose.get("include") or []:
            if not isinstance(include, dict):
                continue
            concepts = include.get("concept")
            if not isinstance(concepts, list):
                what = include.get("system") or include.get("valueSet")
                report("answerValueSet", f"include of {what} without listed concepts cannot be expanded here")
                continue
            for concept in concepts:
                if isinstance(concept, dict) and concept.get("code"):
                    out.append({**concept, "system": include.get("system")})
        return out

    def _option(self, concept: dict[str, Any], primary: str, report: Report) -> AnswerOption:
        if isinstance(concept.get("system"), str):
            self.note_system(concept["system"])
        display = read_text(concept, "display", primary, report)
        sides = {"zh": display.zh, "en": display.en}
        for designation in concept.get("designation") or []:
            if not isinstance(designation, dict):
                continue
            side = lang_side(designation.get("language"))
            value = designation.get("value")
            if side is not None and isinstance(value, str) and not sides[side]:
                sides[side] = value
        code = str(concept["code"])
        text = LocalText(sides["zh"], sides["en"])
        return AnswerOption(code, text if text != LocalText() else LocalText(code, code), ordinal_of(concept))
