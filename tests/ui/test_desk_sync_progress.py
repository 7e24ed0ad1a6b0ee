"""While a sync runs the status bar says how far it has come, and the progress bar shows."""

from __future__ import annotations

from datetime import UTC, datetime

from server_sync.client.progress import SyncProgress
from ui.desk.busy import BusyTracker
from ui.desk.status_bar import REFRESH_MS, SYNCING_REFRESH_MS, DeskStatusBar
from ui.desk.sync_status import SyncResult, SyncStatus
from ui.i18n import set_language


class _Source:
    """A sync status source whose answer the test sets, as the sync service's would change."""

    def __init__(self, status: SyncStatus) -> None:
        self.answer = status

    def status(self) -> SyncStatus:
        return self.answer

    def sync_now(self) -> SyncResult:
        return SyncResult(True, "")


def _status(progress: SyncProgress | None) -> SyncStatus:
    return SyncStatus(
        pending=0,
        oldest_pending_age=None,
        last_success=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
        last_error=None,
        online=True,
        progress=progress,
    )


def test_a_running_sync_shows_what_it_sent_and_received_then_the_usual_status(qtbot):
    source = _Source(_status(SyncProgress(sent=8, received=12_345)))
    bar = DeskStatusBar(source, BusyTracker(), "Asia/Shanghai")
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitUntil(lambda: bar.status is not None, timeout=5000)
    assert bar.pending.text() == "正在同步：已发送 8 条，已接收 12,345 条…"
    assert bar.progress.isVisible()
    assert bar._timer.interval() == SYNCING_REFRESH_MS  # the counts move every second

    set_language("en")
    assert bar.pending.text() == "Syncing: 8 sent, 12,345 received…"
    set_language("zh_CN")

    source.answer = _status(None)  # the sync finished
    bar.refresh()
    qtbot.waitUntil(lambda: bar.status is not None and bar.status.progress is None, timeout=5000)
    assert bar.pending.text() == "所有更改已同步"
    assert not bar.progress.isVisible()
    assert bar._timer.interval() == REFRESH_MS
