"""Pulling many pages: the next page is fetched while one is written, and a failure loses nothing."""

from __future__ import annotations

import threading

import pytest
from service_helpers import make_chart
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sync_helpers import local_charts, seed_ward

from nurse_app.store.models import TaskRow
from server_sync.client import SyncService, state
from server_sync.client.apply import ChangeWriter
from server_sync.client.progress import SyncProgress


def _local_tasks(pc) -> int:
    with Session(pc.engine) as session:
        return session.scalar(select(func.count()).select_from(TaskRow))


def _cursor(pc) -> int:
    with Session(pc.engine) as session:
        return state.get_int(session, state.CURSOR)


def _record_requests(pc, monkeypatch) -> list[tuple[str, int]]:
    """(thread name, cursor) of every pull request the PC sends."""
    seen: list[tuple[str, int]] = []
    auth = pc.client.puller.auth
    original = auth.request

    def request(method, path, **kwargs):
        if path == "/sync/pull":
            seen.append((threading.current_thread().name, kwargs["params"]["cursor"]))
        return original(method, path, **kwargs)

    monkeypatch.setattr(auth, "request", request)
    return seen


def test_every_page_is_written_once_in_order_while_the_next_is_fetched(service, make_pc, monkeypatch):
    ward = seed_ward(service, charts=30)
    pc = make_pc(service.url, page_size=7).login(ward.nurses[0])
    requests = _record_requests(pc, monkeypatch)
    report = pc.client.sync()
    assert _local_tasks(pc) == 30
    assert report.pulled >= 120  # patient, stay, enrollment and task of each chart
    cursors = [cursor for _thread, cursor in requests]
    assert cursors == sorted(set(cursors)) and len(cursors) >= 17
    # Every page after the first was asked for while the one before it was being written.
    assert all(thread.startswith("pull-fetch") for thread, _cursor in requests[1:])
    assert not [t for t in threading.enumerate() if t.name.startswith("pull-fetch")]


def test_a_page_that_cannot_be_written_keeps_the_cursor_where_written(service, make_pc, monkeypatch):
    ward = seed_ward(service, charts=30)
    pc = make_pc(service.url, page_size=7).login(ward.nurses[0])
    original = ChangeWriter.apply
    calls = []

    def apply_until_the_disk_fills(writer, changes):
        calls.append(len(changes))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return original(writer, changes)

    monkeypatch.setattr(ChangeWriter, "apply", apply_until_the_disk_fills)
    with pytest.raises(OSError, match="No space"):
        pc.client.sync()
    written_cursor = _cursor(pc)
    assert written_cursor > 0  # pages 1 and 2 committed with their cursor, page 3 not at all
    partial = _local_tasks(pc)
    assert partial < 30
    assert not [t for t in threading.enumerate() if t.name.startswith("pull-fetch")]

    monkeypatch.setattr(ChangeWriter, "apply", original)
    requests = _record_requests(pc, monkeypatch)
    pc.client.sync()
    assert requests[0][1] == written_cursor  # goes on from the last page written
    assert _local_tasks(pc) == 30


def test_the_sync_service_reports_what_the_running_sync_has_sent_and_received(service, make_pc, monkeypatch):
    ward = seed_ward(service, charts=0)
    pc = make_pc(service.url, page_size=7, batch_size=4).login(ward.nurses[0])
    pc.client.sync()
    local_charts(pc, ward.code, 3)  # 12 changes to send first, in batches of 4
    others = [make_chart(ward.code) for _ in range(30)]  # and 120 to receive, 7 a page
    service.world.desk(ward.manager).push(*[record for chart in others for record in chart.records])
    sync_service = SyncService(pc.client)
    seen: list[SyncProgress | None] = []
    write_page = pc.client.puller._write

    def look_then_write(page, *args, **kwargs):  # on the syncing thread, before each page is written
        seen.append(sync_service.status().progress)
        return write_page(page, *args, **kwargs)

    monkeypatch.setattr(pc.client.puller, "_write", look_then_write)
    report = sync_service.sync_now()
    assert report.ok and report.pushed == 12 and report.pulled >= 120
    assert all(progress is not None and progress.sent == 12 for progress in seen)
    received = [progress.received for progress in seen]
    assert received[0] == 0 and received == sorted(received) and received[-1] >= 100
    assert sync_service.status().progress is None  # nothing running: the usual status again
