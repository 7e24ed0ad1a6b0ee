"""Hospital intake: processed messages, dead letters, visit keys, patient master index,
plan matches and intake tokens.

Revision ID: 0002_intake
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from server_sync.service.core.types import JsonText, UtcDateTime

revision = "0002_intake"
down_revision = "0001"
branch_labels = None
depends_on = None

RAW = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "intake_messages",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("ack_code", sa.String(2), nullable=False),
        sa.Column("ack", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_intake_messages"),
    )
    op.create_table(
        "intake_dead_letters",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(255), nullable=False),
        sa.Column("control_id", sa.String(200), nullable=True),
        sa.Column("raw", RAW, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("detail", JsonText(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("replayed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intake_dead_letters"),
    )
    _index("intake_dead_letters", "status", "received_at")
    op.create_table(
        "intake_encounter_keys",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("flags", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_intake_encounter_keys"),
    )
    _index("intake_encounter_keys", "encounter_id")
    _index("intake_encounter_keys", "patient_id")
    op.create_table(
        "intake_patient_identifiers",
        sa.Column("system", sa.String(32), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("system", "value", name="pk_intake_patient_identifiers"),
    )
    _index("intake_patient_identifiers", "patient_id")
    op.create_table(
        "intake_patient_index",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone_key", sa.String(32), nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("national_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_intake_patient_index"),
    )
    _index("intake_patient_index", "birth_date")
    op.create_table(
        "intake_mpi_review",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("candidate_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", JsonText(), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intake_mpi_review"),
    )
    _index("intake_mpi_review", "patient_id")
    _index("intake_mpi_review", "ward_code")
    op.create_table(
        "intake_patient_merges",
        sa.Column("merged_id", sa.String(64), nullable=False),
        sa.Column("surviving_id", sa.String(64), nullable=False),
        sa.Column("merged_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merged_id", name="pk_intake_patient_merges"),
    )
    _index("intake_patient_merges", "surviving_id")
    op.create_table(
        "intake_plan_matches",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("plan_code", sa.String(64), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("explanation", JsonText(), nullable=False),
        sa.Column("enrollment_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intake_plan_matches"),
        sa.UniqueConstraint(
            "encounter_id", "plan_code", name="uq_intake_plan_matches_encounter_id_plan_code"
        ),
    )
    _index("intake_plan_matches", "patient_id")
    _index("intake_plan_matches", "ward_code", "status")
    op.create_table(
        "intake_tokens",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_intake_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_intake_tokens_token_hash"),
    )


def downgrade() -> None:
    for table in (
        "intake_tokens",
        "intake_plan_matches",
        "intake_patient_merges",
        "intake_mpi_review",
        "intake_patient_index",
        "intake_patient_identifiers",
        "intake_encounter_keys",
        "intake_dead_letters",
        "intake_messages",
    ):
        op.drop_table(table)
