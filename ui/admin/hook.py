"""The "Administration" menu of the main window: shown only to roles that have admin pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from server_sync.client.auth import Authenticator
from ui.admin.common import Texts
from ui.admin.window import PAGE_TITLES, AdminWindow, pages_for
from ui.i18n import N_


def session_of(sync_source: Any) -> Authenticator | None:
    """The signed-in session of an online desk (``OnlineSyncStatus.desk_sync.client``), else None."""
    client = getattr(getattr(sync_source, "desk_sync", None), "client", None)
    auth = getattr(client, "auth", None)
    return auth if auth is not None and auth.signed_in else None


def install_admin_menu(window: QMainWindow, sync_source: Any) -> None:
    """Add the menu (if the user's role has pages); ``window.admin_auth`` supplies the session."""
    window.admin_auth = lambda: session_of(sync_source)
    window.admin_window = None
    pages = pages_for(str(window.ctx.user.role))
    window.admin_menu = None
    if not pages:
        return
    texts = Texts(window)
    menu = window.menuBar().addMenu("")
    texts.add(menu.setTitle, N_("&Administration"))
    window.admin_menu = menu
    window.admin_actions = {}
    for name in pages:
        action = QAction(window)
        texts.add(action.setText, PAGE_TITLES[name])
        action.triggered.connect(lambda _checked=False, name=name: open_admin(window, name))
        menu.addAction(action)
        window.admin_actions[name] = action


def open_admin(window: QMainWindow, page: str) -> AdminWindow:
    """Show the administration window (one per main window) at ``page``."""
    if window.admin_window is None:
        ctx = window.ctx
        window.admin_window = AdminWindow(
            lambda: window.admin_auth(), str(ctx.user.role), ctx.engine, ctx.now, window
        )
    window.admin_window.show()
    window.admin_window.raise_()
    window.admin_window.show_page(page)
    return window.admin_window
