"""Ward manager's figures on a 100-ward, 500 k-task hospital: the dashboard recompute and one PDF.

Run from the repository root: ``python bench/reports.py``. The cache is built
once in ``bench/.cache/`` with the demo generator's machinery (real scheduling
rules and simulated calls), stretched to a year of discharges and spread over
100 wards: the generator's nine demo wards become 11–12 copies each
(``CARD1-01`` …), a patient going to copy ``k`` of its ward type; the copy's
nurses get the same suffix so per-nurse figures stay per ward. It holds
generated data only, so it is opened with a fixed benchmark key.

* ``dashboard_ms``: median time to recompute every headline figure (current
  and previous month, every ward plus the hospital total) — bar < 500 ms. The
  figures come from the day totals the cache maintains on write (migration
  0006), so the build's bulk loads pay for them as every write path does.
* ``report_s``: median time for one ward-month PDF with charts — bar < 5 s.

Last line: ``dashboard_ms=<median> report_s=<median> ...``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from nurse_app.demo import generate
from nurse_app.demo.catalog import DEMO_WARDS
from nurse_app.demo.generate import demo_plans, generate_batches
from nurse_app.demo.load import batch_rows
from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.store import mapping as m
from nurse_app.store.engine import open_cache, session_factory
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.models import WardRow
from nurse_app.store.repository import CacheRepository, bulk_insert

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
BENCH_KEY = "c" * 64  # fixed key: generated data only, see module docstring
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
SEED = 4242
WARDS = 100
TASKS_PER_PATIENT = 2.67  # average plan length of the demo hospital
SPAN_DAYS = 365


def ward_copies(total: int = WARDS) -> list[int]:
    """How many copies of each demo ward make ``total`` wards (11 or 12 each for 100)."""
    base, extra = divmod(total, len(DEMO_WARDS))
    return [base + (1 if i < extra else 0) for i in range(len(DEMO_WARDS))]


def _suffix(nurse: str | None, copy: int) -> str | None:
    return None if not nurse else f"{nurse}-{copy:02d}"


def _relabel(rows: dict[str, list[dict]], ward_of_patient: dict[str, tuple[str, int]]) -> None:
    """Move each patient's records to its ward copy, and its nurses with it."""
    for table in ("encounters", "tasks", "alerts"):
        for row in rows[table]:
            row["ward_code"] = ward_of_patient[row["patient_id"]][0]
    copy_of_task: dict[str, int] = {}
    for row in rows["tasks"]:
        copy = ward_of_patient[row["patient_id"]][1]
        copy_of_task[row["id"]] = copy
        row["assignee"] = _suffix(row["assignee"], copy)
    for row in rows["call_attempts"]:
        row["nurse"] = _suffix(row["nurse"], copy_of_task[row["task_id"]]) or ""
    for row in rows["responses"]:
        row["submitted_by"] = _suffix(row["submitted_by"], copy_of_task[row["task_id"]]) or ""
    for row in rows["alerts"]:
        if row["acknowledged_by"]:
            row["acknowledged_by"] = _suffix(row["acknowledged_by"], copy_of_task[row["task_id"]])


def build_cache(path: Path, target_tasks: int) -> None:
    patients = int(target_tasks / TASKS_PER_PATIENT) + 1
    print(f"building {path.name}: {patients} patients (~{target_tasks} tasks) over {WARDS} wards, once")
    tmp = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    engine = open_cache(tmp, BENCH_KEY)
    upgrade_to_head(engine)
    started = time.perf_counter()
    copies = ward_copies()
    with session_factory(engine).begin() as session:
        for demo_ward, count in zip(DEMO_WARDS, copies, strict=True):
            for copy in range(1, count + 1):
                values = m.ward_values(demo_ward.ward)
                values.update(code=f"{demo_ward.ward.code}-{copy:02d}", name=f"{demo_ward.ward.name}{copy}")
                session.execute(insert(WardRow.__table__), [values])
        repository = CacheRepository(session)
        for plan in demo_plans():
            repository.save_plan(plan)
    # A year of discharges instead of the demo's 90 days: the generator reads this module constant.
    generate.DISCHARGE_SPAN_DAYS = SPAN_DAYS
    index = 0
    type_of_code = {w.ward.code: i for i, w in enumerate(DEMO_WARDS)}
    for batch in generate_batches(patients=patients, seed=SEED, now=NOW):
        ward_of_patient: dict[str, tuple[str, int]] = {}
        for patient, encounter in zip(batch.patients, batch.encounters, strict=True):
            kind = type_of_code[encounter.ward_code]
            copy = (index // len(DEMO_WARDS)) % copies[kind] + 1
            ward_of_patient[patient.id] = (f"{encounter.ward_code}-{copy:02d}", copy)
            index += 1
        rows = batch_rows(batch)
        _relabel(rows, ward_of_patient)
        with engine.begin() as conn:
            bulk_insert(conn, rows)
        print(f"\r  {index}/{patients} patients", end="", flush=True)
    engine.dispose()
    tmp.rename(path)
    print(f"\nbuilt in {time.perf_counter() - started:.0f} s")


def median_s(run: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=500_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--ward", default="CARD1-01")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()

    CACHE_DIR.mkdir(exist_ok=True)
    path = CACHE_DIR / f"reports-{args.tasks}.db"
    if not path.exists():
        build_cache(path, args.tasks)
    if args.build_only:
        return

    # Imported after the (long, one-off) build so the build runs without the report stack.
    from nurse_app.reports.data import build_ward_month
    from nurse_app.reports.headline import hospital_headlines
    from nurse_app.reports.pdf import write_pdf
    from nurse_app.reports.scope import month_period

    engine = open_cache(path, BENCH_KEY)
    # A cache built by an older schema gets the report indexes (0005) and the maintained day
    # totals (0006, counted once from the stored records) before any timing.
    started = time.perf_counter()
    revision = upgrade_to_head(engine)
    print(f"cache at schema {revision} ({time.perf_counter() - started:.1f} s to check/upgrade)")
    period = month_period(args.month, DEFAULT_ZONE)
    with engine.connect() as conn:
        tasks = conn.exec_driver_sql("SELECT count(*) FROM tasks").scalar()
        wards = [code for (code,) in conn.execute(select(WardRow.code))]

        def dashboard() -> object:
            return hospital_headlines(conn, period, as_of=NOW)

        dashboard_s = median_s(dashboard, args.repeats)
        figures = build_ward_month(conn, [args.ward], args.month, as_of=NOW)
        print(
            f"dashboard: {len(wards)} wards, miss rate {figures.headline.miss.value}, "
            f"{figures.headline.completed.value} follow-ups completed in {args.ward}"
        )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.pdf"

        def report() -> object:
            with engine.connect() as conn:
                data = build_ward_month(conn, [args.ward], args.month, as_of=NOW)
            return write_pdf(data, out)

        report_s = median_s(report, max(3, args.repeats // 2))
        size_kib = out.stat().st_size / 1024
    engine.dispose()
    print(
        f"dashboard_ms={dashboard_s * 1000:.1f} report_s={report_s:.2f} "
        f"tasks={tasks} wards={len(wards)} pdf_kib={size_kib:.0f}"
    )


if __name__ == "__main__":
    main()
