"""FHIR R4 checks shared by the scale tests: fixtures, and the R4 invariants fhir.resources does not check."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
# Extension value types of FHIR R4 (fhir.resources validates R4B, which adds a few: keep to R4's).
R4_VALUE_TYPES = frozenset(
    [
        "Boolean",
        "Code",
        "Coding",
        "Date",
        "DateTime",
        "Decimal",
        "Expression",
        "Integer",
        "Quantity",
        "String",
        "CodeableConcept",
    ]
)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def walk_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out.extend(walk_items(item.get("item", [])))
    return out


def extensions_in(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.extend(node.get("extension", []))
        for value in node.values():
            found.extend(extensions_in(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(extensions_in(value))
    return found


def assert_valid_r4(q: dict[str, Any]) -> None:
    """Structure by fhir.resources (R4B ≈ R4 for Questionnaire) plus the R4 invariants it does not check."""
    Questionnaire.model_validate(q)
    assert q["status"] in ("draft", "active", "retired", "unknown")
    assert re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", q["name"])  # que-0
    items = walk_items(q["item"])
    link_ids = [i["linkId"] for i in items]
    assert len(link_ids) == len(set(link_ids))  # que-2
    for item in items:
        kind = item["type"]
        assert (kind == "group") == bool(item.get("item")) or kind != "display"  # que-1
        if kind == "group":
            assert item.get("item")
        if kind == "display":
            assert not item.get("item") and not item.get("required") and not item.get("repeats")  # que-1/6
        if len(item.get("enableWhen", [])) > 1:
            assert item["enableBehavior"] in ("all", "any")  # que-12
        if item.get("answerOption"):
            assert kind in ("choice", "open-choice") and "initial" not in item  # que-5, que-11
        if len(item.get("initial", [])) > 1:
            assert item.get("repeats")  # que-13
        for cond in item.get("enableWhen", []):
            if cond["operator"] == "exists":
                assert "answerBoolean" in cond  # que-7
    for ext in extensions_in(q):
        values = [k[5:] for k in ext if k.startswith("value")]
        assert len(values) <= 1 and (not values or values[0] in R4_VALUE_TYPES), ext
        assert bool(values) != bool(ext.get("extension")), ext  # ext-1: value or children, not both
