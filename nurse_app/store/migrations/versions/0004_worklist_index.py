"""Widen the worklist index so tabs filter and order inside it.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04

``ix_tasks_ward_status_due`` becomes ``(ward_code, status, due_at, id, window_end,
next_attempt_at)``: the tab filters on window_end / next_attempt_at run on the index
entry, and "due_at, id" is the worklist's order, so a tab can stop after its first
rows instead of reading and sorting every candidate. Same name, so every query that
used the narrow index keeps using it. One CREATE INDEX over the tasks table (tens of
seconds for a million tasks), inside the upgrade's single transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_tasks_ward_status_due"


def upgrade() -> None:
    op.drop_index(_NAME, table_name="tasks")
    op.create_index(_NAME, "tasks", ["ward_code", "status", "due_at", "id", "window_end", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="tasks")
    op.create_index(_NAME, "tasks", ["ward_code", "status", "due_at"])
