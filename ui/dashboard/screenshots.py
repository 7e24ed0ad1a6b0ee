"""Screenshots of the quality dashboard for the docs: ``python -m ui.dashboard.screenshots [OUT_DIR]``.

Run under a real X server of a ward PC's size so fonts and layout are real (the
offscreen platform has neither)::

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m ui.dashboard.screenshots

Builds a throw-away demo cache (fixed key: demo data only) and saves, per
language, the dashboard (``dashboard_<lang>.png``), its by-nurse tab
(``dashboard_nurses_<lang>.png``), its by-diagnosis-group tab
(``dashboard_diagnosis_<lang>.png``) and the on-time drill-down list
(``dashboard_drill_<lang>.png``). The language is switched at run time on the
same window, as a user would.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from nurse_app.demo.generate import DEMO_MANAGER, demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.context import DeskContext
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from ui import theme
from ui.i18n import set_language
from ui.operations import wait_for_all

OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, as the desk screenshots
KEY = "5" * 64  # demo data only
PATIENTS = 3000
SEED = 26


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dashboard did not finish loading")
        QApplication.processEvents()
        time.sleep(0.01)
    for _ in range(10):  # let layouts and repaints settle
        QApplication.processEvents()
        time.sleep(0.02)


def _save(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path), "PNG")
    print(f"saved {path} ({widget.width()}x{widget.height()})")
    return path


def take(out_dir: Path = OUT_DIR) -> list[Path]:
    from ui.dashboard.window import DashboardWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply_theme(app, large=False)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dashboard-shots-"))
    engine = open_cache(work / "cache.db", KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=PATIENTS, seed=SEED, now=NOW)
    user = next(u for u in demo_staff(SEED).users if u.username == DEMO_MANAGER)
    ctx = DeskContext(engine, user, device="screenshots", clock=lambda: NOW + timedelta(minutes=1))
    shots: list[Path] = []
    set_language("zh_CN")
    window = DashboardWindow(ctx)
    window.setGeometry(0, 0, 1366, 768)
    window.show()
    _wait(lambda: window.data is not None)
    for lang in ("zh_CN", "en"):
        set_language(lang)
        window.tabs.setCurrentIndex(0)
        _wait(lambda: True)
        shots.append(_save(window, out_dir / f"dashboard_{lang}.png"))
        window.tabs.setCurrentWidget(window.breakdowns["nurse"])
        _wait(lambda: True)
        shots.append(_save(window, out_dir / f"dashboard_nurses_{lang}.png"))
        window.tabs.setCurrentWidget(window.breakdowns["diagnosis"])
        _wait(lambda: True)
        shots.append(_save(window, out_dir / f"dashboard_diagnosis_{lang}.png"))
        window.tabs.setCurrentIndex(0)
        window.drill_dialog = None
        window.drill("on_time")
        _wait(lambda: window.drill_dialog is not None)
        dialog = window.drill_dialog
        dialog.select(next((i for i, r in enumerate(dialog.rows) if r.attempts), 0))
        _wait(lambda: True)
        shots.append(_save(dialog, out_dir / f"dashboard_drill_{lang}.png"))
        dialog.close()
    window.close()
    wait_for_all()
    engine.dispose()
    set_language("zh_CN")
    return shots


if __name__ == "__main__":
    take(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR)
