"""A nurse's work goes from one PC through the real service to another PC."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sync_helpers import call_and_submit, pending, seed_ward, service_count, service_payload

from nurse_app.desk.folder import open_task
from nurse_app.domain.model import TaskStatus
from nurse_app.store.models import AlertRow, CallAttemptRow, ResponseRow, TaskRow, WardRow


def test_call_and_scale_reach_the_service_and_a_second_pc(service, make_pc):
    ward = seed_ward(service, charts=3)
    pc1 = make_pc(service.url, "PC1").login(ward.nurses[0])
    pc2 = make_pc(service.url, "PC2").login(ward.nurses[1])
    first = pc1.client.sync()
    assert first.pulled >= 12 and first.config_documents >= 2
    with Session(pc1.engine) as session:
        assert session.get(WardRow, ward.code) is not None
        assert len(session.scalars(select(TaskRow.id)).all()) == 3

    task_id = ward.charts[0].task.id
    ctx = pc1.desk()
    open_task(ctx, task_id)
    call_and_submit(ctx, task_id)
    assert pending(pc1) >= 5  # audit, attempt, task, response, alert, task again, audit

    report = pc1.client.sync()
    assert report.pushed == report.applied + report.duplicate and report.conflict == report.rejected == 0
    assert pending(pc1) == 0
    server_task = service_payload(service, "task", task_id)
    assert server_task is not None and server_task["status"] == TaskStatus.COMPLETED.value
    assert service_count(service, "call_attempt", task_id=task_id) == 1
    assert service_count(service, "response", task_id=task_id) == 1
    assert service_count(service, "alert", task_id=task_id) == 1

    pc2.client.sync()
    with Session(pc2.engine) as session:
        task = session.get(TaskRow, task_id)
        assert task is not None and task.status == TaskStatus.COMPLETED.value
        assert task.version == server_task["version"]
        assert session.scalars(
            select(CallAttemptRow.outcome).where(CallAttemptRow.task_id == task_id)
        ).all() == ["reached"]
        assert len(session.scalars(select(ResponseRow.id).where(ResponseRow.task_id == task_id)).all()) == 1
        assert len(session.scalars(select(AlertRow.id).where(AlertRow.task_id == task_id)).all()) == 1
    # PC1 sees its own records come back at the service's version, not a stale local one.
    with Session(pc1.engine) as session:
        assert session.get(TaskRow, task_id).version == server_task["version"]


def test_a_no_op_sync_changes_nothing(service, make_pc):
    ward = seed_ward(service, charts=2)
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    again = pc.client.sync()
    assert (again.pushed, again.pulled, again.config_documents) == (0, 0, 0)
    assert again.ok and again.server_time is not None


def test_the_fast_task_decoder_matches_the_codec():
    from datetime import datetime, timedelta, timezone

    from nurse_app.domain.codec import entity_to_payload, payload_to_entity
    from nurse_app.domain.model import CallOutcome, FollowUpTask
    from nurse_app.store import mapping
    from server_sync.client.apply import _task_values_fast, _values

    now = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    task = FollowUpTask(
        "e",
        "p",
        "c",
        "W",
        "HF",
        1,
        2,
        now,
        now + timedelta(days=1),
        "n",
        TaskStatus.COMPLETED,
        3,
        None,
        now,
        CallOutcome.REFUSED,
        "拒绝",
        ("PHQ-9",),
        "S",
    )
    payload = entity_to_payload(task)
    assert _task_values_fast(payload) == mapping.task_values(payload_to_entity("task", payload))
    odd = {**payload, "due_at": "2026-01-01T08:00:00"}  # naive: the generic path refuses it
    try:
        _values("task", odd)
        raise AssertionError("a naive time must be refused")
    except ValueError:
        pass
