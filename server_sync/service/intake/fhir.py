"""FHIR R4 intake: a transaction/collection Bundle, or a list of resources, with one Patient and
one Encounter (plus Conditions, Procedures, Locations/Organizations it refers to).

Discharge = ``Encounter.period.end``; ward = the identifier (or id) of
``Encounter.location[0]``'s Location, else of ``serviceProvider``; diagnoses =
``Encounter.diagnosis`` → Condition (ICD-10 coding), else Conditions whose
``encounter`` points here; disposition = ``hospitalization.dischargeDisposition``.
"""

from __future__ import annotations

from typing import Any

from nurse_app.domain.model import Diagnosis
from server_sync.service.intake.events import EventKind, IntakeError, IntakeEvent, PatientData, VisitData
from server_sync.service.intake.values import (
    clean_phone,
    disposition_flags,
    join_name,
    parse_iso_date,
    parse_iso_time,
    parse_sex,
)

_ICD10_HINTS = ("icd-10", "icd10", "2.16.840.1.113883.6.3", "2.16.156.10011.2.3.3.11")
_NATIONAL_ID_HINTS = ("2.16.156.10011.1.3", "national", "resident", "id-card", "nnchn")


def _resources(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict) and body.get("resourceType") == "Bundle":
        items = [
            entry.get("resource") | {"_fullUrl": entry.get("fullUrl", "")}
            for entry in body.get("entry", [])
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ]
    elif isinstance(body, dict) and body.get("resourceType"):
        items = [body, *body.get("contained", [])]
    else:
        raise IntakeError(
            "expected a FHIR Bundle, a resource or a list of resources",
            code="102",
            location="body",
            reject=True,
        )
    return [item for item in items if isinstance(item, dict)]


def _refs(resource: dict[str, Any]) -> set[str]:
    kind, rid = resource.get("resourceType", ""), resource.get("id", "")
    refs = {f"{kind}/{rid}", f"#{rid}"} if rid else set()
    if resource.get("_fullUrl"):
        refs.add(resource["_fullUrl"])
    return refs


def _find(resources: list[dict[str, Any]], reference: str | None) -> dict[str, Any] | None:
    if not reference:
        return None
    return next(
        (r for r in resources if reference in _refs(r) or reference.endswith("/" + r.get("id", "\0"))), None
    )


