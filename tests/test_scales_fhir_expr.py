"""The FHIRPath sum shapes a calculatedExpression may take, and the ones reported as unsupported."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nurse_app.domain.forms.fhir_path import FhirPathSyntaxError, parse, quote
from nurse_app.domain.forms.fhir_score_expr import ScoreExpressionReader, UnsupportedExpression, write_sum

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


@dataclass
class N:
    link_id: str
    type: str
    children: list[N] = field(default_factory=list)


TREE = [
    N("g", "group", [N("q1", "choice"), N("q2", "choice"), N("g2", "group", [N("q3", "open-choice")])]),
    N("yes", "boolean"),
    N("kg", "quantity"),
    N("n", "integer"),
    N("note", "string"),
    N("total", "decimal"),
]
VARIABLES = {
    "a": "%resource.repeat(item).where(linkId='q1').answer.value.ordinal()",
    "b": "%resource.repeat(item).where(linkId='q2').answer.value.ordinal()",
    "any": "%a.exists() or %b.exists()",
    "scoreExt": quote(ORDINAL),
    "loop": "%loop + 1",
}


def read(expression: str) -> list[tuple[str, float]]:
    reader = ScoreExpressionReader(TREE, VARIABLES, exclude=frozenset({"total"}))
    return [(t.link_id, t.weight) for t in reader.read(expression)]


@pytest.mark.parametrize(
    ("expression", "terms"),
    [
        ("%resource.repeat(item).where(linkId='q1').answer.value.ordinal()", [("q1", 1)]),
        ("%resource.item.where(linkId='g').item.where(linkId='q2').answer.value.weight().sum()", [("q2", 1)]),
        (
            "%resource.repeat(item).where(linkId = 'q1').answer.valueCoding.extension('"
            + ORDINAL
            + "').value",
            [("q1", 1)],
        ),
        (
            "%resource.repeat(item).where(linkId='q1').answer.value.extension.where(url=%scoreExt).valueDecimal",
            [("q1", 1)],
        ),
        (
            "2 * %a + %b * 0.5 + -1 * %resource.repeat(item).where(linkId='n').answer.value",
            [("q1", 2), ("q2", 0.5), ("n", -1)],
        ),
        ("iif(%any, iif(%a.exists(), %a, 0) + iif(%b.exists(), %b, 0), {})", [("q1", 1), ("q2", 1)]),
        ("(%a + %b)", [("q1", 1), ("q2", 1)]),
        ("%resource.repeat(item).answer.value.ordinal().sum()", [("q1", 1), ("q2", 1), ("q3", 1)]),
        ("%resource.item.where(linkId='g').item.answer.value.weight().sum()", [("q1", 1), ("q2", 1)]),
        ("%resource.repeat(item).where(linkId != 'q2').answer.value.ordinal().sum()", [("q1", 1), ("q3", 1)]),
        ("%resource.repeat(item).answer.value.sum()", [("kg", 1), ("n", 1)]),
        ("%resource.repeat(item).where(linkId='kg').answer.value.value.sum()", [("kg", 1)]),
        ("%resource.repeat(item).where(linkId='yes').answer.value.where($this).count()", [("yes", 1)]),
        (
            "%questionnaire.repeat(item).where(linkId='q1').answerOption.where(valueCoding.code = "
            "%resource.repeat(item).where(linkId='q1').answer.valueCoding.code)"
            ".extension.where(url='" + ORDINAL + "').valueDecimal",
            [("q1", 1)],
        ),
    ],
)
def test_supported_sum_shapes(expression: str, terms: list[tuple[str, float]]) -> None:
    assert read(expression) == terms


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("%a + 5", "adds a constant"),
        ("%a * %b", "multiplies two answers"),
        ("%a - %b", "operator '-'"),
        ("%resource.item.where(linkId='q1').answer.value.ordinal()", "selects no item"),  # q1 is nested
        ("%resource.repeat(item).where(linkId='note').answer.value", "reads the number of 'note'"),
        ("%resource.repeat(item).where(linkId='q1').answer.value.code", "answer codes"),
        (
            "%resource.repeat(item).where(linkId='q1').answer.value.extension('http://x').value",
            "not the ordinal",
        ),
        ("iif(%resource.repeat(item).where(linkId='yes').answer.value, %a, 0)", "iif() on the condition"),
        ("iif(%a.exists(), %a, 1)", "'otherwise' branch"),
        ("%missing", "not a variable"),
        ("%loop", "refers to itself"),
        ("%resource.repeat(item).where(linkId='total').answer.value", "selects no item"),
        ("%resource.repeat(item).where(text='x').answer.value", "filters items by"),
        ("%context.answer.value", "instead of %resource"),
        ("%resource.repeat(item).where(linkId='q1').answer.value.ordinal().length()", "uses .length"),
        ("%a +", "not readable FHIRPath"),
    ],
)
def test_unsupported_shapes_say_why(expression: str, reason: str) -> None:
    with pytest.raises(UnsupportedExpression, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read(expression)


def test_written_sums_read_back() -> None:
    terms = [("q1", 2, "choice"), ("yes", 0.5, "boolean"), ("kg", 1, "quantity"), ("n", 1.0, "integer")]
    expression = write_sum(terms)
    assert read(expression) == [("q1", 2), ("yes", 0.5), ("kg", 1), ("n", 1.0)]
    assert isinstance(read(expression)[3][1], float)


def test_parser_precedence_and_literals() -> None:
    assert parse("1 + 2 * 3") == ("bin", "+", ("num", 1), ("bin", "*", ("num", 2), ("num", 3)))
    assert parse("%`vs-x`.a") == ("member", ("var", "vs-x"), "a")
    assert parse(r"'it\'s'") == ("str", "it's")
    assert parse("a.b(1, 'x') or {}") == (
        "bin",
        "or",
        ("call", ("ident", "a"), "b", [("num", 1), ("str", "x")]),
        ("empty",),
    )
    for bad in ("", "a ?", "(1", "a.", "1 2"):
        with pytest.raises(FhirPathSyntaxError):
            parse(bad)
