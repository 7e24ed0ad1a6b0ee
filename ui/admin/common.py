"""What every administration page shares: network calls off the GUI thread, errors in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QWidget

from server_sync.client import (
    AuthExpired,
    RequestRefused,
    ServiceUnavailable,
    SyncError,
    TlsUntrusted,
    UpdateRequired,
)
from server_sync.client.auth import Authenticator
from ui.desk.busy import while_alive
from ui.i18n import _, language_notifier
from ui.operations import Operation

# Returns the signed-in session, or None when the desk is offline (no online login).
AuthProvider = Callable[[], Authenticator | None]


class NotOnline(SyncError):
    """The desk has no session with the central service (logged in offline)."""


def describe_error(error: BaseException) -> str:
    """An administration call's failure, in words for the administrator (current language)."""
    if isinstance(error, NotOnline):
        return _("Not connected to the follow-up service: log in online to use administration.")
    if isinstance(error, ServiceUnavailable):
        return _("The follow-up service cannot be reached; try again when it is back.")
    if isinstance(error, AuthExpired):
        return _("Your session has ended: log in again.")
    if isinstance(error, TlsUntrusted):
        return _("The service's certificate is not trusted: ask IT to set the CA bundle in Settings.")
    if isinstance(error, UpdateRequired):
        return _("This app is too old for the follow-up service: ask IT to update it.")
    if isinstance(error, RequestRefused):
        reason = str(error).split(" (HTTP")[0]
        if error.status == 403:
            return _("You are not allowed to do this: {reason}").format(reason=reason)
        if error.status == 404:
            return _("Not found (someone may have handled it already): {reason}").format(reason=reason)
        if error.status == 409:
            return _("Refused because it conflicts with the service's data: {reason}").format(reason=reason)
        return _("The service refused this: {reason}").format(reason=reason)
    return _("Something went wrong: {error}").format(error=error)


def call_service(
    owner: QWidget,
    auth: AuthProvider,
    func: Callable[[Authenticator], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str], None],
) -> Operation:
    """Run ``func(auth)`` in the network pool; the callbacks run on the GUI thread while ``owner`` lives."""

    def work() -> Any:
        session = auth()
        if session is None:
            raise NotOnline("offline")
        return func(session)

    return (
        Operation(work)
        .success(while_alive(owner, on_done))
        .failure(while_alive(owner, lambda error: on_error(describe_error(error))))
        .run_in("network")
    )


def message_label() -> QLabel:
    """The line under a page that says what happened (or what went wrong), in words."""
    label = QLabel()
    label.setWordWrap(True)
    label.setObjectName("adminMessage")
    return label


def show_message(label: QLabel, text: str, *, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")


def fill_table(table: QTableWidget, rows: list[list[str]], keys: list[str] | None = None) -> None:
    """Replace the table's rows (read-only cells); ``keys`` are kept on column 0 as user data."""
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            if c == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    if header.stretchLastSection():  # re-applied: resizing to contents leaves the last column narrow
        header.setStretchLastSection(False)
        header.setStretchLastSection(True)


def selected_key(table: QTableWidget) -> str | None:
    row = table.currentRow()
    if row < 0 or table.item(row, 0) is None:
        return None
    return table.item(row, 0).data(Qt.ItemDataRole.UserRole)


class Texts(QObject):
    """The translatable texts of one page: set now, and again whenever the language changes."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._items: list[tuple[Callable[[str], None], str]] = []
        self._headers: list[tuple[QTableWidget, list[str]]] = []
        language_notifier().sig_language_changed.connect(while_alive(self, lambda _lang: self.apply()))

    def add(self, setter: Callable[[str], None], msgid: str) -> None:
        """``setter(_(msgid))`` now and on every language change (mark ``msgid`` with ``N_``)."""
        self._items.append((setter, msgid))
        setter(_(msgid))

    def headers(self, table: QTableWidget, msgids: list[str]) -> None:
        """Column titles of ``table`` (each marked with ``N_``), translated now and on change."""
        table.setColumnCount(len(msgids))
        self._headers.append((table, msgids))
        table.setHorizontalHeaderLabels([_(m) for m in msgids])

    def apply(self) -> None:
        for setter, msgid in self._items:
            setter(_(msgid))
        for table, msgids in self._headers:
            table.setHorizontalHeaderLabels([_(m) for m in msgids])
