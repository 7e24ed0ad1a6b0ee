"""Entry point of the frozen ``nurse-station`` (PyInstaller runs this file, not the console script).

It is ``ui.cli:main`` plus one hidden mode for installers and IT: ``nurse-station --smoke``
opens a throw-away encrypted cache (SQLCipher + Alembic migrations from the bundle), loads
a small demo ward, shows the main window until its worklist is on screen, prints
``READY rows=<shown> tasks=<in all tabs>`` and exits 0. It proves that a build or an
installed package works end to end on the machine, without a keyring, a server or a user's data.
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

SMOKE_KEY = "5" * 64  # throw-away cache of demo data, deleted on exit
SMOKE_NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
SMOKE_SEED = 7


def smoke(patients: int = 200) -> int:
    """Open the desk on a temporary demo cache; 0 once the first worklist page is shown."""
    from PySide6.QtCore import QSettings, QTimer

    from nurse_app.demo.generate import DEMO_NURSE, demo_staff
    from nurse_app.demo.load import load_demo
    from nurse_app.desk.context import DeskContext
    from nurse_app.store.engine import open_cache
    from nurse_app.store.migrate import upgrade_to_head
    from ui import theme
    from ui.app import make_application
    from ui.desk.read_aloud import NoReadAloud
    from ui.desk.settings import DeskSettings
    from ui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="nurse-station-smoke-") as folder:
        app = make_application()
        theme.apply_theme(app, large=False)
        engine = open_cache(Path(folder) / "smoke.db", SMOKE_KEY)
        upgrade_to_head(engine)
        load_demo(engine, patients=patients, seed=SMOKE_SEED, now=SMOKE_NOW)
        user = next(u for u in demo_staff(SMOKE_SEED).users if u.username == DEMO_NURSE)
        ctx = DeskContext(engine, user, device="smoke", clock=lambda: SMOKE_NOW)
        settings = DeskSettings(QSettings(str(Path(folder) / "desk.ini"), QSettings.Format.IniFormat))
        window = MainWindow(ctx, settings, read_aloud=NoReadAloud())
        window.resize(1366, 768)
        window.show()
        result = {"rows": -1, "tasks": -1}

        def ready() -> None:
            if window.worklist.page is None:
                QTimer.singleShot(5, ready)
                return
            app.processEvents()
            result["rows"] = window.worklist.model.rowCount()
            result["tasks"] = sum(c or 0 for c in window.worklist.page.counts.values())
            app.exit(0)

        QTimer.singleShot(0, ready)
        QTimer.singleShot(60_000, lambda: app.exit(1))  # never hang an installer check
        status = app.exec()
        window.close()
        from ui.operations import wait_for_all

        wait_for_all()
        engine.dispose()
    if status == 0:
        print(f"READY rows={result['rows']} tasks={result['tasks']}", flush=True)
    return status


def main() -> int:
    if sys.argv[1:2] == ["--smoke"]:
        return smoke()
    from ui.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
