"""From a parsed ADT message to an ``IntakeEvent``: which fields carry what.

PID-3 MRN (identifier type MR, else the first), PID-3/PID-19 national ID
(type NNCHN/NI/CZ), PID-5 name, PID-7 birth date, PID-8 sex, PID-13/14 phone,
PID-29/30 death; PV1-3.1 ward, PV1-19 visit number, PV1-7 attending,
PV1-36 discharge disposition, PV1-44/45 admit/discharge time (EVN-6, then
EVN-2/MSH-7 when a discharge time is missing); DG1-3 diagnoses (DG1-15 = 1
primary), PR1-3 procedures; PV2-12 disposition text when PV1-36 has none;
MRG-1 the merged MRN (A40).
"""

from __future__ import annotations

from nurse_app.domain.model import Diagnosis
from server_sync.service.intake.events import EventKind, IntakeError, IntakeEvent, PatientData, VisitData
from server_sync.service.intake.hl7_parse import Hl7Message
from server_sync.service.intake.values import (
    clean_phone,
    disposition_flags,
    join_name,
    parse_hl7_date,
    parse_hl7_time,
    parse_sex,
)

EVENTS = {
    "A01": EventKind.ADMIT,
    "A04": EventKind.ADMIT,  # register an outpatient/day case: same handling as an admission
    "A02": EventKind.TRANSFER,
    "A03": EventKind.DISCHARGE,
    "A08": EventKind.UPDATE,
    "A11": EventKind.CANCEL_ADMIT,
    "A13": EventKind.CANCEL_DISCHARGE,
    "A40": EventKind.MERGE,
}
_NATIONAL_ID_TYPES = {"NNCHN", "NI", "CZ", "SFZ", "NNCN"}


def message_type(msg: Hl7Message) -> tuple[str, str]:
    """(MSH-9.1, MSH-9.2), e.g. ('ADT', 'A03'); IntakeError when absent or unsupported."""
    msh = msg.segment("MSH")
    kind, trigger = msg.get(msh, 9, 1), msg.get(msh, 9, 2)
    if not kind:
        raise IntakeError("MSH-9 message type is missing", code="101", location="MSH^1^9", reject=True)
    if kind != "ADT":
        raise IntakeError(
            f"message type {kind} is not supported (ADT only)", code="200", location="MSH^1^9", reject=True
        )
    if trigger not in EVENTS:
        raise IntakeError(
            f"event {trigger or '(none)'} is not supported (A01 A02 A03 A08 A11 A13 A40)",
            code="201",
            location="MSH^1^9^1^2",
            reject=True,
        )
    return kind, trigger


def check_header(msg: Hl7Message) -> str:
    """Validate MSH-10/11/12 and return the control ID."""
    msh = msg.segment("MSH")
    control_id = msg.get(msh, 10)
    if not control_id:
        raise IntakeError(
            "MSH-10 message control ID is missing", code="101", location="MSH^1^10", reject=True
        )
    version = msg.get(msh, 12)
    if version and not version.startswith("2."):
        raise IntakeError(
            f"HL7 version {version} is not supported (2.x)", code="203", location="MSH^1^12", reject=True
        )
    processing = msg.get(msh, 11)
    if processing and processing[0] not in "PDT":
        raise IntakeError(
            f"processing ID {processing} is not P, D or T", code="202", location="MSH^1^11", reject=True
        )
    return control_id


def _identifiers(msg: Hl7Message, pid) -> tuple[str, str]:
    mrn = national = first = ""
    for rep in msg.repetitions(pid, 3):
        parts = msg.components(rep)
        value = parts[0].strip() if parts else ""
        id_type = parts[4].strip().upper() if len(parts) > 4 else ""
        if not value:
            continue
        first = first or value
        if id_type == "MR" and not mrn:
            mrn = value
        elif id_type in _NATIONAL_ID_TYPES and not national:
            national = value
    return mrn or first, national or msg.get(pid, 19)


def _patient(msg: Hl7Message, zone: str) -> PatientData:
    pid = msg.segment("PID")
    if pid is None:
        raise IntakeError("the PID segment is missing", code="100", location="PID")
    mrn, national = _identifiers(msg, pid)
    if not mrn:
        raise IntakeError("PID-3 patient identifier (MRN) is missing", code="101", location="PID^1^3")
    name = join_name(msg.get(pid, 5, 1), msg.get(pid, 5, 2)) or None
    phone = clean_phone(msg.get(pid, 13, 1) or msg.get(pid, 13, 12) or msg.get(pid, 14, 1))
    deceased = msg.get(pid, 30).upper() == "Y" or bool(msg.get(pid, 29))
    if msg.get(pid, 29):
        parse_hl7_time(msg.get(pid, 29), zone=zone, location="PID^1^29")
    return PatientData(
        mrn=mrn,
        name=name,
        sex=parse_sex(msg.get(pid, 8), location="PID^1^8"),
        birth_date=parse_hl7_date(msg.get(pid, 7), location="PID^1^7"),
        phone=phone or None,
        national_id=national or None,
        deceased=deceased,
    )


