"""The service's copy of the clinical records, one table per entity.

Each row keeps the record's canonical payload (the protocol encoding of the
domain dataclass) plus the few columns the service filters on: the ward that
scopes it, the server-assigned version, and entity-specific keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime


class RecordColumns:
    """Columns every record table shares."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ward_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class PatientRow(RecordColumns, Base):
    __tablename__ = "patients"

    mrn: Mapped[str] = mapped_column(String(64), index=True)


class PatientWardRow(Base):
    """Which wards may see a patient: the wards of the patient's encounters (or creator)."""

    __tablename__ = "patient_wards"

    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"), primary_key=True)


class EncounterRow(RecordColumns, Base):
    __tablename__ = "encounters"

    patient_id: Mapped[str] = mapped_column(String(64), index=True)


class EnrollmentRow(RecordColumns, Base):
    __tablename__ = "enrollments"

    patient_id: Mapped[str] = mapped_column(String(64), index=True)


class TaskRow(RecordColumns, Base):
    __tablename__ = "tasks"

    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # Who pushed the completion that won: a later completion by someone else is the "second nurse".
    completed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CallAttemptRow(RecordColumns, Base):
    __tablename__ = "call_attempts"

    task_id: Mapped[str] = mapped_column(String(64), index=True)


class ResponseRow(RecordColumns, Base):
    __tablename__ = "responses"

    task_id: Mapped[str] = mapped_column(String(64), index=True)
    submitted_by: Mapped[str] = mapped_column(String(64))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertRow(RecordColumns, Base):
    __tablename__ = "alerts"

    task_id: Mapped[str] = mapped_column(String(64), index=True)


class RecordHistoryRow(Base):
    """Earlier versions of mutable records: the base of a three-way field merge."""

    __tablename__ = "record_history"

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonText)


ROW_TYPES: dict[str, type[RecordColumns]] = {
    "patient": PatientRow,
    "encounter": EncounterRow,
    "enrollment": EnrollmentRow,
    "task": TaskRow,
    "call_attempt": CallAttemptRow,
    "response": ResponseRow,
    "alert": AlertRow,
}
