"""Initial cache schema: wards, users, patients, encounters, plans, enrollments, tasks,
call attempts, responses and their answers, alerts, audit events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand with explicit operations (never the live models), so the
migration keeps meaning the same thing when models.py changes later.
Timestamps are plain DATETIME columns holding naive UTC (models.UtcDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "wards",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("calling_start", sa.String(5), nullable=False),
        sa.Column("calling_end", sa.String(5), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_verifier", sa.String(200), nullable=True),
        sa.Column("verifier_valid_until", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "user_wards",
        sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), primary_key=True),
        sa.Column("ward_code", sa.String(32), sa.ForeignKey("wards.code"), primary_key=True),
    )
    op.create_table(
        "patients",
        sa.Column("id", ID, primary_key=True),
        sa.Column("mrn", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("phone_last4", sa.String(4), nullable=False),
        sa.Column("national_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("mrn"),
    )
    op.create_index("ix_patients_name", "patients", ["name"])
    op.create_index("ix_patients_phone_last4", "patients", ["phone_last4"])
    op.create_table(
        "encounters",
        sa.Column("id", ID, primary_key=True),
        sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("ward_code", sa.String(32), sa.ForeignKey("wards.code"), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=False),
        sa.Column("discharged_at", sa.DateTime(), nullable=True),
        sa.Column("primary_icd10", sa.String(16), nullable=False),
        sa.Column("diagnoses_json", sa.Text(), nullable=False),
        sa.Column("procedures_json", sa.Text(), nullable=False),
        sa.Column("attending_doctor", sa.String(100), nullable=False),
        sa.Column("discharge_summary", sa.Text(), nullable=False),
    )
    op.create_index("ix_encounters_patient_id", "encounters", ["patient_id"])
    op.create_index("ix_encounters_ward_discharged", "encounters", ["ward_code", "discharged_at"])
    op.create_table(
        "plans",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("definition_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("encounter_id", ID, sa.ForeignKey("encounters.id"), nullable=False),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_enrollments_patient_id", "enrollments", ["patient_id"])
    op.create_index("ix_enrollments_encounter_id", "enrollments", ["encounter_id"])
    op.create_table(
        "tasks",
        sa.Column("id", ID, primary_key=True),
        sa.Column("enrollment_id", ID, sa.ForeignKey("enrollments.id"), nullable=False),
        sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("encounter_id", ID, sa.ForeignKey("encounters.id"), nullable=False),
        sa.Column("ward_code", sa.String(32), sa.ForeignKey("wards.code"), nullable=False),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("finished_by", sa.String(20), nullable=True),
        sa.Column("status_reason", sa.String(200), nullable=False),
        sa.Column("questionnaires_json", sa.Text(), nullable=False),
        sa.Column("script_code", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tasks_enrollment_id", "tasks", ["enrollment_id"])
    op.create_index("ix_tasks_patient_id", "tasks", ["patient_id"])
    op.create_index("ix_tasks_ward_status_due", "tasks", ["ward_code", "status", "due_at"])
    op.create_index("ix_tasks_ward_status_completed", "tasks", ["ward_code", "status", "completed_at"])
    op.create_index("ix_tasks_assignee_status_due", "tasks", ["assignee", "status", "due_at"])
    op.create_index("ix_tasks_window_end", "tasks", ["window_end"])
    op.create_table(
        "call_attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("task_id", ID, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("nurse", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_call_attempts_task_id", "call_attempts", ["task_id"])
    op.create_table(
        "responses",
        sa.Column("id", ID, primary_key=True),
        sa.Column("task_id", ID, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("questionnaire_code", sa.String(64), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("supersedes", ID, nullable=True),
        sa.Column("answers_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_responses_task_id", "responses", ["task_id"])
    op.create_index("ix_responses_supersedes", "responses", ["supersedes"])
    op.create_table(
        "response_answers",
        sa.Column("response_id", ID, sa.ForeignKey("responses.id"), primary_key=True),
        sa.Column("link_id", sa.String(64), primary_key=True),
        sa.Column("ordinal", sa.Float(), nullable=True),
        sa.Column("is_satisfaction", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("response_id", ID, sa.ForeignKey("responses.id"), nullable=False),
        sa.Column("task_id", ID, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("patient_id", ID, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("rule_code", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_alerts_task_status", "alerts", ["task_id", "status"])
    op.create_table(
        "audit_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def downgrade() -> None:
    # Children before parents, so foreign keys never point at a dropped table.
    for table in (
        "audit_events",
        "alerts",
        "response_answers",
        "responses",
        "call_attempts",
        "tasks",
        "enrollments",
        "plans",
        "encounters",
        "patients",
        "user_wards",
        "users",
        "wards",
    ):
        op.drop_table(table)
