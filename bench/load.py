"""Service load: many simulated ward PCs syncing periodically against ``followup-server serve`` on PostgreSQL.

Each PC logs in once (its own nurse account and device), pushes a small first chart and pulls it,
then every ``--period`` seconds (a compressed minute; default 60 s → 6 s) does one sync with the
requests the desk's sync client makes: a push when it has something to send (one new call attempt
every other tick), the configuration feed, then the incremental pull. The PCs start spread evenly
over the period so the load is steady, as it would be in a hospital.

Compressing the minute multiplies the load: 200 PCs syncing every real minute make 3.3 syncs a
second; the default 6 s period makes 33 (ten times the bar's load, as 2 000 PCs would), and
``--period 3`` makes 66 — more than 2 cores shared by the service, PostgreSQL and this load
generator can serve within 200 ms (see the README's benchmark notes).

The service runs with several uvicorn workers on a PostgreSQL database this script creates
(``followup_load_<pid>``, migrated fresh) and drops at the end; loopback only; bounded by
``--ticks`` and ``--deadline``. Latency is measured per HTTP request of the ticks (push and pull).

Run from the repository root: ``python bench/load.py [--pcs 200 --ticks 5 --period 6 --workers 2]``.
Last line: ``p50_ms=… p99_ms=… errors=…`` (bar: p99 < 200, errors 0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nurse_app.domain.codec import entity_to_payload
from nurse_app.domain.model import (
    CallAttempt,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Role,
    Sex,
    Ward,
)
from server_sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from server_sync.service.auth import service as auth_service
from server_sync.service.config import service as config_service
from server_sync.service.core import meta
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.migrate import upgrade

SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "load-secret-for-signing-access-tokens"
PASSWORD = "load-password-1"
PCS_PER_WARD = 10


def create_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str, pcs: int) -> list[tuple[str, str]]:
    """Migrate, create the wards and one nurse per PC; returns (username, ward) per PC."""
    settings = Settings(database_url=url, secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8192)
    database = Database(make_engine(url, settings))
    upgrade(database.engine)
    hasher = auth_service.hasher_for(settings)
    accounts = []
    with database.transaction() as db_session:
        meta.ensure_defaults(db_session=db_session)
        for ward_no in range((pcs + PCS_PER_WARD - 1) // PCS_PER_WARD):
            code = f"LW{ward_no:03d}"
            config_service.upsert_ward(
                db_session=db_session, ward=Ward(code, f"负载病区{ward_no}", "心内科"), published_by="load"
            )
        for pc in range(pcs):
            username, ward = f"load.n{pc:03d}", f"LW{pc // PCS_PER_WARD:03d}"
            auth_service.create_user(
                db_session=db_session,
                hasher=hasher,
                username=username,
                display_name=username,
                role=Role.NURSE,
                wards=(ward,),
                password=PASSWORD,
            )
            accounts.append((username, ward))
    database.dispose()
    return accounts


def start_service(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("followup-server")
    command = [str(script)] if script.exists() else [shutil.which("followup-server") or "followup-server"]
    # The accounts' argon2 cost (cheap: logins are set-up here, not what is measured); the service
    # would otherwise re-hash every password at its default cost on the first login.
    env = {
        **os.environ,
        "FOLLOWUP_DATABASE_URL": url,
        "FOLLOWUP_SECRET_KEY": SECRET,
        "FOLLOWUP_ARGON2_TIME_COST": "1",
        "FOLLOWUP_ARGON2_MEMORY_KIB": "8192",
    }
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("the service exited during start-up")
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


class Pc:
    """One ward PC: its own HTTP session, client id, outbox seq and pull cursor."""

    def __init__(self, base: str, username: str, ward: str) -> None:
        self.base, self.username, self.ward = base, username, ward
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: skip the per-request proxy look-up in os.environ
        self.http.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
        self.client_id = f"load-{uuid.uuid4()}"
        self.seq = 0
        self.cursor = 0
        self.config_version = 0
        self.epoch: str | None = None
        self.task_id = ""
        self.latencies: list[float] = []
        self.rounds: list[float] = []
        self.errors: list[str] = []

    def _call(self, method: str, path: str, measured: bool, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, timeout=30, **kwargs)
        if measured:
            self.latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} → {response.status_code} {response.text[:200]}")
        return response.json()

    def login(self) -> None:
        body = self._call(
            "POST",
            "/auth/login",
            False,
            json={"username": self.username, "password": PASSWORD, "device_id": self.client_id},
        )
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        self.epoch = body["server_epoch"]

    def _mutation(self, entity: str, record: Any) -> dict[str, Any]:
        self.seq += 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "seq": self.seq,
            "entity": entity,
            "entity_id": record.id,
            "payload": entity_to_payload(record),
        }

    def push(self, mutations: list[dict[str, Any]], measured: bool) -> None:
        body = self._call(
            "POST", "/sync/push", measured, json={"client_id": self.client_id, "mutations": mutations}
        )
        bad = [r for r in body["results"] if r["status"] != "applied"]
        if bad:
            raise RuntimeError(f"push results: {bad[:2]}")

    def pull_config(self, measured: bool) -> None:
        body = self._call("GET", "/config", measured, params={"since": self.config_version})
        self.config_version = body["config_version"]

    def pull(self, measured: bool) -> None:
        while True:
            page = self._call(
                "GET",
                "/sync/pull",
                measured,
                params={"cursor": self.cursor, "limit": 500, "epoch": self.epoch},
            )
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return

    def first_sync(self) -> None:
        """A chart of this PC's own (patient, stay, enrollment, one task), then a full pull."""
        now = datetime.now(timezone.utc)
        patient = Patient(f"LD{uuid.uuid4().hex[:10]}", "李四", Sex.MALE, date(1948, 5, 1), "13900002222")
        encounter = Encounter(patient.id, self.ward, now - timedelta(days=6), now - timedelta(days=1))
        enrollment = Enrollment(patient.id, encounter.id, "HF", 1, enrolled_at=now)
        due = now + timedelta(days=7)
        task = FollowUpTask(
            enrollment.id,
            patient.id,
            encounter.id,
            self.ward,
            "HF",
            1,
            1,
            due,
            due + timedelta(days=1),
            self.username,
        )
        self.task_id = task.id
        self.push(
            [
                self._mutation("patient", patient),
                self._mutation("encounter", encounter),
                self._mutation("enrollment", enrollment),
                self._mutation("task", task),
            ],
            measured=False,
        )
        self.pull_config(measured=False)
        self.pull(measured=False)

    def tick(self, number: int) -> None:
        started = time.perf_counter()
        if number % 2:
            moment = datetime.now(timezone.utc)
            call = CallAttempt(
                self.task_id, self.username, moment - timedelta(minutes=2), moment, CallOutcome.NO_ANSWER
            )
            self.push([self._mutation("call_attempt", call)], measured=True)
        self.pull_config(measured=True)
        self.pull(measured=True)
        self.rounds.append((time.perf_counter() - started) * 1000)


