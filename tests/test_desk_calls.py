"""The nurse's desk services on a real encrypted cache filled with the demo hospital."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from nurse_app.demo.generate import DEMO_NURSE, demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.calls import record_call, start_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import NotFound, open_task, reveal_identifier
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import AuditAction, CallOutcome, TaskStatus
from nurse_app.store import outbox
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.models import AuditEventRow, OutboxRow
from nurse_app.store.worklist import WorklistTab, worklist

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
KEY = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    engine = open_cache(tmp_path_factory.mktemp("desk") / "cache.db", KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=400, seed=11, now=NOW)
    yield engine
    engine.dispose()


@pytest.fixture
def nurse_ctx(demo_engine):
    user = next(u for u in demo_staff(11).users if u.username == DEMO_NURSE)
    return DeskContext(demo_engine, user, device="PC-CARD1-01", clock=lambda: NOW)


def _due_task_id(ctx: DeskContext) -> str:
    with ctx.engine.connect() as conn:
        rows = worklist(conn, tab=WorklistTab.DUE_NOW, now=NOW, wards=["CARD1"])
        rows += worklist(conn, tab=WorklistTab.OVERDUE, now=NOW, wards=["CARD1"])
        # A small demo ward may have nothing due this very hour; a pending upcoming task works the same.
        rows += worklist(conn, tab=WorklistTab.UPCOMING, now=NOW, wards=["CARD1"])
    pending = [r for r in rows if r.status == "pending" and r.attempts == 0]
    assert pending, "the demo hospital must leave open work in CARD1"
    return pending[0].task_id


def _count(ctx: DeskContext, *where) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(OutboxRow).where(*where)).scalar_one()


def test_opening_a_patient_is_audited_and_queued(nurse_ctx):
    task_id = _due_task_id(nurse_ctx)
    before = _count(nurse_ctx, OutboxRow.entity == "audit_event")
    folder = open_task(nurse_ctx, task_id)
    assert folder.task.id == task_id
    assert folder.patient.phone.endswith(folder.masked_phone[-4:])
    assert "*" in folder.masked_phone and folder.patient.phone not in folder.masked_phone
    assert folder.step is not None and folder.step.step_no == folder.task.step_no
    with nurse_ctx.engine.connect() as conn:
        events = conn.execute(select(AuditEventRow).where(AuditEventRow.entity_id == folder.patient.id)).all()
    assert any(e.action == AuditAction.READ.value and e.actor == DEMO_NURSE for e in events)
    assert _count(nurse_ctx, OutboxRow.entity == "audit_event") == before + 1


def test_revealing_the_phone_is_audited(nurse_ctx):
    folder = open_task(nurse_ctx, _due_task_id(nurse_ctx))
    assert reveal_identifier(nurse_ctx, folder.patient.id, "phone") == folder.patient.phone
    with nurse_ctx.engine.connect() as conn:
        actions = conn.scalars(
            select(AuditEventRow.detail).where(
                AuditEventRow.entity_id == folder.patient.id, AuditEventRow.action == AuditAction.REVEAL.value
            )
        ).all()
    assert "phone" in actions
    with pytest.raises(DomainError, match="unknown identifier"):
        reveal_identifier(nurse_ctx, folder.patient.id, "address")


def test_no_answer_schedules_a_retry_and_moves_the_task(nurse_ctx):
    task_id = _due_task_id(nurse_ctx)
    before = _count(nurse_ctx, OutboxRow.acked_at.is_(None))
    recorded = record_call(
        nurse_ctx, task_id, "no_answer", started_at=NOW - timedelta(minutes=1), ended_at=NOW
    )
    assert recorded.task.status is TaskStatus.PENDING
    assert recorded.next_attempt_at is not None and recorded.next_attempt_at > NOW
    # call attempt + task + audit event, all in the outbox with the change
    assert _count(nurse_ctx, OutboxRow.acked_at.is_(None)) == before + 3
    with nurse_ctx.engine.connect() as conn:
        due = {r.task_id for r in worklist(conn, tab=WorklistTab.DUE_NOW, now=NOW, wards=["CARD1"])}
        upcoming = {r.task_id for r in worklist(conn, tab=WorklistTab.UPCOMING, now=NOW, wards=["CARD1"])}
    assert task_id not in due and task_id in upcoming


def test_reached_puts_the_task_in_progress(nurse_ctx):
    task_id = _due_task_id(nurse_ctx)
    start_call(nurse_ctx, task_id)
    recorded = record_call(nurse_ctx, task_id, CallOutcome.REACHED, started_at=NOW, ended_at=NOW)
    assert recorded.task.status is TaskStatus.IN_PROGRESS
    assert recorded.task.attempts >= 1


def test_deceased_cancels_the_patients_other_tasks(nurse_ctx):
    task_id = _due_task_id(nurse_ctx)
    recorded = record_call(nurse_ctx, task_id, "deceased", started_at=NOW, ended_at=NOW, note="家属告知")
    assert recorded.task.status is TaskStatus.COMPLETED
    others = [t for t in recorded.changed if t.id != task_id]
    assert all(t.status is TaskStatus.CANCELLED for t in others)


def test_unknown_outcome_and_other_wards_are_refused(nurse_ctx, demo_engine):
    task_id = _due_task_id(nurse_ctx)
    with pytest.raises(DomainError, match="unknown call outcome 'hung_up'"):
        record_call(nurse_ctx, task_id, "hung_up", started_at=NOW, ended_at=NOW)
    with demo_engine.connect() as conn:
        other = worklist(conn, tab=WorklistTab.DUE_NOW, now=NOW, wards=["ORTH1"]) or worklist(
            conn, tab=WorklistTab.UPCOMING, now=NOW, wards=["ORTH1"]
        )
    with pytest.raises(DomainError, match="not a member of ward ORTH1"):
        open_task(nurse_ctx, other[0].task_id)
    with pytest.raises(NotFound):
        open_task(nurse_ctx, "00000000-0000-4000-8000-000000000000")


def test_outbox_seq_only_grows_and_stats_report_the_oldest(nurse_ctx):
    sessions = nurse_ctx.unit_of_work
    with sessions() as (_, session):
        batch = outbox.pending_batch(session, max_count=1000)
        stats = outbox.stats(session)
        cid = outbox.client_id(session)
    with sessions() as (_, session):
        assert outbox.client_id(session) == cid
    seqs = [entry.seq for entry in batch]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert stats.pending == len(batch) and stats.oldest_pending_at == min(e.created_at for e in batch)
