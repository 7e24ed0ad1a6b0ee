"""Crashes of the client around a push, and replays: every mutation takes effect exactly once."""

from __future__ import annotations

import threading

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import Session
from sync_helpers import call_and_submit, last_applied, outbox_seqs, pending, seed_ward, service_count

from nurse_app.domain.model import utc_now
from nurse_app.store import outbox
from server_sync.client import SyncClient
from server_sync.protocol import PROTOCOL_VERSION


class SimulatedCrash(BaseException):
    """The PC dies here (BaseException: nothing in the client may swallow it)."""


def _prepare(service, make_pc, **options):
    ward = seed_ward(service, charts=3)
    pc = make_pc(service.url, batch_size=4, **options).login(ward.nurses[0])
    pc.client.sync()
    ctx = pc.desk()
    for chart in ward.charts[:2]:
        call_and_submit(ctx, chart.task.id)
    return ward, pc


def _restart(pc, service):
    """A new process on the same cache: resumes the session from the keyring's refresh token."""
    pc.client.close()
    pc.client = SyncClient(pc.engine, service.url, credentials=pc.client.auth.credentials, batch_size=4)
    assert pc.client.resume()
    return pc.client


def _assert_exactly_once(service, ward, pc):
    assert pending(pc) == 0
    assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[-1]
    for chart in ward.charts[:2]:
        assert service_count(service, "call_attempt", task_id=chart.task.id) == 1
        assert service_count(service, "response", task_id=chart.task.id) == 1
        assert service_count(service, "alert", task_id=chart.task.id) == 1
    issues = pc.client.issues()
    assert issues == [], issues  # a replay is a duplicate, never a conflict


@pytest.mark.parametrize("point", ["before_send", "before_ack"])
def test_crash_inside_the_push_loses_and_doubles_nothing(service, make_pc, point):
    calls = {"n": 0}

    def fault(where):
        if where == point:
            calls["n"] += 1
            if calls["n"] == 2:  # the second batch: the first is already acknowledged
                raise SimulatedCrash(where)

    ward, pc = _prepare(service, make_pc, fault=fault)
    total = pending(pc)
    with pytest.raises(SimulatedCrash):
        pc.client.sync()
    after_crash = pending(pc)
    assert after_crash == total - 4
    if point == "before_ack":
        assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[-1] - after_crash + 4
    report = _restart(pc, service).sync()
    assert report.duplicate == (4 if point == "before_ack" else 0)
    _assert_exactly_once(service, ward, pc)


class _CrashAfterServerAnswer(HTTPAdapter):
    """The request reaches the service and is committed there; the PC dies before reading the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.pushes = 0

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        if request.url.endswith("/sync/push"):
            self.pushes += 1
            if self.pushes == 2:
                raise SimulatedCrash("after the service committed")
        return response


def test_crash_after_the_service_committed_before_the_answer(service, make_pc):
    ward, pc = _prepare(service, make_pc)
    pc.client.transport.session.mount("http://", _CrashAfterServerAnswer())
    with pytest.raises(SimulatedCrash):
        pc.client.sync()
    assert pending(pc) > 0
    report = _restart(pc, service).sync()
    assert report.duplicate == 4
    _assert_exactly_once(service, ward, pc)


def test_the_same_batch_replayed_sequentially_and_concurrently_applies_once(service, make_pc):
    ward, pc = _prepare(service, make_pc)
    with Session(pc.engine) as session:
        batch = outbox.pending_batch(session, max_count=6)
    body = {
        "client_id": pc.client.client_id,
        "protocol_version": PROTOCOL_VERSION,
        "mutations": [
            {
                "mutation_id": e.mutation_id,
                "seq": e.seq,
                "entity": e.entity,
                "op": e.op,
                "entity_id": e.entity_id,
                "payload": e.payload,
                "base_version": e.payload.get("version"),
            }
            for e in batch
        ],
    }
    token = pc.client.auth.access_token()
    answers: list[requests.Response] = []

    def send():
        answers.append(
            requests.post(
                f"{service.url}/sync/push",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    send()  # and once more afterwards
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    statuses = [[r["status"] for r in answer.json()["results"]] for answer in answers]
    applied_once = [sum(1 for s in column if s != "duplicate") for column in zip(*statuses, strict=True)]
    assert applied_once == [1] * len(batch), statuses
    pc.client.sync()  # the PC never saw those answers: its own push comes back as duplicates
    _assert_exactly_once(service, ward, pc)


def test_seq_gap_is_answered_by_resending_the_journal(service, make_pc):
    ward, pc = _prepare(service, make_pc)
    seqs = outbox_seqs(pc)
    with Session(pc.engine) as session, session.begin():
        # The PC wrongly believes its first 5 changes were delivered: the service will ask for them.
        outbox.acknowledge(session, seqs[:5], at=utc_now())
    assert pending(pc) == len(seqs) - 5
    report = pc.client.sync()
    assert report.ok
    _assert_exactly_once(service, ward, pc)
