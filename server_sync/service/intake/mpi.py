"""Patient master index: one patient across HL7, FHIR and CSV sources.

Order of evidence: a known MRN, then a known national ID (both certain), then
name + birth date + phone scored against the patients born on that day. A score
at or above ``auto_link`` is the same patient; between ``review`` and
``auto_link`` a new patient is made and the pair is queued for a person to
decide; below, a new patient. Merged patients are followed to the survivor.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.intake.events import PatientData
from server_sync.service.intake.models import (
    MpiReviewRow,
    PatientIdentifierRow,
    PatientIndexRow,
    PatientMergeRow,
)

_NAME_WEIGHT, _BIRTH_WEIGHT, _PHONE_WEIGHT = 0.5, 0.3, 0.2


@dataclass(slots=True)
class Resolution:
    patient_id: str | None  # None: a new patient
    via: str  # mrn | national_id | demographics | new
    review: list[tuple[str, float, list[str]]] = field(default_factory=list)  # (candidate, score, reasons)


def name_key(name: str) -> str:
    """Case-, width- and space-insensitive form of a name ('张 三' = '张三', 'ＺＨＡＮＧ' = 'zhang')."""
    return "".join(unicodedata.normalize("NFKC", name).lower().split())


def phone_key(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-8:]  # ignore country and area prefixes: +86 139… = 139…


@dataclass(slots=True)
class TransactionCache:
    """What one transaction already read, so a batch of messages does not read it again.

    ``keep`` holds strong references to rows read here: the session's identity map is weak,
    and a row still in it is returned by ``Session.get`` without a query (SQLAlchemy itself
    expunges or expires what a rolled-back SAVEPOINT added or changed). ``unmerged`` are
    patients known to have no A40 merge row in this transaction; ``forget`` drops that after
    a SAVEPOINT rollback.
    """

    keep: list[object] = field(default_factory=list)
    unmerged: set[str] = field(default_factory=set)

    def forget(self) -> None:
        self.unmerged.clear()


def cache(db_session: Session) -> TransactionCache:
    found = db_session.info.get("intake_cache")
    if found is None:
        found = db_session.info["intake_cache"] = TransactionCache()
    return found


def kept(db_session: Session, row):
    """``row`` (may be None), kept in the session's identity map for the rest of the transaction."""
    if row is not None:
        cache(db_session).keep.append(row)
    return row


def survivor(*, db_session: Session, patient_id: str) -> str:
    """Follow A40 merges to the patient that survived."""
    unmerged = cache(db_session).unmerged
    seen = set()
    while patient_id not in seen:
        seen.add(patient_id)
        if patient_id in unmerged:
            return patient_id
        merged = kept(db_session, db_session.get(PatientMergeRow, patient_id))
        if merged is None:
            unmerged.add(patient_id)
            return patient_id
        patient_id = merged.surviving_id
    return patient_id


def lookup(*, db_session: Session, system: str, value: str) -> str | None:
    row = kept(db_session, db_session.get(PatientIdentifierRow, (system, value.strip())))
    return None if row is None else survivor(db_session=db_session, patient_id=row.patient_id)


def score(data: PatientData, row: PatientIndexRow) -> tuple[float, list[str]]:
    """Similarity of incoming demographics to an indexed patient, with the reasons."""
    if data.national_id and row.national_id and data.national_id.strip().upper() != row.national_id.upper():
        return 0.0, ["different national ID"]
    total, reasons = 0.0, []
    if data.name and name_key(data.name) == row.name_key:
        total += _NAME_WEIGHT
        reasons.append("same name")
    if data.birth_date and row.birth_date == data.birth_date:
        total += _BIRTH_WEIGHT
        reasons.append("same birth date")
    if data.phone and phone_key(data.phone) and phone_key(data.phone) == row.phone_key:
        total += _PHONE_WEIGHT
        reasons.append("same phone")
    if (
        data.sex is not None
        and row.sex
        and data.sex.value != row.sex
        and "unknown" not in (row.sex, data.sex.value)
    ):
        total -= 0.2
        reasons.append("different sex")
    return round(max(total, 0.0), 4), reasons


def resolve(*, db_session: Session, data: PatientData, auto_link: float, review: float) -> Resolution:
    """Which stored patient ``data`` describes (see module doc)."""
    found = lookup(db_session=db_session, system="mrn", value=data.mrn)
    if found:
        return Resolution(found, "mrn")
    if data.national_id:
        found = lookup(db_session=db_session, system="national_id", value=data.national_id.upper())
        if found:
            return Resolution(found, "national_id")
    if not (data.name and data.birth_date):
        return Resolution(None, "new")
    rows = db_session.scalars(
        select(PatientIndexRow).where(PatientIndexRow.birth_date == data.birth_date)
    ).all()
    scored = sorted(((*score(data, row), row.patient_id) for row in rows), key=lambda item: -item[0])
    best = scored[0] if scored else None
    if best and best[0] >= auto_link:
        return Resolution(survivor(db_session=db_session, patient_id=best[2]), "demographics")
    uncertain = [(pid, s, reasons) for s, reasons, pid in scored if review <= s < auto_link]
    return Resolution(None, "new", uncertain)


def remember(*, db_session: Session, patient_id: str, data: PatientData, stored: dict) -> None:
    """Index a patient's identifiers and demographics (``stored`` = its current payload)."""
    for system, value in (("mrn", data.mrn), ("national_id", (data.national_id or "").upper())):
        value = value.strip()
        if value and kept(db_session, db_session.get(PatientIdentifierRow, (system, value))) is None:
            db_session.add(
                kept(db_session, PatientIdentifierRow(system=system, value=value, patient_id=patient_id))
            )
    row = kept(db_session, db_session.get(PatientIndexRow, patient_id))
    if row is None:
        row = kept(db_session, PatientIndexRow(patient_id=patient_id))
        db_session.add(row)
    row.name_key = name_key(stored.get("name", ""))
    row.birth_date = datetime.fromisoformat(stored["birth_date"]).date() if stored.get("birth_date") else None
    row.phone_key = phone_key(stored.get("phone", ""))
    row.sex = stored.get("sex", "")
    row.national_id = (stored.get("national_id") or "").upper()


def queue_review(
    *,
    db_session: Session,
    patient_id: str,
    items: list[tuple[str, float, list[str]]],
    ward_code: str | None,
    now: datetime,
) -> int:
    """Queue uncertain pairs for a person to decide; returns how many were queued."""
    for candidate, value, reasons in items:
        db_session.add(
            MpiReviewRow(
                id=str(uuid.uuid4()),
                patient_id=patient_id,
                candidate_id=candidate,
                score=value,
                reasons=reasons,
                ward_code=ward_code,
                status="open",
                created_at=now,
            )
        )
    return len(items)


def repoint(*, db_session: Session, merged_id: str, surviving_id: str, now: datetime) -> None:
    """After a merge: identifiers follow the survivor and the link is recorded."""
    for row in db_session.scalars(
        select(PatientIdentifierRow).where(PatientIdentifierRow.patient_id == merged_id)
    ):
        row.patient_id = surviving_id
    index = db_session.get(PatientIndexRow, merged_id)
    if index is not None:
        db_session.delete(index)
    cache(db_session).unmerged.discard(merged_id)
    if db_session.get(PatientMergeRow, merged_id) is None:
        db_session.add(PatientMergeRow(merged_id=merged_id, surviving_id=surviving_id, merged_at=now))
