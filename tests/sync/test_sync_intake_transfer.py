"""A stay transferred to another ward after its discharge (a late HL7 A02): its open tasks leave
the old ward's desks at their next pull and arrive on the new ward's, through the real service
and real desk caches — also on a desk that pulls only after the task changed again."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sync_helpers import service_payload

from nurse_app.demo.catalog import DEMO_PLANS
from nurse_app.desk.calls import record_call
from nurse_app.domain.model import CallOutcome, Role, TaskStatus
from nurse_app.store.models import CallAttemptRow, EncounterRow, EnrollmentRow, TaskRow
from server_sync.protocol import entity_to_payload
from server_sync.service.config import publishing
from server_sync.service.intake import hl7_intake
from server_sync.service.intake.config import IntakeSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"


def _send(service, name: str, **values: str) -> hl7_intake.Hl7Outcome:
    raw = (FIXTURES / name).read_bytes()
    for key, value in {"$CTRL": uuid.uuid4().hex[:16], **values}.items():
        raw = raw.replace(key.encode(), value.encode())
    outcome = hl7_intake.process(database=service.database, raw=raw, settings=IntakeSettings(), source="test")
    assert outcome.code == "AA", outcome.ack
    return outcome


def _tasks(pc) -> dict[str, tuple[str, str]]:
    with Session(pc.engine) as session:
        return {row.id: (row.ward_code, row.status) for row in session.scalars(select(TaskRow))}


def _attempts(pc) -> set[str]:
    with Session(pc.engine) as session:
        return set(session.scalars(select(CallAttemptRow.task_id)))


def test_a_transfer_moves_open_tasks_between_the_wards_desks(service, make_pc):
    world = service.world
    with service.database.transaction() as db_session:
        for plan in DEMO_PLANS:
            publishing.publish_plan(db_session=db_session, body=entity_to_payload(plan), actor="test")
    old, new = world.ward("C"), world.ward("D")
    stay = {"$MRN": f"ZY{uuid.uuid4().hex[:10]}", "$VISIT": f"V{uuid.uuid4().hex[:10]}"}
    discharged = _send(service, "a03_discharge.hl7", **stay, **{"$WARD": old})
    assert discharged.result.enrolled == ["HF-DISCHARGE"]

    old_nurse = world.user(Role.NURSE, (old,), name="c")
    old_pc = make_pc(service.url, "PC-C").login(old_nurse)
    late_pc = make_pc(service.url, "PC-C2").login(world.user(Role.NURSE, (old,), name="c2"))
    new_pc = make_pc(service.url, "PC-D").login(world.user(Role.NURSE, (new,), name="d"))
    both_pc = make_pc(service.url, "PC-CD").login(world.user(Role.WARD_MANAGER, (old, new), name="m"))
    for pc in (old_pc, late_pc, new_pc, both_pc):
        pc.client.sync()
    tasks = sorted(_tasks(old_pc), key=lambda t: service_payload(service, "task", t)["step_no"])
    assert len(tasks) == 3 and not _tasks(new_pc)
    finished, tried, untouched = tasks

    # The old ward calls: the first task is finished (refused), the second has an unanswered attempt.
    desk = old_pc.desk()
    now = desk.now()
    record_call(desk, finished, CallOutcome.REFUSED, started_at=now - timedelta(minutes=2), ended_at=now)
    record_call(desk, tried, CallOutcome.NO_ANSWER, started_at=now - timedelta(minutes=1), ended_at=now)
    assert old_pc.client.sync().ok

    moved = _send(service, "a02_transfer.hl7", **stay, **{"$WARD2": new, "$WARD": old})
    assert moved.result.moved_tasks == 2
    for record_id in (tried, untouched):
        payload = service_payload(service, "task", record_id)
        assert payload["ward_code"] == new and payload["assignee"] is None
    assert service_payload(service, "task", finished)["ward_code"] == old

    for pc in (old_pc, new_pc, both_pc):
        assert pc.client.sync().ok
    assert _tasks(old_pc) == {finished: (old, TaskStatus.COMPLETED.value)}, "open tasks left the old ward"
    assert set(_tasks(new_pc)) == {tried, untouched} and {w for w, _ in _tasks(new_pc).values()} == {new}
    assert _attempts(new_pc) == {tried}, "the unanswered call went along with its task"
    with Session(new_pc.engine) as session:  # the moved tasks' parents arrived too
        assert session.scalars(select(EncounterRow.ward_code)).all() == [new]
        assert len(session.scalars(select(EnrollmentRow.id)).all()) == 1
    assert set(_tasks(both_pc)) == {finished, tried, untouched}, "a desk of both wards keeps all three"
    assert _attempts(both_pc) >= {finished, tried}

    # The new ward works the task; a desk of the old ward that was offline all along still drops it.
    desk = new_pc.desk()
    now = desk.now()
    record_call(desk, untouched, CallOutcome.BUSY, started_at=now - timedelta(minutes=1), ended_at=now)
    assert new_pc.client.sync().ok
    assert late_pc.client.sync().ok
    assert _tasks(late_pc) == {finished: (old, TaskStatus.COMPLETED.value)}
    assert old_pc.client.sync().ok and set(_tasks(old_pc)) == {finished}
