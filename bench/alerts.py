"""Critical-value alert latency and notification throughput through the real service (SQLite).

alert_ms: a critical general_followup response pushed over HTTP → the doctor's
message received by a local webhook (worker polling in its loop); median of runs.
notify_per_s: messages delivered per second through the outbox to the webhook.
Bars: alert_ms < 1000, notify_per_s ≥ 100. Last line: ``alert_ms=… notify_per_s=…``.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import uvicorn

from nurse_app.domain.model import (
    Answer,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Response,
    Role,
    Sex,
    Ward,
)
from server_sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, entity_to_payload
from server_sync.service.app import create_app
from server_sync.service.auth import service as auth_service
from server_sync.service.config import service as config_service
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.migrate import upgrade
from server_sync.service.notify import config as notify_config
from server_sync.service.notify import outbox
from server_sync.service.notify.runner import run_forever

RUNS, MESSAGES = 15, 1000
received: dict[str, float] = {}
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            received.setdefault(self.headers.get("Idempotency-Key", ""), time.perf_counter())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-alerts-")
    settings = Settings(
        database_url=f"sqlite:///{folder}/svc.db",
        secret_key="bench",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
    )
    database = Database(make_engine(settings.database_url, settings))
    upgrade(database.engine)
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{sink.server_address[1]}"
    now = datetime.now(timezone.utc)
    with database.transaction() as s:
        config_service.upsert_ward(
            db_session=s, ward=Ward("BENCH", "基准病区", "心内科"), published_by="bench"
        )
        auth_service.create_user(
            db_session=s,
            hasher=auth_service.hasher_for(settings),
            username="bench.nurse",
            display_name="护士",
            role=Role.NURSE,
            wards=("BENCH",),
            password="bench-password",
        )
        for key, body in {
            "channels": {"sms": {"url": f"{hook}/sms", "secret": "k"}, "chat": {"url": f"{hook}/chat"}},
            "contacts": {"*": {"doctor": {"phone": "13800000001"}}},
            "policy": {"quiet_hours": None},
        }.items():
            notify_config.save_section(db_session=s, key=key, body=body, actor="bench", now=now)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), port=port, log_config=None))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_forever,
        args=(database,),
        kwargs={"clock": lambda: datetime.now(timezone.utc), "idle_seconds": 0.01, "stop": stop.is_set},
        daemon=True,
    )
    worker.start()

    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)})
    login = http.post(
        "/auth/login",
        json={
            "username": "bench.nurse",
            "password": "bench-password",
            "device_id": "B1",
            "device_name": "B1",
        },
    ).json()
    http.headers["Authorization"] = f"Bearer {login['access_token']}"
    seq, latencies = 1, []
    for _ in range(RUNS):
        patient = Patient(f"ZY{uuid.uuid4().hex[:8]}", "张三丰", Sex.MALE, now.date(), phone="13912345678")
        encounter = Encounter(patient.id, "BENCH", now - timedelta(days=5), now - timedelta(hours=2))
        enrollment = Enrollment(patient.id, encounter.id, "P", 1, enrolled_at=now)
        task = FollowUpTask(
            enrollment.id,
            patient.id,
            encounter.id,
            "BENCH",
            "P",
            1,
            1,
            due_at=now,
            window_end=now + timedelta(1),
        )
        response = Response(task.id, "general_followup", 1, (Answer("systolic_bp", 190),), "bench.nurse", now)
        mutations = []
        for entity, record in (
            ("patient", patient),
            ("encounter", encounter),
            ("enrollment", enrollment),
            ("task", task),
            ("response", response),
        ):
            mutations.append(
                {
                    "mutation_id": str(uuid.uuid4()),
                    "seq": seq,
                    "entity": entity,
                    "op": "upsert",
                    "entity_id": record.id,
                    "payload": entity_to_payload(record),
                }
            )
            seq += 1
        started = time.perf_counter()
        result = http.post(
            "/sync/push",
            json={"client_id": "bench-desk", "protocol_version": PROTOCOL_VERSION, "mutations": mutations},
        )
        assert result.status_code == 200, result.text
        while True:
            with lock:
                done = [k for k, at in received.items() if k.startswith("alert_raised") and at >= started]
            if done:
                latencies.append((max(received[k] for k in done) - started) * 1000)
                break
            if time.perf_counter() - started > 10:
                raise SystemExit("no doctor message within 10 s")
            time.sleep(0.002)
    alert_ms = statistics.median(latencies)

    with lock:
        received.clear()
    with database.transaction() as s:
        for n in range(MESSAGES):
            outbox.enqueue(
                s, key=f"bulk-{n}", event="bench", channel="chat", recipient="g", body=f"消息{n}", now=now
            )
    started = time.perf_counter()
    while True:
        with lock:
            count = sum(1 for k in received if k.startswith("bulk-"))
        if count >= MESSAGES:
            break
        if time.perf_counter() - started > 60:
            raise SystemExit(f"only {count} of {MESSAGES} messages in 60 s")
        time.sleep(0.005)
    notify_per_s = MESSAGES / (time.perf_counter() - started)
    stop.set()
    server.should_exit = True
    print(f"alert latency (push → doctor webhook), median of {RUNS}: {alert_ms:.1f} ms (bar < 1000)")
    print(f"outbox throughput: {notify_per_s:.0f} messages/s (bar ≥ 100)")
    print(f"alert_ms={alert_ms:.1f} notify_per_s={notify_per_s:.0f}")


if __name__ == "__main__":
    main()
