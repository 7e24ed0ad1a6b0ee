"""Worklist query of one ward in a 1 M-task encrypted cache, against the same SQL in raw SQLCipher.

Run from the repository root: ``python bench/worklist.py``. The cache is built
once with the demo generator and kept in ``bench/.cache/`` between runs. It
holds generated demo data only, so it is opened with a fixed benchmark key
instead of the OS keyring (the key source does not change query speed).
Last line: ``worklist_ms=<median> raw_ms=<median> ratio=<ours/raw> ...``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nurse_app.demo.load import load_demo
from nurse_app.store.engine import connect_raw, open_cache
from nurse_app.store.migrate import current_revision, upgrade_to_head
from nurse_app.store.worklist import WorklistTab, worklist, worklist_sql

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
BENCH_KEY = "b" * 64  # fixed key: demo data only, see module docstring
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
SEED = 2026
TASKS_PER_PATIENT = 2.67  # average plan length of the demo hospital


def build_cache(path: Path, target_tasks: int) -> None:
    patients = int(target_tasks / TASKS_PER_PATIENT) + 1
    print(f"building {path.name}: {patients} patients (~{target_tasks} tasks), once", flush=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = open_cache(tmp, BENCH_KEY)
    upgrade_to_head(engine)
    started = time.perf_counter()
    load_demo(engine, patients=patients, seed=SEED, now=NOW, progress=lambda done, total: None)
    engine.dispose()
    tmp.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def median_ms(run, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--ward", default="CARD1")
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()

    CACHE_DIR.mkdir(exist_ok=True)
    path = CACHE_DIR / f"worklist-{args.tasks}.db"
    if not path.exists():
        build_cache(path, args.tasks)

    engine = open_cache(path, BENCH_KEY)
    # A cache built by an older version gets the current indexes (one-off, before any timing).
    started = time.perf_counter()
    before = current_revision(engine)
    if upgrade_to_head(engine) != before:
        print(f"migrated {path.name} from {before} in {time.perf_counter() - started:.0f} s", flush=True)
    raw = connect_raw(path, BENCH_KEY)
    task_count = raw.execute("SELECT count(*) FROM tasks").fetchone()[0]
    results = {}
    with engine.connect() as conn:
        for tab in WorklistTab:
            sql, params = worklist_sql(tab=tab, now=NOW, wards=[args.ward])
            ours = median_ms(
                lambda tab=tab: worklist(conn, tab=tab, now=NOW, wards=[args.ward]), args.repeats
            )
            raw_ms = median_ms(
                lambda sql=sql, params=params: raw.execute(sql, params).fetchall(), args.repeats
            )
            rows = len(worklist(conn, tab=tab, now=NOW, wards=[args.ward]))
            results[tab] = (ours, raw_ms, rows)
            print(
                f"{tab.value:<11} rows={rows:<4} ours={ours:.2f} ms  raw={raw_ms:.2f} ms  "
                f"ratio={ours / raw_ms:.2f}"
            )
    raw.close()
    engine.dispose()

    ours, raw_ms, rows = results[WorklistTab.DUE_NOW]
    worst = max(results.values(), key=lambda r: r[0])
    print(
        f"worklist_ms={ours:.2f} raw_ms={raw_ms:.2f} ratio={ours / raw_ms:.2f} rows={rows} "
        f"tasks={task_count} slowest_tab_ms={worst[0]:.2f}"
    )


if __name__ == "__main__":
    main()
