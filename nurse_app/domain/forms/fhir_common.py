"""Shared pieces of the FHIR R4 interchange: extension URLs, errors, issues, and localized text.

Localized text (:class:`LocalText`) travels as FHIR does it: the element holds
the text in the resource's language (``zh-CN`` for our exports) and its
``_element`` twin carries ``translation`` extensions (``lang`` + ``content``)
for the other language. A text that only exists in English is written as the
English string plus our ``text-language`` marker, so it comes back on the
English side instead of posing as Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms.definition import LocalText

# -- our own extensions ------------------------------------------------------------------------
BASE_URL = "https://followup-nurse-station.example/fhir"
OUR_SD = BASE_URL + "/StructureDefinition/"
URL_CRITICAL_RULE = OUR_SD + "critical-rule"
URL_SCORE = OUR_SD + "score"
URL_SATISFACTION = OUR_SD + "satisfaction-item"
URL_TEXT_LANGUAGE = OUR_SD + "text-language"
URL_SOURCE_VERSION = OUR_SD + "source-version"
URL_INITIAL_TEXT = OUR_SD + "initial-text"
SCALE_CODE_SYSTEM = BASE_URL + "/scale-code"
QUESTIONNAIRE_URL = BASE_URL + "/Questionnaire/"

# -- HL7 core and SDC extensions ---------------------------------------------------------------
HL7_SD = "http://hl7.org/fhir/StructureDefinition/"
SDC_SD = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
URL_TRANSLATION = HL7_SD + "translation"
URL_ORDINAL = HL7_SD + "ordinalValue"
URL_ITEM_WEIGHT = HL7_SD + "itemWeight"
#: Every extension published scales use for an option's score (R4 name first).
ORDINAL_URLS = frozenset(
    {URL_ORDINAL, URL_ITEM_WEIGHT, HL7_SD + "valueset-ordinalValue", HL7_SD + "iso21090-CO-value"}
)
URL_MIN_VALUE = HL7_SD + "minValue"
URL_MAX_VALUE = HL7_SD + "maxValue"
URL_MIN_LENGTH = HL7_SD + "minLength"
URL_REGEX = HL7_SD + "regex"
URL_UNIT = HL7_SD + "questionnaire-unit"
URL_UNIT_OPTION = HL7_SD + "questionnaire-unitOption"
URL_MIN_QUANTITY = SDC_SD + "sdc-questionnaire-minQuantity"
URL_MAX_QUANTITY = SDC_SD + "sdc-questionnaire-maxQuantity"
URL_CALCULATED = SDC_SD + "sdc-questionnaire-calculatedExpression"
VARIABLE_URLS = frozenset({HL7_SD + "variable", SDC_SD + "sdc-questionnaire-variable"})
FHIRPATH = "text/fhirpath"

UCUM = "http://unitsofmeasure.org"
#: Display unit → UCUM code, for the units our scales use; other units travel without a code.
UCUM_CODES = {
    "mmHg": "mm[Hg]",
    "°C": "Cel",
    "℃": "Cel",
    "kg": "kg",
    "g": "g",
    "cm": "cm",
    "mmol/L": "mmol/L",
    "mL": "mL",
    "ml": "mL",
    "/min": "/min",
    "%": "%",
}
UCUM_DISPLAYS = {"mm[Hg]": "mmHg", "Cel": "°C", "/min": "/min"}


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """Something in a FHIR file that the scale cannot hold: where (linkId, "" for the form), what, why."""

    link_id: str
    what: str
    why: str

    def __str__(self) -> str:
        return f"[{self.link_id or '-'}] {self.what}: {self.why}"


class FormImportError(DomainError):
    """A FHIR file that cannot be imported at all; nothing of it is kept."""

    def __init__(self, message: str, link_id: str = "", problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.link_id = link_id
        self.problems: tuple[str, ...] = tuple(problems)


Report = Callable[[str, str], None]  # report(what, why) for the item being read


def extensions(obj: Any) -> list[dict[str, Any]]:
    """The well-formed ``extension`` entries of a FHIR element (others are ignored by the caller's check)."""
    if not isinstance(obj, dict):
        return []
    raw = obj.get("extension")
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def value_of(obj: dict[str, Any], prefix: str = "value") -> tuple[str, Any]:
    """``(type, value)`` of a FHIR choice element ``value[x]`` (``("", None)`` when absent)."""
    for key, value in obj.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key[len(prefix) :], value
    return "", None


def sub(ext: dict[str, Any], url: str) -> list[Any]:
    """The values of the sub-extensions ``url`` of a complex extension, in order."""
    return [value_of(e)[1] for e in extensions(ext) if e.get("url") == url]


def lang_side(lang: object) -> str | None:
    """``"zh"``/``"en"`` for a BCP-47 tag in one of our languages, else None."""
    if not isinstance(lang, str):
        return None
    low = lang.lower().replace("_", "-")
    if low.startswith("zh"):
        return "zh"
    if low.startswith("en"):
        return "en"
    return None


def _translation(lang: str, content: str) -> dict[str, Any]:
    return {
        "url": URL_TRANSLATION,
        "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": content}],
    }


