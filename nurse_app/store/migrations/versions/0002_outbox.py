"""Sync outbox and sync state.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

``outbox.seq`` is AUTOINCREMENT: SQLite then never reuses a number, even after
acknowledged rows are purged, and the service relies on a per-client seq that
only grows (DESIGN "Sync").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acked_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("mutation_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_entity", "outbox", ["entity", "entity_id"])
    op.create_index("ix_outbox_acked_at", "outbox", ["acked_at"])
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_table("outbox")
