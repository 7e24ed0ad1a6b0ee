"""Two PCs working on the same patients in random interleavings end up with the service's state."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sync_helpers import pending, seed_ward

from nurse_app.desk.calls import record_call, start_call
from nurse_app.desk.submit import submit_response
from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms.samples import phq9
from nurse_app.domain.model import CallOutcome, TaskStatus
from nurse_app.store.models import CallAttemptRow, ResponseRow, TaskRow
from server_sync.service.records.models import ROW_TYPES

OUTCOMES = (CallOutcome.REACHED, CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.REFUSED)


def _tasks(engine):
    with Session(engine) as session:
        rows = session.scalars(select(TaskRow).order_by(TaskRow.id)).all()
        columns = [c.name for c in TaskRow.__table__.columns]
        return {row.id: {name: getattr(row, name) for name in columns} for row in rows}


def _ids(engine, model):
    with Session(engine) as session:
        return set(session.scalars(select(model.id)))


def _step(rng, pc):
    ctx = pc.desk()
    task_ids = sorted(_tasks(pc.engine))
    task_id = rng.choice(task_ids)
    action = rng.random()
    try:
        if action < 0.5:
            now = ctx.now()
            record_call(
                ctx, task_id, rng.choice(OUTCOMES), started_at=now - timedelta(minutes=3), ended_at=now
            )
        elif action < 0.65:
            start_call(ctx, task_id)
        elif action < 0.8:
            submit_response(ctx, task_id, phq9(), {f"q{n}": "0" for n in range(1, 10)})
        else:
            pc.client.sync()
    except DomainError:
        pass  # e.g. a call on a task this PC already sees as completed: the desk refuses it


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_pcs_in_random_interleavings_converge(service, make_pc, seed):
    rng = random.Random(seed)
    ward = seed_ward(service, nurses=2, charts=4)
    pcs = [make_pc(service.url, f"PC{i}").login(ward.nurses[i]) for i in range(2)]
    for pc in pcs:
        pc.client.sync()
    for _ in range(40):
        _step(rng, rng.choice(pcs))
    for _ in range(2):  # settle: everything pushed, everything pulled, on both
        for pc in pcs:
            pc.client.sync()
    assert [pending(pc) for pc in pcs] == [0, 0]
    first, second = (_tasks(pc.engine) for pc in pcs)
    assert first == second
    with Session(service.database.engine) as session:
        for task_id, row in first.items():
            server = session.get(ROW_TYPES["task"], task_id)
            assert (row["status"], row["attempts"], row["version"]) == (
                server.payload["status"],
                server.payload["attempts"],
                server.version,
            )
        server_attempts = set(session.scalars(select(ROW_TYPES["call_attempt"].id)))
        server_responses = set(session.scalars(select(ROW_TYPES["response"].id)))
    for pc in pcs:
        assert _ids(pc.engine, CallAttemptRow) == server_attempts
        assert _ids(pc.engine, ResponseRow) == server_responses
    # Terminal states won: no task went back from completed.
    assert all(row["status"] in {s.value for s in TaskStatus} for row in first.values())
