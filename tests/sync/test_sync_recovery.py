"""Service-side accidents: restore from backup, expired cursor, killed process, unreachable service."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sync_helpers import (
    call_and_submit,
    last_applied,
    local_charts,
    outbox_seqs,
    pending,
    seed_ward,
    service_count,
)

from nurse_app.domain.model import TaskStatus, utc_now
from nurse_app.store.models import EnrollmentRow, OutboxRow, TaskRow
from server_sync.client import ServiceUnavailable, SyncService
from server_sync.client import state as sync_state
from server_sync.service.core.backup import backup, restore
from server_sync.service.core.db import Database, make_engine
from server_sync.service.sync.pull import purge_tombstones


def test_restore_from_backup_changes_the_epoch_and_loses_nothing(service, make_pc, tmp_path):
    ward = seed_ward(service, charts=4)
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    call_and_submit(pc.desk(), ward.charts[0].task.id)
    pc.client.sync()
    backup(service.database.engine, tmp_path / "backup.db")
    call_and_submit(pc.desk(), ward.charts[1].task.id)  # only the live service gets this one
    pc.client.sync()
    assert service_count(service, "response", task_id=ward.charts[1].task.id) == 1

    restore(service.database.engine, tmp_path / "backup.db")
    assert service_count(service, "response", task_id=ward.charts[1].task.id) == 0

    report = pc.client.sync()  # nothing pending: the pull's 409 epoch_changed starts the recovery
    assert report.epoch_recovered
    assert service_count(service, "response", task_id=ward.charts[1].task.id) == 1
    assert service_count(service, "call_attempt", task_id=ward.charts[1].task.id) == 1
    assert last_applied(service, pc.client.client_id) == outbox_seqs(pc)[-1]
    other = make_pc(service.url).login(ward.nurses[1])
    other.client.sync()
    with Session(other.engine) as session:
        assert session.get(TaskRow, ward.charts[1].task.id).status == TaskStatus.COMPLETED.value
    assert pc.client.sync().epoch_recovered is False  # settled


def test_cursor_past_the_tombstone_window_redownloads_and_keeps_pending_work(make_service, make_pc):
    service = make_service(tombstone_window_days=0)
    ward = seed_ward(service, charts=3)
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    gone = ward.charts[2]
    manager = service.world.desk(ward.manager)
    assert manager.push(gone.enrollment, op="delete")[0]["status"] == "applied"
    with service.database.transaction() as db_session:
        assert (
            purge_tombstones(db_session=db_session, now=utc_now() + timedelta(seconds=1), window_days=0) == 1
        )
    kept = ward.charts[0].task.id
    call_and_submit(pc.desk(), kept)  # pending, not pushed: the re-download must not touch it
    waiting = pending(pc)

    result = pc.client.puller.pull()
    assert result.redownloaded
    assert pending(pc) == waiting
    with Session(pc.engine) as session:
        assert session.get(TaskRow, kept).status == TaskStatus.COMPLETED.value  # the local state stays
        assert session.get(EnrollmentRow, gone.enrollment.id) is None  # the purged deletion is applied
        assert sync_state.get_int(session, sync_state.REDOWNLOAD) == 0
    report = pc.client.sync()
    assert report.ok and pending(pc) == 0
    assert service_count(service, "response", task_id=kept) == 1


def test_service_killed_mid_batch_keeps_whole_batches_and_resumes(template_db, tmp_path, make_pc):
    from live_service import LiveService, ServiceProcess, free_port

    path = tmp_path / "killed.db"
    shutil.copy(template_db, path)
    process = ServiceProcess(path, free_port())
    process.start()
    helper = LiveService.__new__(LiveService)  # only its World, on the same database file
    from service_helpers import World

    from server_sync.service.core.config import Settings

    settings = Settings(database_url=f"sqlite:///{path}", argon2_time_cost=1, argon2_memory_kib=8192)
    database = Database(make_engine(settings.database_url, settings))
    helper.world, helper.database = World(process.url, database, settings), database
    try:
        ward = seed_ward(helper, charts=0)
        pc = make_pc(process.url).login(ward.nurses[0])
        pc.client.sync()
        local_charts(pc, ward.code, 400)  # 1600 mutations: four batches of 500 (the last smaller)
        batches = {"n": 0}

        def fault(where):
            if where == "before_send":
                batches["n"] += 1
                if batches["n"] == 2:  # kill the service while it applies the second batch
                    threading.Timer(0.02, process.kill).start()

        pc.client.pusher.fault = fault
        try:
            pc.client.sync()
            raise AssertionError("the push should have failed")
        except ServiceUnavailable as error:
            assert "cannot be reached" in str(error)
        applied = last_applied(helper, pc.client.client_id)
        # Whole batches or none of each, never part; how many got in before the kill depends on speed.
        assert applied % 500 == 0 and applied < 1600, applied
        assert service_count(helper, "patient") == applied // 4
        process.start()
        pc.client.pusher.fault = None
        assert pc.client.sync().ok
        assert pending(pc) == 0
        assert service_count(helper, "patient") == 400 and service_count(helper, "task") == 400
        assert last_applied(helper, pc.client.client_id) == 1600
    finally:
        process.kill()
        helper.world.close()
        database.dispose()


def test_service_down_raises_keeps_everything_and_status_says_offline(service, make_pc):
    ward = seed_ward(service, charts=2)
    pc = make_pc(service.url).login(ward.nurses[0])
    pc.client.sync()
    call_and_submit(pc.desk(), ward.charts[0].task.id)
    waiting = pending(pc)
    service.stop()
    try:
        pc.client.push()
        raise AssertionError("push must fail while the service is down")
    except ServiceUnavailable as error:
        assert "cannot be reached" in str(error) and "kept" in str(error)
    sync = SyncService(pc.client)
    report = sync.sync_now()
    assert not report.ok and "cannot be reached" in report.errors[0]
    status = sync.status()
    assert status.online is False and status.pending == waiting
    assert status.last_error and "cannot be reached" in status.last_error
    assert status.oldest_pending_age is not None and status.oldest_pending_age >= timedelta(0)
    service.start()
    assert sync.sync_now().ok
    status = sync.status()
    assert status.online is True and status.pending == 0 and status.last_error is None


def test_the_background_worker_syncs_soon_after_a_local_change(service, make_pc):
    ward = seed_ward(service, charts=2)
    pc = make_pc(service.url).login(ward.nurses[0])
    worker = SyncService(pc.client, interval=3600, debounce=0.2)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while worker.status().last_success_at is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the start-up sync
        call_and_submit(pc.desk(), ward.charts[0].task.id)
        worker.notify_local_change()
        while pending(pc) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(pc) == 0
        assert service_count(service, "response", task_id=ward.charts[0].task.id) == 1
        with Session(pc.engine) as session:
            assert session.scalar(select(OutboxRow.acked_at).limit(1)) is not None
    finally:
        worker.stop()