def _one(resources: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [r for r in resources if r.get("resourceType") == kind]
    if len(found) != 1:
        raise IntakeError(
            f"expected exactly one {kind}, got {len(found)}", code="101", location=kind, reject=True
        )
    return found[0]


def _identifier_value(identifiers: list[dict[str, Any]], *, mrn: bool) -> str:
    for ident in identifiers or []:
        codes = {c.get("code", "").upper() for c in ident.get("type", {}).get("coding", [])}
        system = ident.get("system", "").lower()
        if mrn and ("MR" in codes or "mrn" in system or "medical-record" in system):
            return str(ident.get("value", "")).strip()
        if not mrn and (codes & {"NI", "NNCHN", "CZ"} or any(h in system for h in _NATIONAL_ID_HINTS)):
            return str(ident.get("value", "")).strip()
    return ""


def _patient(resource: dict[str, Any]) -> PatientData:
    identifiers = resource.get("identifier", [])
    mrn = _identifier_value(identifiers, mrn=True) or (
        str(identifiers[0].get("value", "")) if identifiers else ""
    )
    if not mrn:
        raise IntakeError("Patient.identifier has no MRN", code="101", location="Patient.identifier")
    names = resource.get("name") or [{}]
    first = names[0]
    name = first.get("text") or join_name(first.get("family", ""), "".join(first.get("given", [])))
    phone = next((t.get("value", "") for t in resource.get("telecom", []) if t.get("system") == "phone"), "")
    return PatientData(
        mrn=mrn,
        name=name or None,
        sex=parse_sex(
            {"male": "M", "female": "F", "other": "O", "unknown": "U"}.get(resource.get("gender", ""), ""),
            location="Patient.gender",
        ),
        birth_date=parse_iso_date(resource.get("birthDate", ""), location="Patient.birthDate"),
        phone=clean_phone(phone) or None,
        national_id=_identifier_value(identifiers, mrn=False).upper() or None,
        deceased=bool(resource.get("deceasedBoolean") or resource.get("deceasedDateTime")),
    )


def _code(concept: dict[str, Any]) -> tuple[str, str]:
    codings = concept.get("coding", [])
    chosen = next(
        (c for c in codings if any(h in c.get("system", "").lower() for h in _ICD10_HINTS)),
        codings[0] if codings else {},
    )
    return str(chosen.get("code", "")).strip(), chosen.get("display") or concept.get("text", "")


def _diagnoses(encounter: dict[str, Any], resources: list[dict[str, Any]]) -> tuple[Diagnosis, ...] | None:
    found: list[Diagnosis] = []
    ranked = sorted(encounter.get("diagnosis", []), key=lambda d: d.get("rank", 99))
    for item in ranked:
        condition = _find(resources, item.get("condition", {}).get("reference"))
        if condition is not None:
            code, text = _code(condition.get("code", {}))
            if code:
                found.append(Diagnosis(code, text, not found))
    if not found:
        own = _refs(encounter)
        for condition in (r for r in resources if r.get("resourceType") == "Condition"):
            if condition.get("encounter", {}).get("reference") in own or len(own) == 0:
                code, text = _code(condition.get("code", {}))
                if code:
                    found.append(Diagnosis(code, text, not found))
    return tuple(found) or None


def _ward(encounter: dict[str, Any], resources: list[dict[str, Any]]) -> str | None:
    for link in encounter.get("location", []):
        ref = link.get("location", {})
        identifier = ref.get("identifier", {}).get("value")
        if identifier:
            return identifier
        target = _find(resources, ref.get("reference"))
        if target is not None:
            ids = target.get("identifier", [])
            return (ids[0].get("value") if ids else None) or target.get("id")
        if ref.get("reference", "").startswith("Location/"):
            return ref["reference"].split("/", 1)[1]
    provider = encounter.get("serviceProvider", {})
    if provider.get("identifier", {}).get("value"):
        return provider["identifier"]["value"]
    target = _find(resources, provider.get("reference"))
    if target is not None and target.get("identifier"):
        return target["identifier"][0].get("value")
    return None


def to_event(body: Any, *, zone: str) -> IntakeEvent:
    """The intake event of a FHIR payload; IntakeError names the element at fault."""
    resources = _resources(body)
    patient = _patient(_one(resources, "Patient"))
    encounter = _one(resources, "Encounter")
    period = encounter.get("period", {})
    admitted = parse_iso_time(period.get("start", ""), zone=zone, location="Encounter.period.start")
    discharged = parse_iso_time(period.get("end", ""), zone=zone, location="Encounter.period.end")
    hospitalization = encounter.get("hospitalization", {})
    disposition_code, disposition_text = _code(hospitalization.get("dischargeDisposition", {}))
    procedures = [
        _code(p.get("code", {}))
        for p in resources
        if p.get("resourceType") == "Procedure" and p.get("status", "completed") != "entered-in-error"
    ]
    attending = next(
        (
            p.get("individual", {}).get("display", "")
            for p in encounter.get("participant", [])
            if any(c.get("code") == "ATND" for t in p.get("type", []) for c in t.get("coding", []))
        ),
        "",
    )
    identifiers = encounter.get("identifier", [])
    status = encounter.get("status", "")
    kind = (
        EventKind.DISCHARGE if discharged else EventKind.UPDATE if status == "finished" else EventKind.ADMIT
    )
    if status == "cancelled" or status == "entered-in-error":
        kind = EventKind.CANCEL_ADMIT
    visit = VisitData(
        key=(identifiers[0].get("value") if identifiers else None) or None,
        ward_code=_ward(encounter, resources),
        admitted_at=admitted,
        discharged_at=discharged,
        diagnoses=_diagnoses(encounter, resources),
        procedures=tuple(text or code for code, text in procedures) or None,
        attending=attending or None,
        disposition=disposition_text or None,
        flags=disposition_flags(disposition_code, disposition_text),
    )
    return IntakeEvent(kind, "fhir", patient, visit)
