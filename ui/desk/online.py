"""The desk online: login against the central service, background sync, its status in the status bar.

Everything here talks to the service through ``server_sync.client`` only (no HTTP
in ``ui``). :class:`DeskSync` owns one ``SyncClient`` + ``SyncService`` for the
configured server; :class:`OnlineLoginBackend` is the online half of
``FallbackLogin``; :class:`OnlineSyncStatus` is the status bar's source; and
:class:`DeskSyncLink` wires a main window to it (worklist refresh after a pull,
notify on local writes, re-login prompt when the session ended).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from sqlalchemy import Engine

from nurse_app.domain.model import User, utc_now
from nurse_app.security.credentials import CredentialStore
from server_sync.client import (
    AuthExpired,
    LoginRefused,
    ServiceUnavailable,
    SyncClient,
    SyncError,
    SyncReport,
    SyncService,
    TlsUntrusted,
    UpdateRequired,
    local_issues,
)
from ui.desk.busy import while_alive
from ui.desk.login import FallbackLogin, LoginFailed, ServerUnreachable
from ui.desk.online_session import install_scales_from_cache, login_online
from ui.desk.sync_status import SyncIssue, SyncResult, SyncStatus
from ui.i18n import _
from ui.operations import Operation

log = logging.getLogger(__name__)


class _DeskSyncClient(SyncClient):
    """A ``SyncClient`` that remembers why its last sync failed (the status bar words it)."""

    last_failure: SyncError | None = None

    def sync(self) -> SyncReport:
        try:
            report = super().sync()
        except SyncError as error:
            self.last_failure = error
            raise
        self.last_failure = None
        return report


class _Bridge(QObject):
    """Hands the sync worker's reports to the GUI thread (queued signal connections)."""

    sig_synced = Signal(object)  # SyncReport
    sig_auth_expired = Signal()


def describe_failure(error: BaseException | None, fallback: str | None = None) -> str | None:
    """The reason a sync failed, in words for the nurse (in the current language)."""
    if isinstance(error, ServiceUnavailable):
        return _("The follow-up service cannot be reached; your work is kept and syncs when it is back.")
    if isinstance(error, AuthExpired):
        return _("Your session has ended: log in again to sync. Your work is kept.")
    if isinstance(error, TlsUntrusted):
        return _("The service's certificate is not trusted: ask IT to set the CA bundle in Settings.")
    if isinstance(error, UpdateRequired) and error.code == "client_too_old":
        return _("This version of the nurse station no longer syncs: ask IT to update it.")
    if isinstance(error, UpdateRequired):
        return _("This app is too old for the follow-up service: ask IT to update it.")
    if error is not None:
        return str(error)
    return fallback


