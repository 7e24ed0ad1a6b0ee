"""Shared steps of the sync tests: a ward with nurses and charts on the service, and cache/service reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service_helpers import Chart, make_chart
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurse_app.desk.calls import record_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.submit import submit_response
from nurse_app.domain.forms.samples import phq9
from nurse_app.domain.model import CallOutcome, Role
from nurse_app.store import outbox
from nurse_app.store.models import OutboxRow
from nurse_app.store.repository import CacheRepository
from server_sync.service.records.models import ROW_TYPES
from server_sync.service.sync.models import SyncClientRow


@dataclass
class Ward:
    code: str
    nurses: list[str]
    manager: str
    charts: list[Chart]


def seed_ward(service: Any, *, nurses: int = 2, charts: int = 3) -> Ward:
    """A ward with nurses, a manager, and ``charts`` patients with one open task each on the service."""
    world = service.world
    code = world.ward()
    names = [world.user(Role.NURSE, (code,), name=f"n{i}") for i in range(nurses)]
    manager = world.user(Role.WARD_MANAGER, (code,), name="m")
    made = [make_chart(code, assignee=names[0]) for _ in range(charts)]
    if made:
        desk = world.desk(manager)
        records = [record for chart in made for record in chart.records]
        for start in range(0, len(records), 400):
            results = desk.push(*records[start : start + 400])
            assert {r["status"] for r in results} == {"applied"}, results
    return Ward(code, names, manager, made)


def call_and_submit(ctx: DeskContext, task_id: str) -> None:
    """Reach the patient and submit a PHQ-9 (item 9 > 0 raises a critical alert too)."""
    now = ctx.now()
    record_call(ctx, task_id, CallOutcome.REACHED, started_at=now - timedelta(minutes=9), ended_at=now)
    answers = {f"q{n}": "1" for n in range(1, 10)}
    submit_response(ctx, task_id, phq9(), answers)


def service_count(service: Any, entity: str, **where: Any) -> int:
    model = ROW_TYPES[entity]
    with Session(service.database.engine) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def service_payload(service: Any, entity: str, record_id: str) -> dict[str, Any] | None:
    with Session(service.database.engine) as session:
        row = session.get(ROW_TYPES[entity], record_id)
        return None if row is None else dict(row.payload)


def last_applied(service: Any, client_id: str) -> int:
    with Session(service.database.engine) as session:
        row = session.get(SyncClientRow, client_id)
        return 0 if row is None else row.last_applied_seq


def pending(pc: Any) -> int:
    with Session(pc.engine) as session:
        return outbox.stats(session).pending


def outbox_seqs(pc: Any) -> list[int]:
    with Session(pc.engine) as session:
        return list(session.scalars(select(OutboxRow.seq).order_by(OutboxRow.seq)))


def cache(pc: Any) -> tuple[Session, CacheRepository]:
    session = Session(pc.engine)
    return session, CacheRepository(session)


def local_charts(pc: Any, ward_code: str, count: int, *, now: Any = None) -> list[Chart]:
    """Register ``count`` new patients with a task on the PC itself: 4 outbox rows each, one transaction.

    Written with the cache's bulk paths (as the demo loader does) so that a week of work is quick to make;
    the outbox rows have exactly the shape ``outbox.enqueue`` gives them.
    """
    import json
    import uuid

    from nurse_app.demo.generate import DemoBatch
    from nurse_app.demo.load import batch_rows
    from nurse_app.domain.codec import entity_to_payload
    from nurse_app.domain.model import utc_now
    from nurse_app.store.repository import bulk_insert

    now = now or utc_now()
    charts = [make_chart(ward_code, assignee=pc.user.username) for _ in range(count)]
    batch = DemoBatch(
        patients=[c.patient for c in charts],
        encounters=[c.encounter for c in charts],
        enrollments=[c.enrollment for c in charts],
        tasks=[c.task for c in charts],
    )
    queued = [
        {
            "mutation_id": str(uuid.uuid4()),
            "entity": entity,
            "entity_id": record.id,
            "op": "upsert",
            "payload_json": json.dumps(entity_to_payload(record), ensure_ascii=False, separators=(",", ":")),
            "created_at": now,
        }
        for chart in charts
        for entity, record in zip(("patient", "encounter", "enrollment", "task"), chart.records, strict=True)
    ]
    with Session(pc.engine) as session, session.begin():
        bulk_insert(session, {**batch_rows(batch), "outbox": queued})
    return charts
