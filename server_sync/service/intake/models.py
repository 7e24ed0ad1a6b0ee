"""Intake bookkeeping: processed messages, dead letters, visit keys, the patient master index,
match outcomes (enrolled or waiting for review) and intake tokens.

The clinical records themselves stay in ``records`` (patients, encounters,
enrollments, tasks) so that they reach the desks through the one change feed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime

# BLOB on MariaDB holds 64 KB; raw messages of several MB must fit.
RawBytes = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class ProcessedMessageRow(Base):
    """One HL7 message by sender and control ID (MSH-10), with the ACK it got: a resend gets it again."""

    __tablename__ = "intake_messages"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    event: Mapped[str] = mapped_column(String(16))
    ack_code: Mapped[str] = mapped_column(String(2))
    ack: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeadLetterRow(Base):
    """Input that could not be applied, kept byte for byte with the reason, until replayed."""

    __tablename__ = "intake_dead_letters"
    __table_args__ = (Index("ix_intake_dead_letters_status_received_at", "status", "received_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # mllp | file | fhir | csv | xlsx
    content_type: Mapped[str] = mapped_column(String(16))  # hl7 | fhir | row
    source_ref: Mapped[str] = mapped_column(String(255))
    control_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    raw: Mapped[bytes] = mapped_column(RawBytes)
    size: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(1000))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonText)
    status: Mapped[str] = mapped_column(String(16))  # open | replayed
    attempts: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class EncounterKeyRow(Base):
    """A source's visit key (HL7 visit number, FHIR identifier, CSV MRN + admission) → encounter."""

    __tablename__ = "intake_encounter_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    encounter_id: Mapped[str] = mapped_column(String(64), index=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    flags: Mapped[str] = mapped_column(String(200), default="")  # discharge exclusion flags, comma-separated
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PatientIdentifierRow(Base):
    """MPI: an identifier (MRN, national ID) of one patient, across every source."""

    __tablename__ = "intake_patient_identifiers"

    system: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)


class PatientIndexRow(Base):
    """MPI: the demographics probabilistic matching compares (blocked on birth date)."""

    __tablename__ = "intake_patient_index"

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(128))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    phone_key: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(8))
    national_id: Mapped[str] = mapped_column(String(64))


class MpiReviewRow(Base):
    """An uncertain match: two patient records that may be one person."""

    __tablename__ = "intake_mpi_review"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    candidate_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JsonText)
    ward_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16))  # open | merged | distinct
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PatientMergeRow(Base):
    """A40: the merged patient id and the one that survived (later messages follow the link)."""

    __tablename__ = "intake_patient_merges"

    merged_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    surviving_id: Mapped[str] = mapped_column(String(64), index=True)
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanMatchRow(Base):
    """The outcome of matching one plan against one discharge, with its explanation.

    ``status``: enrolled (automatically), open (candidate waiting for the ward),
    accepted / rejected (reviewed), cancelled (discharge or admission cancelled).
    """

    __tablename__ = "intake_plan_matches"
    __table_args__ = (
        UniqueConstraint("encounter_id", "plan_code", name="uq_intake_plan_matches_encounter_id_plan_code"),
        Index("ix_intake_plan_matches_ward_code_status", "ward_code", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    encounter_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    ward_code: Mapped[str] = mapped_column(String(32))
    plan_code: Mapped[str] = mapped_column(String(64))
    plan_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[dict[str, Any]] = mapped_column(JsonText)
    enrollment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class IntakeTokenRow(Base):
    """A hospital system's credential for the intake endpoints (only its hash is kept)."""

    __tablename__ = "intake_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
