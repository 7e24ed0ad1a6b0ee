"""What every source (HL7 ADT, FHIR, CSV/Excel) is translated into before it is applied.

``None`` means "not sent": an A08 that omits the phone keeps the stored phone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from nurse_app.domain.model import Diagnosis, Sex


class EventKind(StrEnum):
    ADMIT = "admit"  # A01
    TRANSFER = "transfer"  # A02
    DISCHARGE = "discharge"  # A03, FHIR with period.end, a CSV row
    UPDATE = "update"  # A08
    CANCEL_ADMIT = "cancel_admit"  # A11
    CANCEL_DISCHARGE = "cancel_discharge"  # A13
    MERGE = "merge"  # A40


class IntakeError(Exception):
    """Input that cannot be applied; ``location`` names the field (HL7 ``SEG^1^7``, CSV column)."""

    def __init__(self, message: str, *, code: str = "207", location: str = "", reject: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # HL7 table 0357: 100 segment, 101 required, 102 data type, 103 table value…
        self.location = location
        self.reject = reject  # AR (the message as such is unacceptable) rather than AE


@dataclass(frozen=True, slots=True)
class PatientData:
    mrn: str
    name: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    phone: str | None = None
    national_id: str | None = None
    deceased: bool = False


@dataclass(frozen=True, slots=True)
class VisitData:
    key: str | None = None  # visit number; None → derived from MRN + admission time
    ward_code: str | None = None
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    diagnoses: tuple[Diagnosis, ...] | None = None
    procedures: tuple[str, ...] | None = None
    attending: str | None = None
    disposition: str | None = None  # free text shown to the nurse (出院情况)
    flags: frozenset[str] = frozenset()  # against_advice, transferred_out, refused_followup, deceased


@dataclass(frozen=True, slots=True)
class IntakeEvent:
    kind: EventKind
    source: str  # hl7 | fhir | csv | xlsx
    patient: PatientData
    visit: VisitData | None = None
    merge_mrns: tuple[str, ...] = ()  # A40: the MRNs merged into ``patient``
    occurred_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass(slots=True)
class ApplyResult:
    patient_id: str = ""
    encounter_id: str = ""
    enrolled: list[str] = field(default_factory=list)  # plan codes enrolled
    candidates: list[str] = field(default_factory=list)  # plan codes queued for review
    cancelled_tasks: int = 0
    moved_tasks: int = 0  # open tasks that followed the stay to another ward
    review_items: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "patient_id": self.patient_id,
            "encounter_id": self.encounter_id,
            "enrolled": self.enrolled,
            "candidates": self.candidates,
            "cancelled_tasks": self.cancelled_tasks,
            "moved_tasks": self.moved_tasks,
            "review_items": self.review_items,
        }
