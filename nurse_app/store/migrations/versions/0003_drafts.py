"""Drafts of scales being filled, so a crash or power cut during a call loses nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03

One row per (task, scale), overwritten on every autosave and deleted when the
scale is submitted. Local only: drafts are never pushed to the service.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("questionnaire_code", sa.String(64), primary_key=True),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(64), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_drafts_saved_by", "drafts", ["saved_by", "saved_at"])


def downgrade() -> None:
    op.drop_index("ix_drafts_saved_by", table_name="drafts")
    op.drop_table("drafts")
