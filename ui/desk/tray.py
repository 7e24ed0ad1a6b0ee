"""System-tray notifications for new critical-value alerts and newly due tasks after a sync.

``TrayNotifier`` is the small wrapper over ``QSystemTrayIcon`` (replaced in
tests); ``AlertTray`` decides what is new since the last look, and stays
quiet while a call is in progress or when the nurse switched it off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from ui.desk.settings import Setting
from ui.i18n import _

TRAY_NOTIFICATIONS: Setting[bool] = Setting("desk/tray_notifications", bool, True)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the cache holds after a sync: open alerts (id → text) and due task ids."""

    alerts: dict[str, str] = field(default_factory=dict)
    due_tasks: frozenset[str] = frozenset()


class TrayNotifier:
    """The one place that touches ``QSystemTrayIcon``."""

    def __init__(self, parent: QObject | None = None) -> None:
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            app = QApplication.instance()
            style = app.style() if isinstance(app, QApplication) else None
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning) if style else QIcon()
            self.icon = QSystemTrayIcon(icon, parent)
            self.icon.setToolTip(_("Follow-up Nurse Station"))
            self.icon.show()

    def show(self, title: str, text: str, critical: bool = False) -> None:
        if self.icon is None:
            return
        kind = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Information
        self.icon.showMessage(title, text, kind, 10_000)


class AlertTray(QObject):
    """Compares each post-sync snapshot with the previous one and announces what is new."""

    def __init__(
        self,
        notifier: Any,
        *,
        enabled: Callable[[], bool] = lambda: True,
        in_call: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.enabled = enabled
        self.in_call = in_call
        self._seen_alerts: set[str] | None = None
        self._seen_tasks: set[str] | None = None

    def update(self, snapshot: Snapshot) -> None:
        """Announce alerts and tasks absent from the previous snapshot (the first sets the baseline)."""
        first = self._seen_alerts is None
        new_alerts = [i for i in snapshot.alerts if i not in (self._seen_alerts or set())]
        new_tasks = [t for t in snapshot.due_tasks if t not in (self._seen_tasks or set())]
        quiet = not self.enabled() or self.in_call()
        if not quiet:
            # What a quiet moment held back is kept unseen, so it is announced after the call.
            self._seen_alerts = set(snapshot.alerts)
            self._seen_tasks = set(snapshot.due_tasks)
        if quiet or first:
            return
        if new_alerts:
            text = snapshot.alerts[new_alerts[0]]
            if len(new_alerts) > 1:
                text = _("{first} (and {more} more)").format(first=text, more=len(new_alerts) - 1)
            self.notifier.show(_("New critical-value alert"), text, True)
        if new_tasks:
            self.notifier.show(
                _("Follow-up tasks due"), _("{count} task(s) newly due").format(count=len(new_tasks))
            )


def cache_snapshot(ctx: Any, now: datetime) -> Snapshot:
    """Open alerts and due pending tasks of the user's wards in the local cache (run in the "db" pool)."""
    from nurse_app.desk.attention import open_alerts_and_due_tasks

    return Snapshot(*open_alerts_and_due_tasks(ctx, now))


def install_tray(window: Any, desk_sync: Any, settings: Any) -> AlertTray:
    """Wire the tray to the desk: after every sync, look at the cache off the GUI thread, then announce."""
    from ui.operations import Operation

    tray = AlertTray(
        TrayNotifier(window),
        enabled=lambda: bool(settings.get(TRAY_NOTIFICATIONS)),
        in_call=lambda: window.workspace.call.call_started_at is not None,
        parent=window,
    )
    ctx = window.ctx

    def synced(_report: Any) -> None:
        Operation(lambda: cache_snapshot(ctx, ctx.now())).success(tray.update).failure(
            lambda _e: None
        ).run_in("db")

    desk_sync.bridge.sig_synced.connect(synced)
    return tray
