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
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.intake import group_cache
from server_sync.service.intake.events import PatientData
from server_sync.service.intake.group_cache import cache
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


def survivor(*, db_session: Session, patient_id: str) -> str:
    """Follow A40 merges to the patient that survived."""
    unmerged = cache(db_session).unmerged
    seen = set()
    while patient_id not in seen:
        seen.add(patient_id)
        if patient_id in unmerged:
            return patient_id
        merged = group_cache.get(db_session, PatientMergeRow, patient_id)
        if merged is None:
            unmerged.add(patient_id)
            return patient_id
        patient_id = merged.surviving_id
    return patient_id


def lookup(*, db_session: Session, system: str, value: str) -> str | None:
    row = group_cache.get(db_session, PatientIdentifierRow, (system, value.strip()))
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
    rows = _born_on(db_session, data.birth_date)
    scored = sorted(((*score(data, row), row.patient_id) for row in rows), key=lambda item: -item[0])
    best = scored[0] if scored else None
    if best and best[0] >= auto_link:
        return Resolution(survivor(db_session=db_session, patient_id=best[2]), "demographics")
    uncertain = [(pid, s, reasons) for s, reasons, pid in scored if review <= s < auto_link]
    return Resolution(None, "new", uncertain)


def _born_on(db_session: Session, birth_date: date) -> list[PatientIndexRow]:
    ahead = group_cache.ahead(db_session)
    if ahead is not None and birth_date in ahead.index_by_birth:
        return ahead.index_by_birth[birth_date]
    return list(db_session.scalars(select(PatientIndexRow).where(PatientIndexRow.birth_date == birth_date)))


def remember(*, db_session: Session, patient_id: str, data: PatientData, stored: dict) -> None:
    """Index a patient's identifiers and demographics (``stored`` = its current payload)."""
    for system, value in (("mrn", data.mrn), ("national_id", (data.national_id or "").upper())):
        value = value.strip()
        if value and group_cache.get(db_session, PatientIdentifierRow, (system, value)) is None:
            group_cache.add(
                db_session,
                PatientIdentifierRow,
                (system, value),
                PatientIdentifierRow(system=system, value=value, patient_id=patient_id),
            )
    row = group_cache.get(db_session, PatientIndexRow, patient_id)
    if row is None:
        row = group_cache.add(db_session, PatientIndexRow, patient_id, PatientIndexRow(patient_id=patient_id))
    row.name_key = name_key(stored.get("name", ""))
    born = datetime.fromisoformat(stored["birth_date"]).date() if stored.get("birth_date") else None
    _reindex_birth(db_session, row, born)
    row.birth_date = born
    row.phone_key = phone_key(stored.get("phone", ""))
    row.sex = stored.get("sex", "")
    row.national_id = (stored.get("national_id") or "").upper()


def _reindex_birth(db_session: Session, row: PatientIndexRow, born: date | None) -> None:
    """Keep the read-ahead's birth-date blocks exact when a patient is indexed or re-dated."""
    ahead = group_cache.ahead(db_session)
    if ahead is None:
        return
    old = ahead.index_by_birth.get(row.birth_date) if row.birth_date else None
    if old is not None and row.birth_date != born and row in old:
        old.remove(row)
    new = ahead.index_by_birth.get(born) if born else None
    if new is not None and row not in new:
        new.append(row)


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
    cache(db_session).forget()  # identifiers, index rows and encounters moved: read them again
    if db_session.get(PatientMergeRow, merged_id) is None:
        db_session.add(PatientMergeRow(merged_id=merged_id, surviving_id=surviving_id, merged_at=now))
