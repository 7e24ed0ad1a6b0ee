"""Wrong clocks, a week offline, token expiry, a poison mutation."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import requests
from service_helpers import make_chart
from sqlalchemy import select
from sqlalchemy.orm import Session
from sync_helpers import local_charts, pending, seed_ward, service_count, service_payload

from nurse_app.desk.calls import record_call
from nurse_app.domain.model import CallOutcome, TaskStatus, utc_now
from nurse_app.store import outbox
from nurse_app.store.models import CallAttemptRow, TaskRow
from server_sync.client import SyncService, local_issues


def test_client_clocks_months_wrong_do_not_order_anything(service, make_pc):
    ward = seed_ward(service, charts=2)
    task_id = ward.charts[0].task.id
    ahead = make_pc(service.url, "AHEAD").login(ward.nurses[0])
    behind = make_pc(service.url, "BEHIND").login(ward.nurses[1])
    for pc in (ahead, behind):
        pc.client.sync()
    future = lambda: utc_now() + timedelta(days=120)  # noqa: E731
    past = lambda: utc_now() - timedelta(days=120)  # noqa: E731
    now = utc_now()
    record_call(ahead.desk(future), task_id, CallOutcome.NO_ANSWER, started_at=now, ended_at=now)
    ahead.client.sync()  # first in real time, though its clock says four months later
    behind.client.sync()
    later = utc_now()
    record_call(behind.desk(past), task_id, CallOutcome.REACHED, started_at=later, ended_at=later)
    behind.client.sync()
    third = make_pc(service.url, "THIRD").login(ward.nurses[0])
    third.client.sync()
    server = service_payload(service, "task", task_id)
    with Session(third.engine) as session:
        task = session.get(TaskRow, task_id)
        assert task.status == server["status"] == TaskStatus.IN_PROGRESS.value  # the later push wins
        assert task.attempts == server["attempts"] == 2
        outcomes = set(
            session.scalars(select(CallAttemptRow.outcome).where(CallAttemptRow.task_id == task_id))
        )
        assert outcomes == {"no_answer", "reached"}
    status = SyncService(behind.client, clock=past).status()
    assert abs(status.last_success_at - utc_now()) < timedelta(minutes=1)  # the service's time, not the PC's


def test_a_week_offline_drains_in_bounded_batches(service, make_pc):
    ward = seed_ward(service, charts=0)
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    week_ago = utc_now() - timedelta(days=7)
    local_charts(pc, ward.code, 2500, now=week_ago)
    assert pending(pc) == 10_000
    sizes: list[int] = []

    def count(response, *args, **kwargs):
        if response.request.url.endswith("/sync/push"):
            sizes.append(response.request.body.count(b'"mutation_id"'))

    pc.client.transport.session.hooks["response"].append(count)
    status = SyncService(pc.client).status()
    assert status.pending == 10_000 and status.oldest_pending_age >= timedelta(days=7)
    report = pc.client.sync()
    assert report.applied == 10_000 and report.conflict == report.rejected == 0
    assert max(sizes) <= 500 and sum(sizes) == 10_000 and len(sizes) >= 20
    assert pending(pc) == 0 and service_count(service, "task") == 2500


def test_token_expiry_mid_sync_is_refreshed_transparently(make_service, make_pc):
    service = make_service(access_token_seconds=1)
    ward = seed_ward(service, charts=0)
    pc = make_pc(service.url, batch_size=8).login(ward.nurses[0])
    pc.client.auth.refresh_margin = 0.0  # let tokens really expire, so the 401 path is taken too
    pc.client.sync()
    first_refresh_token = pc.client.auth.credentials.refresh_token(service.url, ward.nurses[0])
    local_charts(pc, ward.code, 10)
    pc.client.pusher.fault = lambda where: time.sleep(0.4) if where == "before_send" else None
    report = pc.client.sync()
    assert report.applied == 40 and pending(pc) == 0
    assert pc.client.auth.refresh_count >= 2
    assert pc.client.auth.credentials.refresh_token(service.url, ward.nurses[0]) != first_refresh_token


def test_concurrent_401s_refresh_once_and_keep_the_session(make_service, make_pc):
    service = make_service(access_token_seconds=1)
    ward = seed_ward(service, charts=0)
    pc = make_pc(service.url).login(ward.nurses[0])
    auth = pc.client.auth
    time.sleep(1.5)
    auth._access.expires_at = float("inf")  # the PC believes its token is fine: every call gets a 401
    before = auth.refresh_count
    errors: list[BaseException] = []

    def call():
        try:
            auth.request("GET", "/auth/me")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert auth.refresh_count == before + 1  # one rotation; a second would have revoked the session
    assert auth.request("GET", "/auth/me").body["username"] == ward.nurses[0]


def test_a_poison_mutation_is_rejected_listed_and_the_queue_goes_on(service, make_pc):
    ward = seed_ward(service, charts=0)
    other_ward = service.world.ward("X")
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    poison = make_chart(other_ward)  # a task in a ward this nurse does not belong to
    with Session(pc.engine) as session, session.begin():
        outbox.enqueue(session, "patient", poison.patient, now=utc_now())
        outbox.enqueue(session, "task", poison.task, now=utc_now())
    local_charts(pc, ward.code, 2)
    report = pc.client.sync()
    assert report.rejected == 1 and report.applied == 9 and pending(pc) == 0
    assert service_count(service, "task") == 2
    with Session(pc.engine) as session:
        issues = local_issues(session)
    assert [(i.entity, i.entity_id, i.kind) for i in issues] == [("task", poison.task.id, "rejected")]
    assert "not one of your wards" in issues[0].reason
    assert requests.get(f"{service.url}/health", timeout=5).status_code == 200
