"""What needs the nurse's attention right now: open critical alerts and newly due tasks of her wards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import AlertStatus, TaskStatus
from nurse_app.store.models import AlertRow, TaskRow


def open_alerts_and_due_tasks(ctx: DeskContext, now: datetime) -> tuple[dict[str, str], frozenset[str]]:
    """Open alerts (id → message) and ids of pending tasks already due, in the user's wards."""
    wards = tuple(ctx.user.wards)
    with ctx.unit_of_work() as (_repo, session):
        alerts = session.execute(
            select(AlertRow.id, AlertRow.message).where(
                AlertRow.status == AlertStatus.OPEN.value, AlertRow.ward_code.in_(wards)
            )
        ).all()
        tasks = session.scalars(
            select(TaskRow.id).where(
                TaskRow.status == TaskStatus.PENDING.value,
                TaskRow.due_at <= now,
                TaskRow.ward_code.in_(wards),
            )
        ).all()
    return {row.id: row.message for row in alerts}, frozenset(tasks)