def put_text(out: dict[str, Any], key: str, text: LocalText) -> None:
    """Write ``text`` as the element ``key`` (Chinese first) with its English translation in ``_key``."""
    if not text.zh and not text.en:
        return
    if text.zh:
        out[key] = text.zh
        if text.en:
            out["_" + key] = {"extension": [_translation("en", text.en)]}
    else:
        out[key] = text.en
        out["_" + key] = {"extension": [{"url": URL_TEXT_LANGUAGE, "valueCode": "en"}]}


def read_text(obj: dict[str, Any], key: str, primary: str, report: Report) -> LocalText:
    """The :class:`LocalText` of ``key``: its string on the ``primary`` side, translations on theirs."""
    raw = obj.get(key)
    sides = {"zh": "", "en": ""}
    side = primary
    translations: list[tuple[str, str]] = []
    for ext in extensions(obj.get("_" + key)):
        url = ext.get("url")
        if url == URL_TEXT_LANGUAGE:
            side = lang_side(ext.get("valueCode")) or side
        elif url == URL_TRANSLATION:
            lang = next(iter(sub(ext, "lang")), None)
            content = next(iter(sub(ext, "content")), None)
            target = lang_side(lang)
            if target is None:
                report(f"{key} translation '{lang}'", "only Chinese and English texts are kept")
            elif isinstance(content, str) and content:
                translations.append((target, content))
        else:
            report(f"{key} extension {url}", "text formatting is not kept; the plain text is used")
    if isinstance(raw, str):
        sides[side] = raw
    elif raw is not None:
        report(key, f"not a string ({type(raw).__name__}); ignored")
    for target, content in translations:
        if not sides[target]:
            sides[target] = content
    return LocalText(sides["zh"], sides["en"])


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Han characters (used to guess the language of an unlabeled file)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def typed_value(value: Any) -> tuple[str, Any]:
    """``(valueX key suffix, value)`` for a plain Python constant (rule thresholds, initial values)."""
    if isinstance(value, bool):
        return "Boolean", value
    if isinstance(value, int):
        return ("Integer", value) if -(2**31) <= value < 2**31 else ("Decimal", value)
    if isinstance(value, float):
        return "Decimal", value
    if isinstance(value, dict):
        return "Quantity", quantity(value.get("value"), value.get("unit"))
    return "String", str(value)


def quantity(value: Any, unit: str | None) -> dict[str, Any]:
    """A FHIR Quantity, with the UCUM code when the unit is one we know."""
    out: dict[str, Any] = {"value": value}
    if unit:
        out["unit"] = unit
        code = UCUM_CODES.get(unit)
        if code is not None:
            out["system"] = UCUM
            out["code"] = code
    return out


def unit_coding(unit: str) -> dict[str, Any]:
    """The Coding of a unit for ``questionnaire-unitOption`` (display kept, so it reads back exactly)."""
    code = UCUM_CODES.get(unit)
    coding: dict[str, Any] = {"display": unit}
    if code is not None:
        coding = {"system": UCUM, "code": code, "display": unit}
    return coding


def coding_unit(coding: Any) -> str | None:
    """The unit string of a unit Coding (its display, else a readable form of the code)."""
    if not isinstance(coding, dict):
        return None
    display, code = coding.get("display"), coding.get("code")
    if isinstance(display, str) and display:
        return display
    if isinstance(code, str) and code:
        return UCUM_DISPLAYS.get(code, code)
    return None


def ordinal_of(obj: Any) -> float | None:
    """The score an option or concept carries in an ordinalValue/itemWeight extension, if any."""
    for ext in extensions(obj):
        if ext.get("url") in ORDINAL_URLS:
            _suffix, value = value_of(ext)
            if number(value):
                return value
    return None