class DeskSync:
    """The desk's connection to one central service: sync client, background sync, scales from config.

    Built on the GUI thread; the client is made on first use in a worker (the
    cache may still be opening when the login dialog appears).
    """

    def __init__(
        self,
        engine: Callable[[], Engine],
        base_url: str,
        *,
        ca_bundle: str | None = None,
        credentials: CredentialStore | None = None,
        interval: float = 60.0,
        debounce: float = 2.0,
        clock: Callable[[], datetime] = utc_now,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self._engine = engine
        self.base_url = base_url.rstrip("/")
        self.ca_bundle = ca_bundle or None
        self.credentials = credentials
        self.interval, self.debounce, self.clock = interval, debounce, clock
        self.client_options = client_options or {}
        self.client: _DeskSyncClient | None = None
        self.service: SyncService | None = None
        self.bridge = _Bridge()

    # --- lifecycle ---------------------------------------------------------------------------------

    def _ensure(self) -> tuple[_DeskSyncClient, SyncService]:
        if self.client is None or self.service is None:
            self.client = _DeskSyncClient(
                self._engine(),
                self.base_url,
                credentials=self.credentials or CredentialStore(),
                ca_bundle=self.ca_bundle,
                device_name=socket.gethostname(),
                clock=self.clock,
                **self.client_options,
            )
            self.service = SyncService(
                self.client, interval=self.interval, debounce=self.debounce, clock=self.clock
            )
            self.service.add_listener(self._synced)
        return self.client, self.service

    def login(self, username: str, password: str) -> User:
        """Log in online (worker thread): user, wards and offline verifier into the cache; then sync."""
        client, service = self._ensure()
        user = login_online(client, username, password, self.clock)
        self.install_scales()
        service.start()
        return user

    def resume_offline(self, username: str) -> bool:
        """After an offline login: keep the keyring's session and sync once the service is back.

        Without a kept session there is nothing to sync with until the nurse logs in online
        ("Sync now" then asks for the password).
        """
        client, service = self._ensure()
        try:
            resumed = client.resume(username)
        except ServiceUnavailable:
            resumed = True  # the refresh happens on the first sync that reaches the service
        except SyncError as error:
            log.info("session of %s not resumed: %s", username, error)
            resumed = False
        self.install_scales()
        if resumed:
            service.start()
        return resumed

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
        if self.client is not None:
            self.client.close()

    # --- what the desk calls -----------------------------------------------------------------------

    def notify_local_change(self) -> None:
        if self.service is not None:
            self.service.notify_local_change()

    def sync_now(self) -> SyncReport:
        _client, service = self._ensure()
        return service.sync_now()

    def install_scales(self) -> int:
        """Install every scale version pulled as configuration (none: the bundled ones serve)."""
        client, _service = self._ensure()
        return install_scales_from_cache(client)

    def _synced(self, report: SyncReport) -> None:
        # On the sync worker thread: install hot config here, hand the rest to the GUI thread.
        if report.config_documents:
            try:
                self.install_scales()
            except Exception:
                log.exception("installing configured scales failed")
        if self.client is not None and isinstance(self.client.last_failure, AuthExpired):
            self.bridge.sig_auth_expired.emit()
        self.bridge.sig_synced.emit(report)


class OnlineLoginBackend:
    """``LoginBackend`` on the central service; ServerUnreachable makes FallbackLogin go offline."""

    def __init__(self, desk_sync: DeskSync) -> None:
        self.desk_sync = desk_sync

    def login(self, username: str, password: str) -> User:
        if not username.strip() or not password:
            raise LoginFailed(_("Enter your username and password."))
        try:
            return self.desk_sync.login(username.strip(), password)
        except LoginRefused as error:
            if error.code in ("invalid_credentials", "token_invalid"):
                raise LoginFailed(_("Wrong username or password.")) from error
            raise LoginFailed(str(error)) from error
        except (ServiceUnavailable, TlsUntrusted) as error:
            raise ServerUnreachable(str(error)) from error
        except SyncError as error:
            raise LoginFailed(describe_failure(error) or _("Login failed.")) from error

    def valid_until(self, username: str) -> datetime | None:
        return None  # the offline backend knows (FallbackLogin asks it)


class ReloginBackend:
    """The re-login prompt's backend: the session ended, the same user logs in again online."""

    def __init__(self, desk_sync: DeskSync, username: str) -> None:
        self.desk_sync = desk_sync
        self.username = username

    def login(self, username: str, password: str) -> User:
        if username.strip() != self.username:
            raise LoginFailed(
                _("Log in again as {user}, or quit and log in as another nurse.").format(user=self.username)
            )
        try:
            return OnlineLoginBackend(self.desk_sync).login(username, password)
        except ServerUnreachable as error:
            raise LoginFailed(describe_failure(error.__cause__) or str(error)) from error

    def valid_until(self, username: str) -> datetime | None:
        return None


@dataclass(frozen=True, slots=True)
class OnlineDeskStatus(SyncStatus):
    """``SyncStatus`` plus what the service announces about desk versions (the status bar shows it)."""

    update_available: str | None = None  # a newer desk version IT has announced
    update_required: str | None = None  # the refusal, in words, when this desk is below IT's minimum


class OnlineSyncStatus:
    """``SyncStatusSource`` on the ``SyncService``: online state, outbox, last success, issues, updates."""

    def __init__(self, desk_sync: DeskSync) -> None:
        self.desk_sync = desk_sync

    def status(self) -> SyncStatus:
        client, service = self.desk_sync._ensure()
        raw = service.status()
        with client.sessions() as session:
            issues = tuple(
                SyncIssue(i.entity, i.entity_id, f"{i.kind}: {i.reason}", _parse_time(i.created_at))
                for i in local_issues(session)
            )
        error = describe_failure(client.last_failure, raw.last_error) if raw.last_error else None
        failure = client.last_failure
        too_old = isinstance(failure, UpdateRequired) and failure.code == "client_too_old"
        return OnlineDeskStatus(
            pending=raw.pending,
            oldest_pending_age=raw.oldest_pending_age,
            last_success=raw.last_success_at,
            last_error=error,
            online=bool(raw.online),
            issues=issues,
            progress=raw.progress,
            update_available=raw.update_available,
            update_required=error if too_old and raw.last_error else None,
        )

    def sync_now(self) -> SyncResult:
        report = self.desk_sync.sync_now()
        return result_of(report, self.desk_sync.client.last_failure if self.desk_sync.client else None)

    def notify_local_change(self) -> None:
        self.desk_sync.notify_local_change()


def result_of(report: SyncReport, failure: SyncError | None = None) -> SyncResult:
    """What "Sync now" says about one sync."""
    if not report.ok:
        message = describe_failure(failure, "; ".join(report.errors)) or _("Sync failed.")
        return SyncResult(False, _("Sync failed: {reason}").format(reason=message))
    message = _("Synced: {sent} sent, {received} received.").format(
        sent=report.pushed, received=report.pulled
    )
    if report.conflict or report.rejected:
        message += " " + _("{n} need review (see Sync issues).").format(n=report.conflict + report.rejected)
    return SyncResult(True, message, pushed=report.pushed, pulled=report.pulled)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class DeskSyncLink(QObject):
    """Wires a main window to ``DeskSync``: refresh after pulls, notify on writes, re-login prompt.

    ``prompt(window, backend, username) -> bool`` shows the modal login dialog
    (replaced in tests); the main window and its open form stay as they are.
    """

    def __init__(
        self,
        window: Any,
        desk_sync: DeskSync,
        settings: Any,
        prompt: Callable[[QWidget, ReloginBackend, str], bool] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.desk_sync = desk_sync
        self.settings = settings
        self.prompt = prompt or _login_prompt
        self._prompting = False
        desk_sync.bridge.sig_synced.connect(while_alive(window, self._synced))
        desk_sync.bridge.sig_auth_expired.connect(while_alive(window, self.relogin))
        window.workspace.sig_worklist_changed.connect(desk_sync.notify_local_change)
        window.workspace.sig_folder_opened.connect(lambda _folder: desk_sync.notify_local_change())

    def _synced(self, report: SyncReport) -> None:
        if report.pulled or report.config_documents or report.epoch_recovered:
            self.window.worklist.refresh()
            if report.config_documents:
                self.window.reload_setup()
        self.window.status.refresh()

    def relogin(self) -> None:
        """The session ended: ask for the password again, modally, over the untouched window."""
        if self._prompting:
            return
        self._prompting = True
        try:
            username = self.window.ctx.user.username
            accepted = self.prompt(self.window, ReloginBackend(self.desk_sync, username), username)
        finally:
            self._prompting = False
        if accepted:
            self.window.status.showMessage(_("Logged in again; syncing…"), 5000)
            desk_sync = self.desk_sync
            Operation(desk_sync.sync_now).success(while_alive(self.window, self._synced)).failure(
                lambda _error: None
            ).run_in("network")
        else:
            self.window.status.showMessage(
                _("Not logged in: your work is kept on this PC and syncs after you log in again."), 10000
            )


def _login_prompt(window: QWidget, backend: ReloginBackend, username: str) -> bool:
    from ui.desk.login_dialog import LoginDialog

    dialog = LoginDialog(backend, window.settings, username, parent=window)
    dialog.username.setReadOnly(True)
    dialog.error.setText(_("Your session has ended. Enter your password to continue syncing."))
    return dialog.exec() == LoginDialog.DialogCode.Accepted


class OnlineFirstLogin:
    """``FallbackLogin`` that, after an offline login, still resumes the session to sync when it can."""

    def __init__(self, desk_sync: DeskSync, offline: Any) -> None:
        self.desk_sync = desk_sync
        self.fallback = FallbackLogin(OnlineLoginBackend(desk_sync), offline)

    def login(self, username: str, password: str) -> User:
        try:
            return self.fallback.online.login(username, password)
        except ServerUnreachable:
            user = self.fallback.offline.login(username, password)
            self.desk_sync.resume_offline(user.username)
            return user

    def valid_until(self, username: str) -> datetime | None:
        return self.fallback.valid_until(username)
