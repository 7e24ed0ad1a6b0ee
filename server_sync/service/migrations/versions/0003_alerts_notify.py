"""Critical-value alert lifecycle, notification outbox, notification configuration, opt-outs, worker lease.

Revision ID: 0003_alerts_notify
Revises: 0002_intake
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server_sync.service.core.types import JsonText, UtcDateTime

revision = "0003_alerts_notify"
down_revision = "0002_intake"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_lifecycle",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("desk_alert_id", sa.String(64), nullable=True),
        sa.Column("response_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("scale_code", sa.String(64), nullable=False),
        sa.Column("rule_code", sa.String(64), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("threshold", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("notified_at", UtcDateTime(), nullable=True),
        sa.Column("next_escalation_at", UtcDateTime(), nullable=True),
        sa.Column("escalated_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("ack_seconds", sa.Float(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_lifecycle"),
        sa.UniqueConstraint("response_id", "rule_code", name="uq_alert_lifecycle_response_id_rule_code"),
    )
    op.create_index("ix_alert_lifecycle_ward_code_status", "alert_lifecycle", ["ward_code", "status"])
    op.create_index(
        "ix_alert_lifecycle_status_next_escalation_at", "alert_lifecycle", ["status", "next_escalation_at"]
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
    )
    op.create_index("ix_alert_events_alert_id_at", "alert_events", ["alert_id", "at"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notify_outbox"),
    )
    op.create_index("ix_notify_outbox_idempotency_key", "notify_outbox", ["idempotency_key"], unique=True)
    op.create_index("ix_notify_outbox_status_next_attempt_at", "notify_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_notify_outbox_patient_id_created_at", "notify_outbox", ["patient_id", "created_at"])
    op.create_table(
        "notify_config",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", JsonText(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_notify_config"),
    )
    op.create_table(
        "notify_optouts",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_notify_optouts"),
    )
    op.create_table(
        "notify_worker_lease",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_notify_worker_lease"),
    )


def downgrade() -> None:
    for table in ("notify_worker_lease", "notify_optouts", "notify_config", "notify_outbox", "alert_events"):
        op.drop_table(table)
    op.drop_table("alert_lifecycle")
