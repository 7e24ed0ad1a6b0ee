"""Screenshots of the nurse's desk at 1366×768, in Chinese and English.

Run under a virtual X screen (real platform plugin and fonts, unlike offscreen):
    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py OUTDIR
Builds a throw-away demo cache (fixed key: demo data only), then saves the login
dialog, the worklist, the patient with the call panel, the scale tab after
"reached" and the settings dialog as PNGs named ``<lang>-<nn>-<screen>.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from nurse_app.demo.generate import DEMO_NURSE, demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import CallOutcome
from nurse_app.security.offline_login import set_offline_verifier
from nurse_app.store.engine import open_cache, session_factory
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.worklist import WorklistTab
from ui import theme
from ui.app import make_application
from ui.desk.login import OfflineLoginBackend
from ui.desk.login_dialog import LoginDialog
from ui.desk.read_aloud import NoReadAloud
from ui.desk.settings import DeskSettings
from ui.desk.settings_dialog import SettingsDialog
from ui.i18n import set_language
from ui.main_window import MainWindow
from ui.operations import wait_for_all

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
KEY = "5" * 64  # demo data only
PATIENTS = 3000
SEED = 26


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the desk did not finish loading")
        QApplication.processEvents()
        time.sleep(0.01)
    for _ in range(5):  # let layouts and repaints settle
        QApplication.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, path: Path) -> None:
    # A 256-colour palette keeps each PNG around 50 KB (the UI has few colours) and text crisp.
    image = (
        widget.grab()
        .toImage()
        .convertToFormat(
            QImage.Format.Format_Indexed8,
            Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.PreferDither,
        )
    )
    image.save(str(path), "PNG", 0)
    print(f"saved {path} ({widget.width()}x{widget.height()})")


def shoot(engine, language: str, out: Path, settings: DeskSettings) -> None:
    set_language(language)
    user = next(u for u in demo_staff(SEED).users if u.username == DEMO_NURSE)
    login = LoginDialog(OfflineLoginBackend(lambda: engine, clock=lambda: NOW), settings, DEMO_NURSE)
    login.show()
    login.refresh_hint()
    wait_until(lambda: bool(login.offline_hint.text()))
    save(login, out / f"{language}-01-login.png")
    login.close()

    ctx = DeskContext(engine, user, device="screenshots", clock=lambda: NOW + timedelta(minutes=1))
    window = MainWindow(ctx, settings, read_aloud=NoReadAloud())
    window.resize(1366, 768)
    window.show()
    wait_until(lambda: window.worklist.page is not None)
    panel = window.worklist
    loaded = panel.page
    panel.set_tab(WorklistTab.UPCOMING)
    wait_until(lambda: panel.page is not loaded)
    save(window, out / f"{language}-02-worklist.png")

    first = panel.model.row_at(0)
    window.open_task(first.task_id)
    wait_until(lambda: window.workspace.folder is not None)
    window.workspace.patient.reveal("phone")
    wait_until(lambda: "phone" in window.workspace.patient.revealed)
    window.workspace.record(CallOutcome.NO_ANSWER)
    wait_until(lambda: bool(window.workspace.call.result.text()))
    save(window, out / f"{language}-03-patient-call.png")

    window.next_patient()
    wait_until(lambda: window.workspace.folder.task.id != first.task_id)
    window.workspace.record(CallOutcome.REACHED)
    wait_until(lambda: window.workspace.tabs.currentWidget() is window.workspace.scale)
    save(window, out / f"{language}-04-scale.png")

    dialog = SettingsDialog(settings, window.setup.ward if window.setup else None, tuple(user.wards), window)
    dialog.show()
    wait_until(lambda: dialog.isVisible())
    save(dialog, out / f"{language}-05-settings.png")
    dialog.close()
    window.close()
    wait_for_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    app = make_application()
    theme.apply_theme(app, large=False)
    work = Path(tempfile.mkdtemp(prefix="desk-shots-"))
    settings = DeskSettings(QSettings(str(work / "desk.ini"), QSettings.Format.IniFormat))
    for language in ("zh_CN", "en"):
        # A fresh cache per language: the first pass records calls that would change the second.
        engine = open_cache(work / f"cache-{language}.db", KEY)
        upgrade_to_head(engine)
        load_demo(engine, patients=PATIENTS, seed=SEED, now=NOW)
        with session_factory(engine).begin() as session:
            set_offline_verifier(session, DEMO_NURSE, "demo1234", NOW + timedelta(hours=72))
        shoot(engine, language, args.outdir, settings)
        engine.dispose()


if __name__ == "__main__":
    main()
