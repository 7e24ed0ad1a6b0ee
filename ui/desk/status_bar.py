"""Status bar: online/offline, pending changes and their age, last sync, updates, "Sync now", sync issues."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from ui.desk.busy import BusyTracker, while_alive
from ui.desk.sync_status import SyncResult, SyncStatus, SyncStatusSource
from ui.i18n import _, language_notifier
from ui.operations import Operation

REFRESH_MS = 5000
SYNCING_REFRESH_MS = 1000  # while a sync runs, its progress moves every second


def format_age(age: timedelta | None) -> str:
    if age is None:
        return "—"
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("{n} min ago").format(n=minutes)
    if minutes < 48 * 60:
        return _("{n} h ago").format(n=minutes // 60)
    return _("{n} days ago").format(n=minutes // (24 * 60))


class SyncIssuesDialog(QDialog):
    def __init__(self, status: SyncStatus | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Sync issues"))
        issues = QListWidget()
        issues.setAccessibleName(_("Sync issues"))
        for issue in status.issues if status else ():
            issues.addItem(f"{issue.entity} {issue.entity_id[:8]}: {issue.reason}")
        if issues.count() == 0:
            issues.addItem(_("No sync issues."))
        layout = QVBoxLayout(self)
        layout.addWidget(issues)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        layout.addWidget(close)


class DeskStatusBar(QStatusBar):
    def __init__(
        self, source: SyncStatusSource, busy: BusyTracker, zone: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.zone = zone
        self.status: SyncStatus | None = None
        self._last_result: SyncResult | None = None
        self._loading = False
        self._busy = False
        self.online = QLabel()
        self.pending = QLabel()
        self.last_sync = QLabel()
        # "Update available x.y.z", or the refusal when this desk is below IT's minimum version.
        self.update_notice = QLabel()
        self.update_notice.setVisible(False)
        self.sync_button = QPushButton()
        self.sync_button.clicked.connect(self.sync_now)
        self.issues_button = QPushButton()
        self.issues_button.setFlat(True)
        self.issues_button.clicked.connect(self.show_issues)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # indeterminate: "working", not a percentage
        self.progress.setMaximumWidth(120)
        self.progress.setVisible(False)
        busy.sig_busy_changed.connect(self._set_busy)
        self.addWidget(self.online)
        self.addWidget(self.pending)
        self.addWidget(self.last_sync)
        self.addWidget(self.update_notice)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.issues_button)
        self.addPermanentWidget(self.sync_button)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def refresh(self) -> None:
        """Ask the source off the GUI thread (network pool: a sync service may take its time)."""
        if self._loading:
            return
        self._loading = True
        source = self.source
        Operation(source.status).success(while_alive(self, self._show)).failure(
            while_alive(self, self._failed)
        ).run_in("network")

    def _failed(self, error: Exception) -> None:
        self._loading = False
        self.pending.setText(_("Sync state unavailable: {error}").format(error=error))

    def _show(self, status: SyncStatus) -> None:
        self._loading = False
        self.status = status
        if status.online and status.last_error is None and self._last_result and not self._last_result.ok:
            self._last_result = None  # a background sync succeeded since "Sync now" failed
        self._timer.setInterval(SYNCING_REFRESH_MS if status.progress is not None else REFRESH_MS)
        self._show_progress()
        self.retranslate()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_progress()

    def _show_progress(self) -> None:
        syncing = self.status is not None and self.status.progress is not None
        self.progress.setVisible(self._busy or syncing)

    def retranslate(self) -> None:
        self.sync_button.setText(_("Sync now"))
        self.sync_button.setAccessibleName(_("Sync now"))
        status = self.status
        if status is None:
            self.online.setText("…")
            self.pending.setText("")
            self.last_sync.setText("")
            self.issues_button.setText(_("Sync issues: {n}").format(n=0))
            self._show_update(None, None)
            return
        self.online.setText("● " + (_("Online") if status.online else _("Offline")))
        self.online.setStyleSheet("color: #15803d;" if status.online else "color: #b45309;")
        if status.progress is not None:
            self.pending.setText(
                _("Syncing: {sent} sent, {received} received…").format(
                    sent=f"{status.progress.sent:,}", received=f"{status.progress.received:,}"
                )
            )
        elif status.pending:
            self.pending.setText(
                _("{n} changes waiting (oldest: {age})").format(
                    n=status.pending, age=format_age(status.oldest_pending_age)
                )
            )
        else:
            self.pending.setText(_("All changes synced"))
        if status.last_success is None:
            last = _("Last sync: never")
        else:
            local = status.last_success.astimezone(ZoneInfo(self.zone)).strftime("%m-%d %H:%M")
            last = _("Last sync: {time}").format(time=local)
        # Optional fields of sources that know the service's announced desk versions (OnlineDeskStatus).
        required: str | None = getattr(status, "update_required", None)
        self._show_update(required, getattr(status, "update_available", None))
        if status.last_error and status.last_error != required:
            last += " · " + status.last_error
        elif self._last_result is not None and not self._last_result.ok:
            last += " · " + self._last_result.message
        self.last_sync.setText(last)
        self.issues_button.setText(_("Sync issues: {n}").format(n=len(status.issues)))
        self.issues_button.setAccessibleName(self.issues_button.text())

    def _show_update(self, required: str | None, available: str | None) -> None:
        if required:
            text, style = "⚠ " + required, "color: #b91c1c; font-weight: bold;"
        elif available:
            text, style = _("Update available: {version}").format(version=available), "color: #1d4ed8;"
        else:
            text, style = "", ""
        self.update_notice.setText(text)
        self.update_notice.setStyleSheet(style)
        self.update_notice.setAccessibleName(text)
        self.update_notice.setVisible(bool(text))

    def sync_now(self) -> None:
        self.sync_button.setEnabled(False)
        source = self.source

        def done(result: SyncResult) -> None:
            self.sync_button.setEnabled(True)
            self._last_result = result
            self.showMessage(result.message, 8000)
            self.refresh()

        def failed(error: Exception) -> None:
            done(SyncResult(False, str(error)))

        Operation(source.sync_now).success(while_alive(self, done)).failure(while_alive(self, failed)).run_in(
            "network"
        )

    def show_issues(self) -> None:
        SyncIssuesDialog(self.status, self).exec()