def _diagnoses(msg: Hl7Message) -> tuple[Diagnosis, ...] | None:
    segments = msg.all("DG1")
    if not segments:
        return None
    found = []
    for seg in segments:
        code = msg.get(seg, 3, 1)
        if not code:
            raise IntakeError("DG1-3 diagnosis code is missing", code="101", location=f"DG1^{seg.index}^3")
        text = msg.get(seg, 3, 2) or msg.get(seg, 4)
        primary = msg.get(seg, 15) == "1"  # DG1-15 diagnosis priority: 1 = the principal diagnosis
        found.append(Diagnosis(code, text, primary))
    if found and not any(d.primary for d in found):
        found[0] = Diagnosis(found[0].icd10, found[0].description, True)
    return tuple(found)


def _procedures(msg: Hl7Message) -> tuple[str, ...] | None:
    segments = msg.all("PR1")
    if not segments:
        return None
    names = []
    for seg in segments:
        name = msg.get(seg, 3, 2) or msg.get(seg, 4) or msg.get(seg, 3, 1)
        if not name:
            raise IntakeError("PR1-3 procedure code is missing", code="101", location=f"PR1^{seg.index}^3")
        names.append(name)
    return tuple(names)


def _visit(msg: Hl7Message, kind: EventKind, zone: str) -> VisitData | None:
    pv1 = msg.segment("PV1")
    if pv1 is None:
        if kind in (EventKind.MERGE, EventKind.UPDATE):
            return None
        raise IntakeError("the PV1 segment is missing", code="100", location="PV1")
    evn = msg.segment("EVN")
    admitted = parse_hl7_time(msg.get(pv1, 44), zone=zone, location="PV1^1^44")
    discharged = parse_hl7_time(msg.get(pv1, 45), zone=zone, location="PV1^1^45")
    if kind is EventKind.DISCHARGE and discharged is None:
        fallback = msg.get(evn, 6) or msg.get(evn, 2) or msg.get(msg.segment("MSH"), 7)
        discharged = parse_hl7_time(fallback, zone=zone, location="EVN^1^6")
        if discharged is None:
            raise IntakeError("PV1-45 discharge date/time is missing", code="101", location="PV1^1^45")
    if kind is EventKind.ADMIT and admitted is None:
        admitted = parse_hl7_time(msg.get(evn, 6) or msg.get(evn, 2), zone=zone, location="EVN^1^6")
    pv2 = msg.segment("PV2")
    disposition_code = msg.get(pv1, 36, 1)
    disposition_text = msg.get(pv1, 36, 2) or msg.get(pv2, 12)
    attending = join_name(msg.get(pv1, 7, 2), msg.get(pv1, 7, 3)) or msg.get(pv1, 7, 1)
    return VisitData(
        key=msg.get(pv1, 19) or None,
        ward_code=msg.get(pv1, 3, 1) or None,
        admitted_at=admitted,
        discharged_at=discharged,
        diagnoses=_diagnoses(msg),
        procedures=_procedures(msg),
        attending=attending or None,
        disposition=disposition_text or None,
        flags=disposition_flags(disposition_code, disposition_text),
    )


def to_event(msg: Hl7Message, *, zone: str) -> IntakeEvent:
    """The intake event of a parsed ADT message (IntakeError names the bad field)."""
    _kind, trigger = message_type(msg)
    kind = EVENTS[trigger]
    patient = _patient(msg, zone)
    merge_mrns: tuple[str, ...] = ()
    if kind is EventKind.MERGE:
        mrg = msg.segment("MRG")
        prior = [msg.components(rep)[0].strip() for rep in msg.repetitions(mrg, 1)]
        merge_mrns = tuple(p for p in prior if p and p != patient.mrn)
        if not merge_mrns:
            raise IntakeError("MRG-1 prior patient identifier is missing", code="101", location="MRG^1^1")
    visit = None if kind is EventKind.MERGE else _visit(msg, kind, zone)
    occurred = parse_hl7_time(msg.get(msg.segment("EVN"), 6), zone=zone, location="EVN^1^6")
    return IntakeEvent(kind, "hl7", patient, visit, merge_mrns, occurred)
