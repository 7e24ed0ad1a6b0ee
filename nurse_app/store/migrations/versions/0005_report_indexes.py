"""Indexes for the ward manager's figures: every headline count is an index range.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05

The dashboard recomputes every ward's figures for two months with grouped SQL
(``nurse_app.reports.headline_sql``). Without these indexes attempts by start
time, responses by submission time and tasks by encounter were random reads of
the whole tables. Each index carries the columns its query reads, so the
figures are computed from index entries without reading (decrypting) table rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    # Led by time, not ward: the worklist keeps choosing ix_tasks_ward_status_due.
    ("ix_tasks_window_end_ward", "tasks", ["window_end", "ward_code", "status", "completed_at"]),
    ("ix_tasks_due_ward", "tasks", ["due_at", "ward_code", "status", "id", "encounter_id"]),
    ("ix_tasks_encounter_id", "tasks", ["encounter_id", "id"]),
    ("ix_tasks_id_ward", "tasks", ["id", "ward_code"]),
    ("ix_call_attempts_started_at", "call_attempts", ["started_at", "outcome", "ended_at", "task_id"]),
    ("ix_call_attempts_task_started", "call_attempts", ["task_id", "started_at", "outcome"]),
    ("ix_responses_submitted_at", "responses", ["submitted_at", "task_id", "id"]),
    ("ix_response_answers_satisfaction", "response_answers", ["response_id", "is_satisfaction", "ordinal"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
