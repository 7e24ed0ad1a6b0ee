"""``nurse-station desk``: open the encrypted cache, log in, show the nurse's desk.

The cache opens in the background (keyring, migration) while the login dialog
is already on screen; the login check queues behind it on the same
single-thread "db" pool, so it always sees an opened cache.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import Engine

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import User
from nurse_app.paths import default_cache_path
from nurse_app.store.engine import open_cache_for
from ui import theme
from ui.desk import settings as s
from ui.desk.login import OfflineLoginBackend
from ui.desk.login_dialog import LoginDialog
from ui.desk.online import DeskSync, DeskSyncLink, OnlineFirstLogin, OnlineSyncStatus
from ui.desk.settings import DeskSettings
from ui.desk.tray import install_tray
from ui.i18n import LANGUAGES, _, set_language
from ui.main_window import MainWindow
from ui.operations import Operation, wait_for_all

log = logging.getLogger(__name__)


class CacheOpener:
    """Opens the cache in the "db" pool; ``engine()`` (called later in that pool) returns it or re-raises."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: Engine | None = None
        self._error: Exception | None = None

    def start(self) -> None:
        Operation(self._open).failure(self._failed).run_in("db")

    def _open(self) -> None:
        self._engine = open_cache_for(self.path)

    def _failed(self, error: Exception) -> None:
        self._error = error

    def engine(self) -> Engine:
        if self._engine is None:
            raise self._error or RuntimeError(f"the cache {self.path} is not open")
        return self._engine


def _show_error(error: Exception) -> None:
    QMessageBox.critical(
        None, _("Follow-up Nurse Station"), _("Something went wrong: {error}").format(error=error)
    )


def make_application(argv: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "nurse-station", *argv])
    app.setApplicationName("Follow-up Nurse Station")
    app.setOrganizationName(s.ORGANIZATION)
    return app


def start_desk(
    app: QApplication, engine: Engine, user: User, settings: DeskSettings, **window_options
) -> MainWindow:
    """The main window for ``user`` on ``engine`` (shared by the app, the screenshots and the smoke test)."""
    ctx = DeskContext(engine, user, device=socket.gethostname())
    window = MainWindow(ctx, settings, **window_options)
    window.resize(1366, 768)
    return window


def run_desk(args: argparse.Namespace, cache_path: Path) -> int:
    logging.basicConfig(level=logging.WARNING)
    app = make_application()
    settings = DeskSettings()
    language = getattr(args, "lang", None) or settings.get(s.LANGUAGE)
    set_language(language if language in LANGUAGES else "zh_CN")
    theme.apply_theme(app, large=settings.get(s.LARGE_FONT))
    Operation.on_error = _show_error
    opener = CacheOpener(Path(cache_path))
    opener.start()
    desk_sync = _desk_sync(args, settings, opener)
    offline = OfflineLoginBackend(opener.engine)
    backend = offline if desk_sync is None else OnlineFirstLogin(desk_sync, offline)
    dialog = LoginDialog(backend, settings, getattr(args, "user", None))
    if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.user is None:
        if desk_sync is not None:
            desk_sync.stop()
        wait_for_all()
        return 0
    source = None if desk_sync is None else OnlineSyncStatus(desk_sync)
    window = start_desk(app, opener.engine(), dialog.user, settings, sync_source=source)
    if desk_sync is not None:
        DeskSyncLink(window, desk_sync, settings)
        install_tray(window, desk_sync, settings)  # critical-value alerts / due tasks in the system tray
    window.show()
    status = app.exec()
    if desk_sync is not None:
        desk_sync.stop()
    wait_for_all()
    opener.engine().dispose()
    return status


def _desk_sync(args: argparse.Namespace, settings: DeskSettings, opener: CacheOpener) -> DeskSync | None:
    """The sync connection to the server of ``--server`` (saved into the settings) or of the settings."""
    if getattr(args, "server", None):
        settings.set(s.SERVER_URL, args.server)
    if getattr(args, "ca_bundle", None):
        settings.set(s.CA_BUNDLE, str(args.ca_bundle))
    settings.sync()
    server = settings.get(s.SERVER_URL).strip()
    if not server:
        return None
    return DeskSync(opener.engine, server, ca_bundle=settings.get(s.CA_BUNDLE).strip() or None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nurse-station desk", description="随访护士站 Follow-up Nurse Station"
    )
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--user", default=None)
    parser.add_argument("--lang", choices=list(LANGUAGES), default=None)
    parser.add_argument("--server", default=None)
    parser.add_argument("--ca-bundle", type=Path, default=None)
    args = parser.parse_args(argv)
    return run_desk(args, args.cache or default_cache_path())


if __name__ == "__main__":
    sys.exit(main())
