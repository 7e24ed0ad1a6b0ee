"""SQLAlchemy tables of the local (encrypted) cache.

The column names follow the domain vocabulary in ``nurse_app.domain.model``;
``nurse_app.store.mapping`` converts rows to and from the dataclasses. Every
timestamp is stored as naive UTC and comes back timezone-aware (``UtcDateTime``),
so lexical order in SQLite is time order and SQL aggregates need no zone maths
except for calendar grouping.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; naive input is refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; use UTC-aware times")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


IdColumn = String(36)


class WardRow(Base):
    __tablename__ = "wards"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100))
    zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    calling_start: Mapped[str] = mapped_column(String(5), default="08:30")
    calling_end: Mapped[str] = mapped_column(String(5), default="20:00")


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Offline login: argon2 verifier of the last online login, valid until the stamp below.
    password_verifier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    verifier_valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class UserWardRow(Base):
    __tablename__ = "user_wards"

    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"), primary_key=True)


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32), default="")
    # Kept separately so "search by the last 4 digits" is an index lookup, not a LIKE scan.
    phone_last4: Mapped[str] = mapped_column(String(4), default="", index=True)
    national_id: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class EncounterRow(Base):
    __tablename__ = "encounters"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"))
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    discharged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    primary_icd10: Mapped[str] = mapped_column(String(16), default="")
    diagnoses_json: Mapped[str] = mapped_column(Text, default="[]")
    procedures_json: Mapped[str] = mapped_column(Text, default="[]")
    attending_doctor: Mapped[str] = mapped_column(String(100), default="")
    discharge_summary: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_encounters_ward_discharged", "ward_code", "discharged_at"),)


class PlanRow(Base):
    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    definition_json: Mapped[str] = mapped_column(Text)


class EnrollmentRow(Base):
    __tablename__ = "enrollments"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id"), index=True)
    plan_code: Mapped[str] = mapped_column(String(64))
    plan_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    match_score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"), index=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id"))
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"))
    plan_code: Mapped[str] = mapped_column(String(64))
    plan_version: Mapped[int] = mapped_column(Integer)
    step_no: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    questionnaires_json: Mapped[str] = mapped_column(Text, default="[]")
    script_code: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        # The worklist filters by ward and status and orders by due time, ties by id (so a tab
        # reads its first rows in index order); window_end and next_attempt_at let the
        # tab filters run on the index entry before the (decrypted) table row is read.
        Index(
            "ix_tasks_ward_status_due", "ward_code", "status", "due_at", "id", "window_end", "next_attempt_at"
        ),
        # "Done today": completed tasks are most of a ward's history, so the day must be an index range.
        Index("ix_tasks_ward_status_completed", "ward_code", "status", "completed_at"),
        Index("ix_tasks_assignee_status_due", "assignee", "status", "due_at"),
        Index("ix_tasks_window_end", "window_end"),
        # The report figures (migration 0005): each index covers the columns its grouped query reads.
        # Led by the time column, not the ward: the worklist must keep choosing ix_tasks_ward_status_due.
        Index("ix_tasks_window_end_ward", "window_end", "ward_code", "status", "completed_at"),
        Index("ix_tasks_due_ward", "due_at", "ward_code", "status", "id", "encounter_id"),
        Index("ix_tasks_encounter_id", "encounter_id", "id"),
        Index("ix_tasks_id_ward", "id", "ward_code"),  # the ward of an attempt's / response's task
    )


class CallAttemptRow(Base):
    __tablename__ = "call_attempts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), index=True)
    nurse: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        # Call durations by start time, and on-time / reach by task (migration 0005).
        Index("ix_call_attempts_started_at", "started_at", "outcome", "ended_at", "task_id"),
        Index("ix_call_attempts_task_started", "task_id", "started_at", "outcome"),
    )


class ResponseRow(Base):
    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), index=True)
    questionnaire_code: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    supersedes: Mapped[str | None] = mapped_column(IdColumn, nullable=True, index=True)
    answers_json: Mapped[str] = mapped_column(Text, default="[]")

    # Responses by submission time, with the task (ward) and id (answers, corrections) (migration 0005).
    __table_args__ = (Index("ix_responses_submitted_at", "submitted_at", "task_id", "id"),)


class ResponseAnswerRow(Base):
    """Answers of a response, one row each, so rates over answers are plain SQL."""

    __tablename__ = "response_answers"

    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id"), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ordinal: Mapped[float | None] = mapped_column(Float, nullable=True)
    is_satisfaction: Mapped[bool] = mapped_column(Boolean, default=False)

    # The satisfaction rate reads these two columns per response (migration 0005).
    __table_args__ = (Index("ix_response_answers_satisfaction", "response_id", "is_satisfaction", "ordinal"),)


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id"))
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    ward_code: Mapped[str] = mapped_column(String(32))
    rule_code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_alerts_task_status", "task_id", "status"),)


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(IdColumn)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    device: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class OutboxRow(Base):
    """One local change waiting to be pushed (DESIGN "Sync"); committed with the change it describes.

    ``seq`` is AUTOINCREMENT so a number is never reused, even after acknowledged
    rows are purged: the service treats ``seq <= last_applied`` as a duplicate.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[str] = mapped_column(IdColumn, unique=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(IdColumn)
    op: Mapped[str] = mapped_column(String(16))
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        # "Never overwrite a row that still has pending outbox entries": looked up per pulled row.
        Index("ix_outbox_entity", "entity", "entity_id"),
        # Pending = acked_at IS NULL; purge = acked_at older than 30 days.
        Index("ix_outbox_acked_at", "acked_at"),
        {"sqlite_autoincrement": True},
    )


class SyncStateRow(Base):
    """Small key/value facts of sync: client_id, pull cursor, server_epoch, last successful sync."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DraftRow(Base):
    """A scale being filled during a call, saved every few seconds so a crash or power cut loses nothing.

    Local only (never pushed): the submitted Response is the record; its draft is deleted then.
    The draft keeps the scale version it was started on, so a version retired meanwhile still submits.
    """

    __tablename__ = "drafts"

    task_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    questionnaire_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    answers_json: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # "On reopening the app the draft is offered back": looked up by the logged-in nurse.
    __table_args__ = (Index("ix_drafts_saved_by", "saved_by", "saved_at"),)


# The dashboard's day totals (migration 0006) are declared beside the code that reads them; importing
# them here puts them on Base with every other table, for create_all and the schema comparison.
from nurse_app.store import report_totals  # noqa: E402, F401