def run_pc(
    pc: Pc,
    start: list[float],
    offset: float,
    period: float,
    ticks: int,
    deadline: float,
    ready: threading.Barrier,
) -> None:
    time.sleep(offset)  # PCs start spread over one period, not all in the same instant
    try:
        pc.login()
        pc.first_sync()
    except Exception as error:  # every failure is counted and reported
        pc.errors.append(f"setup: {error}")
    ready.wait()  # the barrier's action has set the common start time
    if pc.errors:
        return
    for number in range(ticks):
        due = start[0] + offset + number * period
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if time.monotonic() > deadline:
            pc.errors.append("deadline passed")
            return
        try:
            pc.tick(number)
        except Exception as error:
            pc.errors.append(f"tick {number}: {error}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pcs", type=int, default=200)
    parser.add_argument("--ticks", type=int, default=5)
    parser.add_argument("--period", type=float, default=6.0, help="seconds standing for one minute")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds the whole run may take")
    parser.add_argument("--admin-url", default=SERVER_URL, help="PostgreSQL URL to create the database from")
    args = parser.parse_args()

    name = f"followup_load_{os.getpid()}"
    url = create_database(args.admin_url, name)
    process = None
    try:
        accounts = prepare(url, args.pcs)
        port = 20000 + os.getpid() % 2000
        process = start_service(url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        pcs = [Pc(base, username, ward) for username, ward in accounts]
        start = [0.0]
        ready = threading.Barrier(len(pcs), action=lambda: start.__setitem__(0, time.monotonic() + 0.2))
        deadline = time.monotonic() + args.deadline
        threads = [
            threading.Thread(
                target=run_pc,
                args=(pc, start, args.period * index / len(pcs), args.period, args.ticks, deadline, ready),
                daemon=True,
            )
            for index, pc in enumerate(pcs)
        ]
        setup_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        print(f"run took {time.perf_counter() - setup_started:.1f}s (setup and ticks)", flush=True)
        latencies = [value for pc in pcs for value in pc.latencies]
        rounds = [value for pc in pcs for value in pc.rounds]
        errors = [error for pc in pcs for error in pc.errors]
        for error in errors[:5]:
            print("error:", error, flush=True)
        if not latencies:
            raise SystemExit("no request completed")
        print(
            f"{len(latencies)} requests in {len(rounds)} syncs over {args.ticks} ticks of {args.period}s; "
            f"sync round p50 {statistics.median(rounds):.1f} ms, p99 {percentile(rounds, 0.99):.1f} ms; "
            f"request max {max(latencies):.1f} ms",
            flush=True,
        )
        syncs_per_s = args.pcs / args.period
        print(
            f"p50_ms={statistics.median(latencies):.1f} p99_ms={percentile(latencies, 0.99):.1f} "
            f"errors={len(errors)} syncs_per_s={syncs_per_s:.1f} load_x={syncs_per_s / (args.pcs / 60):.0f}"
        )
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drop_database(args.admin_url, name)


if __name__ == "__main__":
    main()
