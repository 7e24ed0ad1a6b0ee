"""Monthly ward reports: one claimed row per (ward, month) with its figures and PDF.

Revision ID: 0004_ward_reports
Revises: 0003_alerts_notify
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from server_sync.service.core.types import JsonText, UtcDateTime

revision = "0004_ward_reports"
down_revision = "0003_alerts_notify"
branch_labels = None
depends_on = None

PDF = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "ward_reports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("built_at", UtcDateTime(), nullable=True),
        sa.Column("as_of", UtcDateTime(), nullable=True),
        sa.Column("no_data", sa.Boolean(), nullable=False),
        sa.Column("figures", JsonText(), nullable=True),
        sa.Column("pdf", PDF, nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ward_reports"),
        sa.UniqueConstraint("ward_code", "month", name="uq_ward_reports_ward_code_month"),
    )
    op.create_index("ix_ward_reports_ward_code", "ward_reports", ["ward_code"])


def downgrade() -> None:
    op.drop_index("ix_ward_reports_ward_code", table_name="ward_reports")
    op.drop_table("ward_reports")
