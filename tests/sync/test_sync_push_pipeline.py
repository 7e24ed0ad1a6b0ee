"""The pipelined push against the real service: batch N+1 travels while batch N's answer is recorded.

Every test watches the push requests on the wire (a response hook of the PC's HTTP session,
which runs on the push's sender thread) and checks the service's side as well as the PC's.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import Session
from sync_helpers import (
    call_and_submit,
    last_applied,
    local_charts,
    outbox_seqs,
    pending,
    seed_ward,
    service_count,
    service_payload,
)

from nurse_app.domain.model import TaskStatus, utc_now
from nurse_app.store import outbox
from server_sync.client import SyncClient
from server_sync.client.errors import ServiceUnavailable

BATCH = 4


class SimulatedCrash(BaseException):
    """The PC dies here (BaseException: nothing in the client may swallow it)."""


def watch_pushes(pc) -> list[tuple[list[dict], list[dict]]]:
    """(mutations sent, results answered) of every push request the PC makes from now on."""
    seen: list[tuple[list[dict], list[dict]]] = []

    def hook(response, *args, **kwargs):
        if response.request.url.endswith("/sync/push") and response.status_code == 200:
            sent = json.loads(response.request.body)["mutations"]
            if sent:
                seen.append((sent, response.json()["results"]))

    pc.client.transport.session.hooks["response"].append(hook)
    return seen


def offline_charts(service, make_pc, charts: int):
    """A PC (batches of 4) that registered ``charts`` new patients offline: 4 outbox rows each."""
    ward = seed_ward(service, charts=0)
    pc = make_pc(service.url, batch_size=BATCH).login(ward.nurses[0])
    pc.client.sync()
    return pc, local_charts(pc, ward.code, charts)


def assert_each_record_once(service, made) -> None:
    for chart in made:
        assert service_count(service, "patient", id=chart.patient.id) == 1
        assert service_count(service, "task", id=chart.task.id) == 1


def test_many_batches_arrive_once_each_in_seq_order(service, make_pc):
    pc, made = offline_charts(service, make_pc, 12)  # 48 mutations: 12 batches of 4
    seqs = outbox_seqs(pc)
    pushes = watch_pushes(pc)

    report = pc.client.sync()

    sent = [[m["seq"] for m in mutations] for mutations, _ in pushes]
    assert len(sent) == 12 and all(len(batch) == BATCH for batch in sent)
    assert [seq for batch in sent for seq in batch] == seqs  # each once, in order, none skipped
    assert all(r["status"] == "applied" for _, results in pushes for r in results)
    assert report.pushed == report.applied == 48 and report.duplicate == report.conflict == 0
    assert pending(pc) == 0 and last_applied(service, pc.client.client_id) == seqs[-1]
    assert_each_record_once(service, made)


def test_a_batch_is_recorded_while_the_next_one_is_on_its_way(service, make_pc):
    pc, made = offline_charts(service, make_pc, 6)  # 24 mutations: 6 batches of 4
    unhurried = pc.client.pusher.clock

    def slow_clock():  # read as a batch is recorded: makes the recording take a visible while
        time.sleep(0.15)
        return unhurried()

    seen_at_send: list[tuple[int, int]] = []  # pending as a request starts, and a while later

    def fault(where):
        if where == "before_send":
            first = pending(pc)
            time.sleep(0.5)
            seen_at_send.append((first, pending(pc)))

    pc.client.pusher.clock, pc.client.pusher.fault = slow_clock, fault
    assert pc.client.sync().applied == 24
    # Each request starts before the batch answered last is recorded, which happens meanwhile
    # (one after another, every request would start with the batch before already recorded).
    assert seen_at_send == [(24, 24), (24, 20), (20, 16), (16, 12), (12, 8), (8, 4)]
    assert pending(pc) == 0
    assert_each_record_once(service, made)


def test_service_stopped_while_the_next_batch_is_in_flight_loses_and_doubles_nothing(service, make_pc):
    pc, made = offline_charts(service, make_pc, 6)
    total = pending(pc)
    starts = {"n": 0}

    def fault(where):
        if where == "before_send":
            starts["n"] += 1
            if starts["n"] == 3:  # batches 1 and 2 answered; 2 is being recorded while 3 fails
                service.stop()

    pc.client.pusher.fault = fault
    with pytest.raises(ServiceUnavailable):
        pc.client.push()
    # The answered batches are all recorded before the error comes out: none is sent twice.
    assert pending(pc) == total - 2 * BATCH
    assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[2 * BATCH - 1]

    service.start()
    pc.client.pusher.fault = None
    pushes = watch_pushes(pc)
    report = pc.client.sync()
    assert report.applied == total - 2 * BATCH and report.duplicate == 0
    assert [m["seq"] for mutations, _ in pushes for m in mutations] == outbox_seqs(pc)[2 * BATCH :]
    assert pending(pc) == 0
    assert_each_record_once(service, made)


class _AnswerLostFrom(HTTPAdapter):
    """From the ``nth`` push on, the service applies the batch but the answer never reaches the PC."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.pushes = nth, 0

    def send(self, request, *args, **kwargs):
        response = super().send(request, *args, **kwargs)
        if request.url.endswith("/sync/push"):
            self.pushes += 1
            if self.pushes >= self.nth:
                raise requests.ConnectionError("connection reset after the service committed")
        return response


