"""Desk updates under IT's control, end to end: the real client against the real service.

Below IT's minimum the desk keeps working offline but its sync is refused with words
(the outbox is kept, nothing reaches the service); a newer announced version is
offered as "update available".
"""

from __future__ import annotations

import pytest
from sync_helpers import call_and_submit, last_applied, outbox_seqs, pending, seed_ward, service_count

from nurse_app import __version__
from server_sync.client import SyncService, UpdateRequired

REFUSAL_ZH = "此版本的护士站已停止同步，请联系信息科升级"


def _reconfigure(service, **settings) -> None:
    """IT changes the service's settings and restarts it (same database, same port)."""
    service.stop()
    service.settings = service.settings.model_copy(update=settings)
    service.start()


def test_below_the_minimum_sync_is_refused_work_continues_and_nothing_is_lost(service, make_pc):
    ward = seed_ward(service, charts=2)
    pc = make_pc(service.url).login(ward.nurses[0])
    assert pc.client.sync().ok
    ctx = pc.desk()
    first, second = (chart.task.id for chart in ward.charts)
    call_and_submit(ctx, first)
    queued = outbox_seqs(pc)
    assert queued and last_applied(service, pc.client.client_id) == 0

    _reconfigure(service, client_min_version="99.0", client_current_version="99.1")
    with pytest.raises(UpdateRequired) as refused:
        pc.client.sync()
    assert refused.value.code == "client_too_old"
    assert REFUSAL_ZH in str(refused.value) and "99.0" in str(refused.value)
    # Refused before any data was touched: the outbox is whole, the service has nothing of it.
    assert outbox_seqs(pc) == queued
    assert last_applied(service, pc.client.client_id) == 0
    assert service_count(service, "call_attempt", task_id=first) == 0

    # The background service reports it in words and keeps the version IT announced.
    sync_service = SyncService(pc.client)
    report = sync_service.sync_now()
    assert not report.ok and REFUSAL_ZH in report.errors[0]
    status = sync_service.status()
    assert status.last_error is not None and REFUSAL_ZH in status.last_error
    assert status.online is True  # the service answered; this is not "offline, retrying"
    assert status.update_available == "99.1"
    assert status.pending == len(queued)

    # Offline work continues: another call is recorded and queued after the first.
    call_and_submit(ctx, second)
    assert pending(pc) > len(queued) and outbox_seqs(pc)[: len(queued)] == queued
    with pytest.raises(UpdateRequired):
        pc.client.push()
    assert last_applied(service, pc.client.client_id) == 0

    # IT lowers the minimum again (or the desk is updated): everything arrives, exactly once.
    _reconfigure(service, client_min_version=__version__, client_current_version=__version__)
    report = sync_service.sync_now()
    assert report.ok, report.errors
    assert pending(pc) == 0
    assert service_count(service, "call_attempt", task_id=first) == 1
    assert service_count(service, "call_attempt", task_id=second) == 1
    status = sync_service.status()
    assert status.last_error is None and status.update_available is None


def test_a_newer_current_version_is_offered_as_an_update(make_service, make_pc):
    service = make_service(client_current_version="9.9.9")
    ward = seed_ward(service, charts=1)
    pc = make_pc(service.url).login(ward.nurses[0])
    sync_service = SyncService(pc.client)
    assert sync_service.sync_now().ok  # above the (default) minimum: sync as usual
    status = sync_service.status()
    assert status.update_available == "9.9.9" and status.last_error is None
    assert pc.client.transport.announced_minimum == "0.0.0"

    # A service announcing this very version (or an older one) offers nothing.
    _reconfigure(service, client_current_version=__version__)
    assert sync_service.sync_now().ok
    assert sync_service.status().update_available is None
    _reconfigure(service, client_current_version="0.0.1")
    assert sync_service.sync_now().ok
    assert sync_service.status().update_available is None


def test_the_client_sends_its_version_and_knows_nothing_before_the_first_answer(service, make_pc):
    pc = make_pc(service.url)
    assert pc.client.transport.session.headers["X-Followup-Client-Version"] == __version__
    assert SyncService(pc.client).status().update_available is None
