"""The one real-window smoke test: the desk on a real X11 screen (Xvfb in CI), grabbed and checked.

Every other GUI test uses the offscreen platform; this one runs the app in a
subprocess with ``QT_QPA_PLATFORM=xcb`` so the real platform plugin, fonts and
window system are exercised. Uses ``DISPLAY`` when set (``scripts/test.sh`` runs
pytest under ``xvfb-run``), else starts its own ``xvfb-run``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SMOKE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from PySide6.QtCore import QSettings, QTimer
    from desk_fixtures import DESK_NOW, DESK_SEED, build_desk_cache
    from nurse_app.demo.generate import DEMO_NURSE, demo_staff
    from nurse_app.desk.context import DeskContext
    from ui.app import make_application
    from ui.desk.read_aloud import NoReadAloud
    from ui.desk.settings import DeskSettings
    from ui.main_window import MainWindow
    from ui.operations import wait_for_all
    from ui import theme
    import os

    os.environ["QT_QPA_PLATFORM"] = "xcb"  # importing conftest switched it to offscreen
    app = make_application()
    assert app.platformName() == "xcb", app.platformName()
    theme.apply_theme(app, large=False)
    engine = build_desk_cache(Path({tmp!r}) / "cache.db")
    user = next(u for u in demo_staff(DESK_SEED).users if u.username == DEMO_NURSE)
    ctx = DeskContext(engine, user, device="smoke", clock=lambda: DESK_NOW)
    settings = DeskSettings(QSettings({tmp!r} + "/desk.ini", QSettings.Format.IniFormat))
    window = MainWindow(ctx, settings, read_aloud=NoReadAloud())
    window.resize(1366, 768)
    window.show()

    def check():
        if window.worklist.page is None:
            QTimer.singleShot(100, check)
            return
        image = window.grab().toImage()
        grid = [(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)]
        colours = {{image.pixel(x, y) for x, y in grid}}
        rows = window.worklist.model.rowCount()
        print(f"size={{image.width()}}x{{image.height()}} colours={{len(colours)}} rows={{rows}}", flush=True)
        image.save({tmp!r} + "/smoke.png")
        app.exit(0 if len(colours) > 20 and image.width() >= 1000 and rows > 0 else 3)

    QTimer.singleShot(300, check)
    QTimer.singleShot(20000, lambda: app.exit(4))
    status = app.exec()
    wait_for_all()
    engine.dispose()
    sys.exit(status)
    """
)


def test_main_window_on_a_real_x11_screen(tmp_path):
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE.format(root=str(ROOT), tests=str(ROOT / "tests" / "ui"), tmp=str(tmp_path)))
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    command = [sys.executable, str(script)]
    if not env.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            pytest.skip("no DISPLAY and no xvfb-run")
        command = [xvfb, "-a", "-s", "-screen 0 1366x768x24", *command]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "colours=" in result.stdout and (tmp_path / "smoke.png").stat().st_size > 10_000
    print(result.stdout)
