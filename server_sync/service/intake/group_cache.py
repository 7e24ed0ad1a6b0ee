"""What one intake transaction already read, so a group of messages does not read it again.

``keep`` holds strong references to rows read here: the session's identity map is weak,
and a row still in it is returned by ``Session.get`` without a query (SQLAlchemy itself
expunges or expires what a rolled-back SAVEPOINT added or changed). ``unmerged`` are
patients known to have no A40 merge row in this transaction.

``ahead`` is set while a group is applied in one go (``hl7_group``): the rows its
messages will need, read in bulk up front (``group_readahead``), including what is
known to be *absent* — which ``Session.get`` cannot remember. Whatever the group adds
is entered here too, so the answers stay exact for the rest of the group. Only keys
that were read ahead are answered from it; any other key is looked up as usual.
``forget`` drops everything that a rolled-back SAVEPOINT may have made wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.intake.models import PatientIndexRow, PlanMatchRow
from server_sync.service.records.models import EncounterRow

_MISSING = object()


@dataclass(slots=True)
class ReadAhead:
    # (model, primary key) → row, or None when known not to exist.
    rows: dict[tuple[type, Any], Any] = field(default_factory=dict)
    # MPI blocking: birth date → the index rows of patients born that day.
    index_by_birth: dict[date, list[Any]] = field(default_factory=dict)
    # patient id → every encounter row of the patient (deleted ones too).
    encounters_by_patient: dict[str, list[Any]] = field(default_factory=dict)
    # encounter id → its plan match rows.
    plan_matches: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(slots=True)
class TransactionCache:
    keep: list[object] = field(default_factory=list)
    unmerged: set[str] = field(default_factory=set)
    ahead: ReadAhead | None = None
    # The active plans and their matcher, checked against the config version once per transaction.
    plans: tuple[Any, ...] | None = None

    def forget(self) -> None:
        self.unmerged.clear()
        self.ahead = None


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


def ahead(db_session: Session) -> ReadAhead | None:
    return cache(db_session).ahead


def get(db_session: Session, model: type, key: Any, *, lock: bool = False):
    """``Session.get`` answered from the read-ahead when it holds ``key`` (rows read ahead are locked)."""
    found = ahead(db_session)
    if found is not None:
        row = found.rows.get((model, key), _MISSING)
        if row is not _MISSING:
            return row
    return kept(db_session, db_session.get(model, key, with_for_update=True if lock else None))


def add(db_session: Session, model: type, key: Any, row: Any) -> Any:
    """Add a new row to the session and to the read-ahead (a known absence becomes the row)."""
    db_session.add(kept(db_session, row))
    found = ahead(db_session)
    if found is not None:
        found.rows[(model, key)] = row
    return row


def added_patient(db_session: Session, patient_id: str) -> None:
    """A patient created here has no merge row, no index row and no encounters yet."""
    cache(db_session).unmerged.add(patient_id)
    found = ahead(db_session)
    if found is not None:
        found.rows.setdefault((PatientIndexRow, patient_id), None)
        found.encounters_by_patient[patient_id] = []


def added_encounter(db_session: Session, row: Any) -> None:
    """An encounter created here: one more stay of its patient, and no plan matches yet."""
    found = ahead(db_session)
    if found is not None:
        _append_if_read(found.encounters_by_patient, row.patient_id, row)
        found.plan_matches[row.id] = []


def encounters_of(db_session: Session, patient_id: str) -> Iterable[Any]:
    """Every encounter row of the patient (deleted ones too): from the read-ahead, else queried."""
    found = ahead(db_session)
    rows = None if found is None else found.encounters_by_patient.get(patient_id)
    if rows is None:
        return db_session.scalars(select(EncounterRow).where(EncounterRow.patient_id == patient_id))
    return rows


def plan_matches_of(db_session: Session, encounter_id: str) -> Iterable[Any]:
    """The plan match rows of the encounter: from the read-ahead, else queried."""
    found = ahead(db_session)
    rows = None if found is None else found.plan_matches.get(encounter_id)
    if rows is None:
        return db_session.scalars(select(PlanMatchRow).where(PlanMatchRow.encounter_id == encounter_id))
    return rows


def added_plan_match(db_session: Session, row: Any) -> None:
    found = ahead(db_session)
    if found is not None:
        _append_if_read(found.plan_matches, row.encounter_id, row)


def _append_if_read(read: dict[str, list[Any]], key: str, row: Any) -> None:
    """Add a new row to a list read ahead; a key not read ahead is queried later and finds it then."""
    rows = read.get(key)
    if rows is not None:
        rows.append(row)