def test_an_answer_lost_while_the_batch_before_is_recorded_comes_back_as_duplicates(service, make_pc):
    pc, made = offline_charts(service, make_pc, 6)
    total = pending(pc)
    pc.client.transport.session.mount("http://", _AnswerLostFrom(3))  # and its retry's answer too
    with pytest.raises(ServiceUnavailable):
        pc.client.push()
    assert pending(pc) == total - 2 * BATCH  # batch 2 was recorded although batch 3 failed
    assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[3 * BATCH - 1]

    pc.client.transport.session.mount("http://", HTTPAdapter())
    report = pc.client.sync()
    assert report.duplicate == BATCH and report.applied == total - 3 * BATCH
    assert pending(pc) == 0
    assert_each_record_once(service, made)


def test_a_crash_before_a_batch_is_recorded_resends_only_that_batch(service, make_pc):
    pc, made = offline_charts(service, make_pc, 6)
    total = pending(pc)
    answers = {"n": 0}

    def fault(where):
        if where == "before_ack":
            answers["n"] += 1
            if answers["n"] == 4:  # batches 1-3 recorded (the last while 4 was in flight)
                raise SimulatedCrash(where)

    pc.client.pusher.fault = fault
    with pytest.raises(SimulatedCrash):
        pc.client.sync()
    assert pending(pc) == total - 3 * BATCH
    assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[4 * BATCH - 1]

    pc.client.close()
    pc.client = SyncClient(pc.engine, service.url, credentials=pc.client.auth.credentials, batch_size=BATCH)
    assert pc.client.resume()
    report = pc.client.sync()
    assert report.duplicate == BATCH and report.applied == total - 4 * BATCH
    assert pending(pc) == 0
    assert_each_record_once(service, made)


def test_a_second_edit_in_the_next_batch_is_based_on_the_version_the_first_produced(service, make_pc):
    ward = seed_ward(service, charts=6)
    pc = make_pc(service.url, batch_size=BATCH).login(ward.nurses[0])
    pc.client.sync()
    patients = [chart.patient for chart in ward.charts]
    # Each patient's phone changed twice offline. A desk does not bump a patient's version, so the
    # second edit is based on what the first produced (batch 2 is built while batch 1 is in
    # flight, batch 3 partly on versions already stored): based on the pulled version, it would
    # look like a clash with the server's own phone and be refused as a conflict.
    with Session(pc.engine) as session, session.begin():
        for round_ in (1, 2):
            for n, patient in enumerate(patients):
                edited = dataclasses.replace(patient, phone=f"1390000{round_}{n:03d}")
                outbox.enqueue(session, "patient", edited, now=utc_now())
    pushes = watch_pushes(pc)

    report = pc.client.sync()

    assert report.conflict == report.rejected == 0 and pc.client.issues() == []
    sent = [[m["entity_id"] for m in mutations] for mutations, _ in pushes]
    first, second = [p.id for p in patients[:4]], [p.id for p in patients[4:]]
    assert sent == [first, second + first[:2], first[2:] + second]  # the one-edit rule's cuts
    produced: dict[str, int] = {}
    for mutations, results in pushes:
        for mutation, result in zip(mutations, results, strict=True):
            if mutation["entity_id"] in produced:
                assert mutation["base_version"] == produced[mutation["entity_id"]], mutation
            produced[mutation["entity_id"]] = result["server_version"]
    for n, patient in enumerate(patients):
        assert service_payload(service, "patient", patient.id)["phone"] == f"13900002{n:03d}"
    assert pending(pc) == 0


def test_desk_work_split_by_the_one_edit_rule_raises_no_false_conflict(service, make_pc):
    ward = seed_ward(service, charts=4)
    pc = make_pc(service.url).login(ward.nurses[0])  # full-size batches: only the one-edit rule cuts
    pc.client.sync()
    ctx = pc.desk()
    for chart in ward.charts:
        call_and_submit(ctx, chart.task.id)  # each task edited twice: reached, then completed
    pushes = watch_pushes(pc)

    report = pc.client.sync()

    assert report.conflict == report.rejected == 0 and pc.client.issues() == []
    assert len(pushes) == len(ward.charts) + 1  # a task's second edit waits for the next batch
    produced: dict[str, int] = {}
    for mutations, results in pushes:
        in_batch = [m["entity_id"] for m in mutations if m["entity"] == "task"]
        assert len(in_batch) == len(set(in_batch))
        for mutation, result in zip(mutations, results, strict=True):
            if mutation["entity"] == "task":
                # The desk bumps a task's version itself, so its own count may be the newer base.
                assert mutation["base_version"] >= produced.get(mutation["entity_id"], 0), mutation
                produced[mutation["entity_id"]] = result["server_version"]
    for chart in ward.charts:
        assert service_payload(service, "task", chart.task.id)["status"] == TaskStatus.COMPLETED.value
    assert pending(pc) == 0
