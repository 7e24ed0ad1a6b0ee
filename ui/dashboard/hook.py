"""The "质量看板" menu of the main window: shown only to ward managers and administrators."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from ui.dashboard.loading import may_open_dashboard
from ui.dashboard.window import DashboardWindow
from ui.desk.busy import while_alive
from ui.i18n import _, language_notifier


def install_dashboard_menu(window: QMainWindow) -> None:
    """Add the menu when ``window.ctx.user`` may see the dashboard (the window is made on first use)."""
    window.dashboard = None
    window.dashboard_menu = None
    if not may_open_dashboard(window.ctx.user):
        return
    menu = window.menuBar().addMenu("")
    action = QAction(window)
    action.triggered.connect(lambda _checked=False: open_dashboard(window))
    menu.addAction(action)
    window.dashboard_menu = menu
    window.dashboard_action = action

    def retranslate(_language: str = "") -> None:
        menu.setTitle(_("&Quality dashboard"))
        action.setText(_("Open the quality dashboard"))

    # The notifier outlives the window: stop re-translating once the menu is gone.
    language_notifier().sig_language_changed.connect(while_alive(menu, retranslate))
    retranslate()


def open_dashboard(window: QMainWindow) -> DashboardWindow:
    """Show the dashboard (one per main window); "open patient" opens the task in the main window."""
    if window.dashboard is None:
        dashboard = DashboardWindow(window.ctx, window)

        def open_task(task_id: str) -> None:
            window.open_task(task_id)
            window.raise_()
            window.activateWindow()

        dashboard.sig_open_task.connect(open_task)
        window.dashboard = dashboard
    window.dashboard.show()
    window.dashboard.raise_()
    return window.dashboard
