"""Cold start of the nurse's desk to an interactive worklist, with 100 000 patients cached.

Run from the repository root: ``python bench/startup.py``. The cache is built
once with the demo loader into ``bench/.cache/`` and opened with a fixed bench
key (demo data only; the key source does not change the timing).

* ``startup_s``: wall time from launching a fresh Python process until the main
  window is shown with its first worklist page loaded (imports, Qt, opening the
  encrypted cache, the ward setup, the first worklist and counts queries).
* ``filter_ms``: one search keystroke over a 10 000-row worklist model.

Last line: ``startup_s=<median> filter_ms=<median>`` (bars: < 2 s and < 100 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
BENCH_KEY = "c" * 64  # fixed key: demo data only, see module docstring
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
SEED = 2026

CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from datetime import datetime, timezone
from PySide6.QtCore import QSettings, QTimer
from ui.app import make_application
from nurse_app.demo.generate import DEMO_NURSE, demo_staff
from nurse_app.desk.context import DeskContext
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from ui.desk.read_aloud import NoReadAloud
from ui.desk.settings import DeskSettings
from ui.main_window import MainWindow
from ui import theme

app = make_application()
theme.apply_theme(app, large=False)
engine = open_cache({path!r}, {key!r})
upgrade_to_head(engine)
now = datetime.fromisoformat({now!r})
user = next(u for u in demo_staff({seed}).users if u.username == DEMO_NURSE)
ctx = DeskContext(engine, user, device="bench", clock=lambda: now)
settings = DeskSettings(QSettings({ini!r}, QSettings.Format.IniFormat))
window = MainWindow(ctx, settings, read_aloud=NoReadAloud())
window.resize(1366, 768)
window.show()

def ready():
    if window.worklist.page is None:
        QTimer.singleShot(2, ready)
        return
    app.processEvents()  # the first page painted: the nurse can work
    print("READY", window.worklist.model.rowCount(), flush=True)
    app.exit(0)

QTimer.singleShot(0, ready)
app.exec()
"""


def build_cache(path: Path, patients: int) -> None:
    from nurse_app.demo.load import load_demo
    from nurse_app.store.engine import open_cache
    from nurse_app.store.migrate import upgrade_to_head

    print(f"building {path.name}: {patients} patients, once", flush=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = open_cache(tmp, BENCH_KEY)
    upgrade_to_head(engine)
    started = time.perf_counter()
    load_demo(engine, patients=patients, seed=SEED, now=NOW)
    engine.dispose()
    tmp.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def cold_start_seconds(path: Path) -> float:
    code = CHILD.format(
        root=str(ROOT),
        path=str(path),
        key=BENCH_KEY,
        now=NOW.isoformat(),
        seed=SEED,
        ini=str(CACHE_DIR / "desk.ini"),
    )
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError("the desk never became ready")
    child.wait(timeout=60)
    return elapsed


def filter_keystroke_ms(path: Path, repeats: int) -> tuple[float, int]:
    from dataclasses import replace

    from PySide6.QtCore import QCoreApplication

    from nurse_app.store.engine import open_cache
    from nurse_app.store.worklist import WorklistTab, worklist
    from ui.desk.worklist_model import WorklistModel

    QCoreApplication.instance() or QCoreApplication([])
    engine = open_cache(path, BENCH_KEY)
    with engine.connect() as conn:
        rows = worklist(conn, tab=WorklistTab.UPCOMING, now=NOW, limit=10_000)
    engine.dispose()
    while len(rows) < 10_000:  # pad with copies if the cache's upcoming tab is smaller
        rows += [replace(r, task_id=f"{r.task_id}-{len(rows)}") for r in rows[: 10_000 - len(rows)]]
    model = WorklistModel()
    model.set_rows(rows[:10_000])
    keystrokes = ["王", "王芳", "王", "", "ZY2000", "ZY20001", "", "1234", "李", ""]
    timings = []
    for _ in range(repeats):
        for text in keystrokes:
            started = time.perf_counter()
            model.set_search(text)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), model.rowCount()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    CACHE_DIR.mkdir(exist_ok=True)
    path = CACHE_DIR / f"startup-{args.patients}.db"
    if not path.exists():
        build_cache(path, args.patients)
    cold_start_seconds(path)  # first run warms the OS file cache; a ward PC opens the app daily
    starts = [cold_start_seconds(path) for _ in range(args.runs)]
    for number, seconds in enumerate(starts, 1):
        print(f"start {number}: {seconds:.2f} s")
    filter_ms, _rows = filter_keystroke_ms(path, repeats=20)
    print(f"filter keystroke over 10000 rows: median {filter_ms:.2f} ms")
    print(f"startup_s={statistics.median(starts):.2f} filter_ms={filter_ms:.2f}")


if __name__ == "__main__":
    main()
