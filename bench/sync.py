"""Sync benchmarks against the real service over HTTP on 127.0.0.1 (SQLite), in a separate process.

* ``noop_ms``: median round trip of an incremental sync with nothing to do (bar < 100);
* ``first_pull_s``: first sync of one ward's tasks (default 50 k) into an empty encrypted cache (bar < 15);
* ``ingest_ratio``: rows per second the service ingests through ``/sync/push`` (client batches of
  500, every rule, audit and change-feed row included) ÷ rows per second of a raw SQLAlchemy Core
  bulk insert of the same rows into the same tables of the same database, in this run (bar ≥ 0.5).
  Both are measured ``--ingest-rounds`` times, alternating (push, then raw insert, on the same
  growing database), and the best round of each is compared: one ~0.1 s raw insert on a shared
  machine is otherwise as much noise as signal.
* ``ingest_ratio_every_row``: the same push rate ÷ a raw insert that also writes each record's
  change-feed and audit rows (what a push must store besides the record): the share of the push's
  cost that is HTTP, validation and the sync rules rather than storage.
* ``ingest_ceiling``: the raw insert with feed and audit rows ÷ the raw insert of the records alone:
  the ``ingest_ratio`` of a service with no cost at all beyond storing what a push must store.

Run from the repository root: ``python bench/sync.py [--tasks 50000]``. Last line:
``noop_ms=… first_pull_s=… ingest_ratio=… ingest_ratio_every_row=… ingest_ceiling=…``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring
import requests
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import insert

from nurse_app.domain.codec import entity_to_payload
from nurse_app.domain.model import (
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Role,
    Sex,
    User,
    Ward,
)
from nurse_app.security.cache_key import ALLOW_TEST_KEYRING_ENV
from nurse_app.security.credentials import CredentialStore
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from server_sync.client import SyncClient
from server_sync.protocol import Mutation
from server_sync.service.audit.models import AuditEventRow
from server_sync.service.auth import service as auth_service
from server_sync.service.config import service as config_service
from server_sync.service.core import meta
from server_sync.service.core.config import Settings
from server_sync.service.core.counter import take_numbers
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.ids import time_ordered_id
from server_sync.service.core.migrate import upgrade
from server_sync.service.records.models import ROW_TYPES
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.models import ChangeRow
from server_sync.service.sync.rules import apply_mutation

KEY = "c" * 64  # generated benchmark data only; credentials go to a throwaway keyring file
SECRET = "bench-secret-for-signing-access-tokens"
PASSWORD = "bench-password-1"
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
TASKS_PER_PATIENT = 5


def chart(ward: str, nurse: str, steps: int) -> list[tuple[str, Any]]:
    """A patient, a stay, an enrollment and ``steps`` follow-up tasks, as (entity, record)."""
    patient = Patient(f"ZY{uuid.uuid4().hex[:10]}", "张三", Sex.FEMALE, date(1950, 1, 1), "13900001111")
    encounter = Encounter(patient.id, ward, NOW - timedelta(days=9), NOW - timedelta(days=2))
    enrollment = Enrollment(patient.id, encounter.id, "HF", 1, enrolled_at=NOW)
    records: list[tuple[str, Any]] = [
        ("patient", patient),
        ("encounter", encounter),
        ("enrollment", enrollment),
    ]
    for step in range(1, steps + 1):
        due = NOW + timedelta(days=7 * step)
        task = FollowUpTask(
            enrollment.id, patient.id, encounter.id, ward, "HF", 1, step, due, due + timedelta(days=1), nurse
        )
        records.append(("task", task))
    return records


def seed(database: Database, ward: str, nurse: str, tasks: int) -> None:
    """Import the ward's records through the service's own push rules (no HTTP), 500 at a time."""
    importer = User("bench-seed", "bench", Role.ADMIN)
    mutations = [
        Mutation(mutation_id=str(uuid.uuid4()), seq=1, entity=e, entity_id=r.id, payload=entity_to_payload(r))
        for _ in range(tasks // TASKS_PER_PATIENT)
        for e, r in chart(ward, nurse, TASKS_PER_PATIENT)
    ]

    def run(db_session: Any, chunk: list[Mutation]) -> None:
        ctx = BatchContext(
            db_session=db_session,
            user=importer,
            device_id="bench",
            client_id="bench",
            now=NOW,
            importing=True,
        )
        ctx.prefetch_for(chunk)
        with db_session.no_autoflush:
            for mutation in chunk:
                assert apply_mutation(ctx, mutation).status == "applied"
        ctx.finish()

    for start in range(0, len(mutations), 500):
        database.run_write(lambda s, c=mutations[start : start + 500]: run(s, c))


def start_service(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FOLLOWUP_DATABASE_URL": f"sqlite:///{db_path}",
        "FOLLOWUP_SECRET_KEY": SECRET,
        "FOLLOWUP_PULL_MAX_LIMIT": "5000",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "server_sync.service.app:create_app_from_environment",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


def raw_insert_rate(database: Database, ward: str, nurse: str, count: int, *, every_row: bool) -> float:
    """Records per second of a Core executemany of record rows like the ones a push writes.

    With ``every_row`` the same insert also writes what a push writes beside each record — its
    change-feed row and its audit row — so the ratio against it is the cost of the push's HTTP,
    validation and rules alone.
    """
    rows: dict[Any, list[dict[str, Any]]] = {}
    records = 0
    for _ in range(count // 4):
        for entity, record in chart(ward, nurse, 1):
            payload = entity_to_payload(record)
            row = {
                "id": record.id,
                "ward_code": None if entity == "patient" else ward,
                "version": 1,
                "payload": payload,
                "deleted": False,
                "updated_at": NOW,
                "updated_by": nurse,
            }
            if entity == "patient":
                row["mrn"] = record.mrn
            elif entity == "task":
                row.update(patient_id=record.patient_id, status="pending", completed_by=None)
            else:
                row["patient_id"] = record.patient_id
            rows.setdefault(ROW_TYPES[entity].__table__, []).append(row)
            records += 1
            if every_row:
                rows.setdefault(ChangeRow.__table__, []).append(_change_row(entity, record.id, ward, payload))
                rows.setdefault(AuditEventRow.__table__, []).append(_audit_row(entity, record.id, nurse))
    started = time.perf_counter()
    with database.transaction() as db_session:
        if every_row:
            first = take_numbers(db_session=db_session, count=len(rows[ChangeRow.__table__]))
            for number, change in enumerate(rows[ChangeRow.__table__], start=first):
                change["change_no"] = number
        for table, table_rows in rows.items():
            db_session.execute(insert(table), table_rows)
    return records / (time.perf_counter() - started)


def _change_row(entity: str, record_id: str, ward: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "entity": entity,
        "entity_id": record_id,
        "ward_code": ward,
        "op": "upsert",
        "payload": payload,
        "server_version": 1,
        "flags": "",
        "changed_at": NOW,
    }


def _audit_row(entity: str, record_id: str, nurse: str) -> dict[str, Any]:
    return {
        "id": time_ordered_id(),  # as the service makes them
        "actor": nurse,
        "action": "create",
        "entity": entity,
        "entity_id": record_id,
        "at": NOW,
        "device": "bench",
        "detail": "raw insert",
        "source": "server",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--ingest", type=int, default=4000, help="mutations pushed for the ingest rate")
    parser.add_argument("--noop-runs", type=int, default=30)
    parser.add_argument("--ingest-rounds", type=int, default=3, help="alternating push/raw rounds (best of)")
    args = parser.parse_args()

    os.environ[ALLOW_TEST_KEYRING_ENV] = "1"
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    backend = PlaintextKeyring()
    backend.file_path = str(work / "keyring.cfg")
    keyring.set_keyring(backend)

    db_path = work / "svc.db"
    settings = Settings(
        database_url=f"sqlite:///{db_path}", secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8192
    )
    database = Database(make_engine(settings.database_url, settings))
    upgrade(database.engine)
    with database.transaction() as db_session:
        meta.ensure_defaults(db_session=db_session)
        config_service.upsert_ward(
            db_session=db_session, ward=Ward("BENCH", "基准病区", "心内科"), published_by="bench"
        )
        for name in ("n.pull", "n.push"):
            auth_service.create_user(
                db_session=db_session,
                hasher=auth_service.hasher_for(settings),
                username=name,
                display_name=name,
                role=Role.NURSE,
                wards=("BENCH",),
                password=PASSWORD,
            )
    started = time.perf_counter()
    seed(database, "BENCH", "n.pull", args.tasks)
    print(f"seeded {args.tasks} tasks in {time.perf_counter() - started:.1f}s", flush=True)

    port = 18000 + os.getpid() % 2000
    process = start_service(db_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        engine = open_cache(work / "pull.db", KEY)
        upgrade_to_head(engine)
        client = SyncClient(engine, url, credentials=CredentialStore("bench-pull"), page_size=5000)
        client.login("n.pull", PASSWORD)
        started = time.perf_counter()
        report = client.sync()
        first_pull_s = time.perf_counter() - started
        print(f"first pull: {report.pulled} changes in {first_pull_s:.2f}s", flush=True)

        samples = []
        for _ in range(args.noop_runs):
            started = time.perf_counter()
            client.sync()
            samples.append((time.perf_counter() - started) * 1000)
        noop_ms = statistics.median(samples)

        push_engine = open_cache(work / "push.db", KEY)
        upgrade_to_head(push_engine)
        pusher = SyncClient(push_engine, url, credentials=CredentialStore("bench-push"))
        pusher.login("n.push", PASSWORD)
        pusher.sync()
        push_rates, raw_rates, every_row_rates = [], [], []
        for _ in range(max(1, args.ingest_rounds)):
            queued = queue(push_engine, args.ingest)
            started = time.perf_counter()
            pushed = pusher.push()
            elapsed = time.perf_counter() - started
            if pushed.applied != queued:
                raise SystemExit(f"push applied {pushed.applied} of {queued} mutations: {pushed}")
            push_rates.append(pushed.applied / elapsed)
            raw_rates.append(raw_insert_rate(database, "BENCH", "n.push", args.ingest, every_row=False))
            every_row_rates.append(raw_insert_rate(database, "BENCH", "n.push", args.ingest, every_row=True))
            print(
                f"push ingest {push_rates[-1]:.0f} records/s; raw Core insert {raw_rates[-1]:.0f} records/s, "
                f"{every_row_rates[-1]:.0f} records/s with their feed and audit rows",
                flush=True,
            )
        push_rate, raw_rate, every_row_rate = max(push_rates), max(raw_rates), max(every_row_rates)
    finally:
        process.kill()
        process.wait()
    print(
        f"noop_ms={noop_ms:.1f} first_pull_s={first_pull_s:.2f} ingest_ratio={push_rate / raw_rate:.2f} "
        f"ingest_ratio_every_row={push_rate / every_row_rate:.2f} "
        f"ingest_ceiling={every_row_rate / raw_rate:.2f}"
    )


def queue(engine: Any, count: int) -> int:
    """Queue ``count`` mutations (new charts of one task) in the outbox, as desk writes would."""
    import json

    from sqlalchemy.orm import Session

    from nurse_app.store.models import OutboxRow

    rows = []
    for _ in range(count // 4):
        for entity, record in chart("BENCH", "n.push", 1):
            rows.append(
                {
                    "mutation_id": str(uuid.uuid4()),
                    "entity": entity,
                    "entity_id": record.id,
                    "op": "upsert",
                    "payload_json": json.dumps(entity_to_payload(record), ensure_ascii=False),
                    "created_at": NOW,
                }
            )
    with Session(engine) as session, session.begin():
        session.execute(insert(OutboxRow), rows)
    return len(rows)


if __name__ == "__main__":
    main()
