"""Critical-value alerts end to end on the service: pushed response → lifecycle → outbox → real
HTTP webhook / SMTP sinks; escalation with a controlled clock; outages, restarts, two workers;
hot thresholds; reminders in quiet hours, opt-out, no phone, rate limit; template validation."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select

SERVICE_TESTS = Path(__file__).resolve().parents[1] / "service"
sys.path.insert(0, str(SERVICE_TESTS))
_spec = importlib.util.spec_from_file_location("alerts_service_fixtures", SERVICE_TESTS / "conftest.py")
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)
database_url = _service.database_url
settings = _service.settings
database = _service.database
live_server = _service.live_server
world = _service.world

from service_helpers import NOW, World, make_attempt, make_chart  # noqa: E402

from nurse_app.domain.model import Alert, AlertSeverity, Answer, CallOutcome, Response, Role  # noqa: E402
from server_sync.protocol import entity_to_payload  # noqa: E402
from server_sync.service.alerts.models import AlertEventRow, AlertLifecycleRow  # noqa: E402
from server_sync.service.config import publishing  # noqa: E402
from server_sync.service.notify import config as notify_config  # noqa: E402
from server_sync.service.notify import outbox  # noqa: E402
from server_sync.service.notify.models import NotifyLeaseRow, NotifyMessageRow, NotifyOptOutRow  # noqa: E402
from server_sync.service.notify.runner import run_step  # noqa: E402
from server_sync.service.notify.worker import NotifyWorker  # noqa: E402

SECRET = "sms-platform-shared-secret"


# --- real sinks ----------------------------------------------------------------------------------


class HttpSink:
    """A tiny webhook receiver on 127.0.0.1 that records every request; can be switched to fail."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failing = False
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sink.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                with sink.lock:
                    sink.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "raw": raw,
                            "json": json.loads(raw),
                        }
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def on(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def keys(self, path: str) -> list[str]:
        return [r["headers"]["Idempotency-Key"] for r in self.on(path)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture(scope="module")
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[tuple[MailSink, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = MailSink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def notify(database, http_sink: HttpSink, smtp_sink) -> Iterator[dict[str, Any]]:
    """Empty outbox and alerts, fresh sinks, and a configuration pointing at the sinks."""
    with database.transaction() as s:
        for table in (NotifyMessageRow, NotifyLeaseRow, AlertLifecycleRow, AlertEventRow, NotifyOptOutRow):
            s.execute(delete(table))
    http_sink.requests.clear()
    http_sink.failing = False
    smtp_sink[0].messages.clear()
    sections = {
        "channels": {
            "sms": {"url": f"{http_sink.url}/sms", "secret": SECRET},
            "chat": {"url": f"{http_sink.url}/chat"},
            "email": {"host": "127.0.0.1", "port": smtp_sink[1], "sender": "followup@hospital.test"},
        },
        "contacts": {
            "*": {
                "doctor": {"phone": "13800000001", "email": "doctor@hospital.test", "name": "值班医生"},
                "manager": {"phone": "13800000002"},
                "duty_doctor": {"phone": "13800000003"},
            }
        },
        "policy": {"ack_minutes": 15, "escalate_minutes": 10, "backoff_seconds": 10, "quiet_hours": None},
        "templates": {},
    }
    configure(database, sections)
    workers: list[NotifyWorker] = []
    yield {"sink": http_sink, "mail": smtp_sink[0], "workers": workers}
    for worker in workers:
        worker.close()


def configure(database, sections: dict[str, Any]) -> None:
    with database.transaction() as s:
        for key, body in sections.items():
            notify_config.save_section(
                db_session=s, key=key, body=body, actor="test", now=datetime.now(timezone.utc)
            )


def new_worker(notify: dict[str, Any], database, name: str) -> NotifyWorker:
    worker = NotifyWorker(database, worker_id=name)
    notify["workers"].append(worker)
    return worker


def critical_push(world: World, sbp: int = 185, *, desk_alert: bool = True, phone: str = "13912345678"):
    """A nurse pushes a chart, a reached call and a general_followup response (SBP) with its desk alert."""
    ward = world.ward("CARD")
    nurse = world.user(Role.NURSE, (ward,), name="nurse")
    desk = world.desk(nurse)
    chart = make_chart(ward, nurse, phone=phone)
    response = Response(
        chart.task.id,
        "general_followup",
        1,
        (Answer("systolic_bp", sbp), Answer("diastolic_bp", 100)),
        nurse,
        NOW + timedelta(hours=1),
    )
    mutations = [desk.mutation(r) for r in (*chart.records, make_attempt(chart.task, nurse), response)]
    if desk_alert:
        alert = Alert(
            response.id,
            chart.task.id,
            chart.patient.id,
            ward,
            "SBP_HIGH",
            AlertSeverity.CRITICAL,
            f"收缩压{sbp} mmHg（≥180），请立即联系医生",
            NOW + timedelta(hours=1),
        )
        mutations.append(
            {
                "mutation_id": str(uuid.uuid4()),
                "seq": desk.next_seq,
                "entity": "alert",
                "op": "upsert",
                "entity_id": alert.id,
                "base_version": None,
                "payload": entity_to_payload(alert),
                "client_time": "2026-11-28T01:00:00Z",
            }
        )
        desk.next_seq += 1
    result = desk.push_raw(mutations)
    assert result.status_code == 200, result.text
    assert all(r["status"] == "applied" for r in result.json()["results"]), result.json()
    return ward, nurse, desk, chart


def alerts_of(database, ward: str) -> list[AlertLifecycleRow]:
    with database.session() as s:
        return list(s.scalars(select(AlertLifecycleRow).where(AlertLifecycleRow.ward_code == ward)).all())


def messages(database, **where: Any) -> list[NotifyMessageRow]:
    with database.session() as s:
        query = select(NotifyMessageRow).order_by(NotifyMessageRow.id)
        for name, value in where.items():
            query = query.where(getattr(NotifyMessageRow, name) == value)
        return list(s.scalars(query).all())


# --- tests ---------------------------------------------------------------------------------------


def test_critical_response_reaches_the_doctor_on_every_channel(world: World, database, notify) -> None:
    ward, nurse, desk, _chart = critical_push(world)
    [alert] = alerts_of(database, ward)  # the service's evaluation and the desk's alert are one alert
    assert (alert.rule_code, alert.value, alert.threshold, alert.status) == (
        "SBP_HIGH",
        "185",
        "180",
        "raised",
    )
    assert alert.desk_alert_id is not None and alert.source == "server"

    step = run_step(new_worker(notify, database, "w1"), now=datetime.now(timezone.utc), reminders=False)
    assert step.delivery.sent == 3, step.delivery.errors

    [sms] = notify["sink"].on("/sms")
    expected = hmac.new(SECRET.encode(), sms["raw"], hashlib.sha256).hexdigest()
    assert sms["headers"]["X-Followup-Signature"] == f"sha256={expected}"
    content = sms["json"]["content"]
    assert sms["json"]["phone"] == "13800000001"
    for part in ("张*丰", "general_followup", "收缩压", "185", "180", nurse, alert.id):
        assert part in content, (part, content)
    assert "张三丰" not in content and "13912345678" not in content
    [chat] = notify["sink"].on("/chat")
    assert chat["json"]["msgtype"] == "text" and alert.id in chat["json"]["text"]["content"]
    [mail] = notify["mail"].messages
    assert mail.rcpt_tos == ["doctor@hospital.test"] and alert.id.encode() in mail.content

    # Scope: the ward's nurse sees it, a nurse of another ward does not and may not acknowledge it.
    listed = desk.http.get("/alerts").json()
    assert [a["id"] for a in listed] == [alert.id] and listed[0]["status"] == "notified"
    other = world.desk(world.user(Role.NURSE, (world.ward("OTHER"),), name="other"))
    assert other.http.get("/alerts").json() == []
    body = {"action": "contacted_doctor", "note": "已联系心内科医生"}
    assert other.http.post(f"/alerts/{alert.id}/acknowledge", json=body).status_code == 403
    assert desk.http.post(f"/alerts/{alert.id}/close", json={}).status_code == 409  # not acknowledged yet

    acked = desk.http.post(f"/alerts/{alert.id}/acknowledge", json=body)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == nurse and acked.json()["ack_seconds"] >= 0
    assert desk.http.post(f"/alerts/{alert.id}/acknowledge", json=body).status_code == 409
    assert desk.http.post(f"/alerts/{alert.id}/close", json={"note": "患者已就诊"}).status_code == 200
    kinds = [e["kind"] for e in desk.http.get(f"/alerts/{alert.id}/events").json()]
    assert kinds == ["raised", "notified", "acknowledged", "closed"]
    assert desk.http.get("/alerts").json() == []


def test_unacknowledged_alert_escalates_to_manager_then_duty_doctor(world: World, database, notify) -> None:
    ward, _nurse, desk, _chart = critical_push(world, desk_alert=False)
    [alert] = alerts_of(database, ward)
    worker = new_worker(notify, database, "w1")
    t0 = alert.raised_at
    assert run_step(worker, now=t0 + timedelta(minutes=5), reminders=False).escalated == 0
    assert run_step(worker, now=t0 + timedelta(minutes=16), reminders=False).escalated == 1
    assert run_step(worker, now=t0 + timedelta(minutes=20), reminders=False).escalated == 0
    assert run_step(worker, now=t0 + timedelta(minutes=27), reminders=False).escalated == 1
    assert run_step(worker, now=t0 + timedelta(hours=3), reminders=False).escalated == 0  # top level reached
    phones = [r["json"]["phone"] for r in notify["sink"].on("/sms")]
    assert phones == ["13800000001", "13800000002", "13800000003"]
    assert "升级1" in notify["sink"].on("/sms")[1]["json"]["content"]
    [row] = alerts_of(database, ward)
    assert (row.status, row.escalation_level) == ("escalated", 2)
    acked = desk.http.post(f"/alerts/{alert.id}/acknowledge", json={"action": "advised_ed_visit"})
    assert acked.status_code == 200 and acked.json()["ack_seconds"] > 0


def test_channel_outage_then_recovery_delivers_in_order_without_duplicates(database, notify) -> None:
    now = datetime(2027, 1, 5, 3, 0, tzinfo=timezone.utc)
    with database.transaction() as s:
        for n in range(5):
            outbox.enqueue(
                s, key=f"order-{n}", event="test", channel="sms", recipient="139", body=f"消息{n}", now=now
            )
    worker = new_worker(notify, database, "w1")
    notify["sink"].failing = True
    step = worker.deliver_step(now=now)
    assert (step.retried, step.released, step.sent) == (1, 4, 0)
    assert worker.deliver_step(now=now + timedelta(seconds=5)).claimed == 0  # channel held during backoff
    step = worker.deliver_step(now=now + timedelta(seconds=11))
    assert step.retried == 1  # still down: the next backoff is twice as long
    notify["sink"].failing = False
    assert worker.deliver_step(now=now + timedelta(seconds=25)).claimed == 0
    assert worker.deliver_step(now=now + timedelta(seconds=32)).sent == 5
    assert worker.deliver_step(now=now + timedelta(hours=1)).claimed == 0
    assert notify["sink"].keys("/sms") == [f"order-{n}" for n in range(5)]
    assert [m.status for m in messages(database)] == ["sent"] * 5

    # A permanent refusal (or too many failures) goes to the dead-letter list with its reason.
    configure(database, {"channels": {"sms": {"url": f"{notify['sink'].url}/sms", "max_attempts": 2}}})
    notify["sink"].failing = True
    with database.transaction() as s:
        outbox.enqueue(s, key="doomed", event="test", channel="sms", recipient="139", body="x", now=now)
        outbox.enqueue(s, key="no-channel", event="test", channel="email", recipient="a@b", body="x", now=now)
    later = now + timedelta(hours=2)
    worker.deliver_step(now=later)
    worker.deliver_step(now=later + timedelta(minutes=5))
    worker.deliver_step(now=later + timedelta(minutes=10))
    [doomed] = messages(database, idempotency_key="doomed")
    assert doomed.status == "dead" and "after 2 attempt(s): HTTP 503" in doomed.last_error


def test_worker_restart_with_messages_pending_sends_each_once(database, notify) -> None:
    now = datetime(2027, 1, 6, 3, 0, tzinfo=timezone.utc)
    with database.transaction() as s:
        for n in range(6):
            outbox.enqueue(
                s, key=f"restart-{n}", event="test", channel="chat", recipient="g", body=f"{n}", now=now
            )
    crashed = new_worker(notify, database, "crashed")
    assert len(crashed.claim(now=now, limit=3)) == 3  # claimed, then the process died before sending
    restarted = new_worker(notify, database, "restarted")
    first = restarted.deliver_step(now=now + timedelta(seconds=1))
    # SQLite: the crashed worker still holds the lease; others: its three rows are still leased.
    assert first.sent == (0 if database.is_sqlite else 3)
    restarted.deliver_step(now=now + timedelta(seconds=61))  # lease expired: everything goes out
    assert sorted(notify["sink"].keys("/chat")) == [f"restart-{n}" for n in range(6)]
    assert {m.status for m in messages(database)} == {"sent"}


def test_two_workers_at_once_send_each_message_once(database, notify) -> None:
    now = datetime(2027, 1, 7, 3, 0, tzinfo=timezone.utc)
    total = 120
    with database.transaction() as s:
        for n in range(total):
            outbox.enqueue(
                s, key=f"pair-{n}", event="test", channel="chat", recipient="g", body=f"{n}", now=now
            )
    claimed: dict[str, int] = {}

    def run(name: str) -> None:
        worker = new_worker(notify, database, name)
        count = 0
        for _ in range(200):
            step = worker.deliver_step(now=now, limit=10)
            count += step.sent
            if step.claimed == 0 and not messages(database, status="pending"):
                break
        claimed[name] = count

    threads = [threading.Thread(target=run, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    keys = notify["sink"].keys("/chat")
    assert len(keys) == total and len(set(keys)) == total
    assert sum(claimed.values()) == total
    if not database.is_sqlite:
        assert all(claimed.values()), claimed  # both really worked (SKIP LOCKED shares the queue)
    else:
        assert sorted(claimed.values())[0] == 0  # SQLite: one worker holds the lease


def test_hot_threshold_change_applies_to_the_next_response(world: World, database, notify) -> None:
    ward, *_ = critical_push(world, sbp=175, desk_alert=False)
    assert alerts_of(database, ward) == []
    with database.transaction() as s:
        publishing.publish_thresholds(
            db_session=s, ward_code=ward, rules=[{"code": "SBP_HIGH", "threshold": 170}], actor="test"
        )
    nurse = world.user(Role.NURSE, (ward,), name="n2")
    desk = world.desk(nurse)
    chart = make_chart(ward, nurse)
    response = Response(chart.task.id, "general_followup", 1, (Answer("systolic_bp", 175),), nurse, NOW)
    desk.push(*chart.records, response)
    [alert] = alerts_of(database, ward)
    assert (alert.threshold, alert.value, alert.source) == ("170", "175", "server")


def test_reminders_quiet_hours_opt_out_no_phone_and_rate_limit(world: World, database, notify) -> None:
    configure(
        database,
        {
            "policy": {
                "quiet_hours": {"start": "21:00", "end": "08:00"},
                "zone": "Asia/Shanghai",
                "reminders_per_day": 1,
                "callback_phone": "010-12345678",
            }
        },
    )
    ward = world.ward("REM")
    nurse = world.user(Role.NURSE, (ward,), name="rem")
    desk = world.desk(nurse)
    due = datetime(2027, 3, 10, 1, 30, tzinfo=timezone.utc)  # 09:30 in Shanghai
    charts = [make_chart(ward, nurse), make_chart(ward, nurse, phone=""), make_chart(ward, nurse)]
    for chart in charts:
        chart.task.due_at, chart.task.window_end = due, due + timedelta(hours=24)
        desk.push(*chart.records)
    opted = desk.http.post(
        f"/patients/{charts[2].patient.id}/reminder-opt-out", json={"reason": "患者拒绝短信"}
    )
    assert opted.status_code == 204

    evening = datetime(2027, 3, 9, 14, 0, tzinfo=timezone.utc)  # 22:00 Shanghai: quiet hours
    worker = new_worker(notify, database, "w1")
    assert run_step(worker, now=evening).reminders == 3
    assert run_step(worker, now=evening).reminders == 0  # decided once
    by_patient = {m.patient_id: m for m in messages(database, event="reminder_day_before")}
    assert by_patient[charts[1].patient.id].status == "skipped"
    assert by_patient[charts[1].patient.id].last_error == "no_phone"
    assert by_patient[charts[2].patient.id].last_error == "opted_out"
    assert notify["sink"].on("/sms") == []  # quiet hours: held until 08:00
    run_step(worker, now=datetime(2027, 3, 10, 0, 1, tzinfo=timezone.utc))  # 08:01 Shanghai
    [sms] = notify["sink"].on("/sms")
    assert sms["json"]["phone"] == "13912345678" and "03-10" in sms["json"]["content"]

    # A failed call asks the patient to call back — once a day at most (rate limit).
    attempt = make_attempt(charts[0].task, nurse, CallOutcome.NO_ANSWER)
    desk.push(attempt)
    [callback] = messages(database, event="reminder_callback")
    assert callback.status == "skipped" and callback.last_error == "rate_limited"


def test_templates_and_webhook_urls_are_checked_when_saved(world: World, database, notify) -> None:
    admin = world.desk(world.user(Role.ADMIN, name="admin"))
    bad = admin.http.put("/admin/notify/templates", json={"alert_doctor": {"zh_CN": "患者{patient}{mrn}"}})
    assert bad.status_code == 422 and "mrn" in bad.json()["message"]
    unbalanced = admin.http.put(
        "/admin/notify/templates", json={"reminder_callback": {"zh_CN": "请回电{phone"}}
    )
    assert unbalanced.status_code == 422
    good = admin.http.put(
        "/admin/notify/templates", json={"reminder_callback": {"zh_CN": "{patient}请回电{phone}"}}
    )
    assert good.status_code == 200
    for url in ("ftp://sms.hospital/send", "http:///nohost", "sms.hospital/send", "http://a b/"):
        response = admin.http.put("/admin/notify/channels", json={"sms": {"url": url}})
        assert response.status_code == 422, url
    nurse = world.desk(world.user(Role.NURSE, (world.ward("T"),), name="t"))
    assert nurse.http.put("/admin/notify/policy", json={}).status_code == 403
    dead = admin.http.get("/admin/notify/messages", params={"status": "dead"})
    assert dead.status_code == 200
