"""Intake benchmarks: HL7 ADT over MLLP into the real listener (SQLite), and plan matching.

* ``msgs_per_s``: 10 k ADT messages (A01, A02, A08, A03 per stay) sent over one MLLP
  connection to ``followup-server hl7-listen`` in its own process by a *pipelining* sender:
  it keeps up to ``--window`` frames unacknowledged and reads the ACKs on another thread
  (the listener group-commits what has arrived; bar ≥ 200). Every ACK must be AA and they
  must come back in the order sent;
* ``msgs_per_s_lockstep``: the same traffic from a sender that waits for each ACK before
  sending the next frame (``--lockstep-messages``, 2 k by default: the rate is steady), into
  a fresh database;
* ``enroll_ms``: median time, in the lockstep run, from sending an A03 to its ACK, which is
  sent after the transaction that stored the encounter, the enrollment and its tasks has
  committed (bar < 100);
* ``match_s``: matching 100 k discharges against 50 plans with ``nurse_app.domain.enrollment``.

Run from the repository root: ``python bench/intake.py [--messages 10000]``. Last line:
``msgs_per_s=… msgs_per_s_lockstep=… enroll_ms=… match_s=…``.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nurse_app.demo.catalog import DEMO_PLANS, DEMO_WARDS
from nurse_app.domain.enrollment import DischargeFacts, PlanMatcher
from nurse_app.domain.model import (
    Encounter,
    InclusionRule,
    OffsetUnit,
    Patient,
    Plan,
    PlanStep,
    PublicationStatus,
    Sex,
)
from server_sync.protocol import entity_to_payload
from server_sync.service.config import publishing
from server_sync.service.config import service as config_service
from server_sync.service.core import meta
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.migrate import upgrade

EVENTS = ("A01", "A02", "A08", "A03")


def _message(control: str, event: str, stay: int, rng: random.Random) -> bytes:
    demo = DEMO_WARDS[stay % len(DEMO_WARDS)]
    ward = demo.ward.code
    admitted = datetime(2026, 11, 1, 8, 0) + timedelta(minutes=stay)
    discharged = admitted + timedelta(days=rng.randint(*demo.stay_days))
    dx = demo.diagnoses[stay % len(demo.diagnoses)]
    visit = f"PV1|1|I|{ward}^01^01||||D01^李^医生||||||||||||V{stay:08d}"
    # PV1-36 disposition, PV1-44 admitted, PV1-45 discharged (A03 only).
    times = f"|||||||||||||||||01^回家||||||||{admitted:%Y%m%d%H%M%S}|{discharged:%Y%m%d%H%M%S}"
    if event != "A03":
        times = "|" * 25 + f"{admitted:%Y%m%d%H%M%S}"
    segments = [
        f"MSH|^~\\&|HIS|HOSP|FOLLOWUP|NS|20261128090000||ADT^{event}^ADT_A01|{control}|P|2.5"
        "|||||CHN|UNICODE UTF-8",
        f"EVN|{event}|20261128090000",
        f"PID|1||ZY{stay:07d}^^^HOSP^MR||王^{stay}||{1940 + stay % 50}0301|M|||||139{stay:08d}",
        visit + times,
        f"DG1|1||{dx.icd10}^{dx.description}^I10||20261101|F|||||||||1",
    ]
    if demo.procedures and stay % 2 == 0:
        segments.append(f"PR1|1||P1^{demo.procedures[0]}^ICD9CM")
    return ("\r".join(segments) + "\r").encode("utf-8")


def _prepare(url: str) -> None:
    database = Database(make_engine(url))
    upgrade(database.engine)
    with database.transaction() as db_session:
        meta.ensure_defaults(db_session=db_session)
        for demo in DEMO_WARDS:
            config_service.upsert_ward(db_session=db_session, ward=demo.ward, published_by="bench")
        for plan in DEMO_PLANS:
            publishing.publish_plan(db_session=db_session, body=entity_to_payload(plan), actor="bench")
    database.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_ack(conn: socket.socket, buffer: bytearray) -> bytes:
    while b"\x1c\r" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError("the listener closed the connection")
        buffer.extend(chunk)
    end = buffer.index(b"\x1c\r")
    ack = bytes(buffer[1:end])
    del buffer[: end + 2]
    return ack


class _Listener:
    """``followup-server hl7-listen`` in its own process on a fresh SQLite database."""

    def __init__(self, workdir: Path, name: str) -> None:
        url = f"sqlite:///{workdir}/{name}.db"
        _prepare(url)
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server_sync.service.cli",
                "--db",
                url,
                "hl7-listen",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
        )

    def connect(self) -> socket.socket:
        deadline = time.monotonic() + 30
        while True:
            try:
                return socket.create_connection(("127.0.0.1", self.port), timeout=120)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _traffic(messages: int, prefix: str):
    """(control ID, event, payload) of ``messages`` ADT messages, four per stay."""
    rng = random.Random(7)
    sent, stay = 0, 0
    while sent < messages:
        for event in EVENTS:
            if sent == messages:
                return
            control = f"{prefix}{sent:08d}"
            yield control, event, _message(control, event, stay, rng)
            sent += 1
        stay += 1


def bench_lockstep(messages: int, workdir: Path) -> tuple[float, float]:
    """Each frame answered before the next is sent; returns (msg/s, median A03 ms)."""
    listener = _Listener(workdir, "lockstep")
    try:
        conn = listener.connect()
        enroll_times, buffer, refused = [], bytearray(), 0
        start = time.perf_counter()
        with conn:
            for _control, event, payload in _traffic(messages, "L"):
                began = time.perf_counter()
                conn.sendall(b"\x0b" + payload + b"\x1c\r")
                ack = _read_ack(conn, buffer)
                if event == "A03":
                    enroll_times.append(time.perf_counter() - began)
                refused += b"MSA|AA|" not in ack
        elapsed = time.perf_counter() - start
    finally:
        listener.close()
    if refused:
        print(f"warning: {refused} lockstep message(s) not accepted", file=sys.stderr)
    return messages / elapsed, statistics.median(enroll_times) * 1000


def bench_pipelined(messages: int, workdir: Path, window: int) -> float:
    """Up to ``window`` frames in flight, ACKs read on another thread; returns msg/s."""
    listener = _Listener(workdir, "pipelined")
    traffic = list(_traffic(messages, "P"))
    credits = threading.Semaphore(window)
    problems: list[str] = []

    def receive(conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            for control, _event, _payload in traffic:
                ack = _read_ack(conn, buffer)
                credits.release()
                if f"MSA|AA|{control}|".encode() not in ack:
                    problems.append(f"{control}: {ack[:120]!r}")
        except (OSError, RuntimeError) as error:
            problems.append(f"receiving stopped: {error}")
            for _ in range(len(traffic)):
                credits.release()

    try:
        conn = listener.connect()
        with conn:
            receiver = threading.Thread(target=receive, args=(conn,), daemon=True)
            start = time.perf_counter()
            receiver.start()
            for _control, _event, payload in traffic:
                credits.acquire()
                conn.sendall(b"\x0b" + payload + b"\x1c\r")
            receiver.join(600)
            elapsed = time.perf_counter() - start
    finally:
        listener.close()
    if problems:
        print(
            f"warning: {len(problems)} pipelined ACK(s) not AA or out of order, e.g. {problems[0]}",
            file=sys.stderr,
        )
    return messages / elapsed


def _plans(count: int) -> list[Plan]:
    """The demo plans plus disease plans like a hospital's: ICD-10 groups, some scoped to a
    department, with age, stay, readmission and chronic-condition modifiers."""
    rng = random.Random(11)
    plans = list(DEMO_PLANS)
    prefixes = [
        "I50",
        "I21",
        "I63",
        "I61",
        "E11",
        "E10",
        "J44",
        "J18",
        "C34",
        "C16",
        "C50",
        "K80",
        "S72",
        "M17",
        "N18",
        "I48",
        "I10",
        "G40",
        "G20",
        "O82",
    ]
    modifiers = [
        ("age_min", "65"),
        ("los_min", "7"),
        ("readmission", "30"),
        ("chronic", "hypertension"),
        ("procedure", "*"),
        ("age_max", "45"),
    ]
    departments = sorted({demo.ward.department for demo in DEMO_WARDS})
    step = PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24)
    while len(plans) < count:
        rules = [InclusionRule("icd10_prefix", rng.choice(prefixes), 1.0)]
        rules += [InclusionRule(k, v, 0.5) for k, v in rng.sample(modifiers, 2)]
        rules.append(InclusionRule("exclude", "chronic:cancer"))
        scope = (rng.choice(departments),) if len(plans) % 2 else ()
        plans.append(
            Plan(
                f"P{len(plans)}",
                1,
                "bench",
                PublicationStatus.PUBLISHED,
                (step,),
                departments=scope,
                inclusion_rules=tuple(rules),
                enrollment_threshold=1.5,
            )
        )
    return plans


def bench_matching(encounters: int, plan_count: int) -> float:
    rng = random.Random(3)
    plans = _plans(plan_count)
    discharge = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
    facts = []
    for i in range(encounters):
        demo = DEMO_WARDS[i % len(DEMO_WARDS)]
        patient = Patient(f"Z{i}", "王", Sex.MALE, date(1940 + i % 60, 1, 1), phone="13900000000")
        encounter = Encounter(
            patient.id,
            demo.ward.code,
            discharge - timedelta(days=rng.randint(2, 14)),
            discharge,
            tuple(rng.sample(demo.diagnoses, 2)),
            demo.procedures[: i % 2],
        )
        facts.append(
            DischargeFacts(patient, encounter, demo.ward.department, (discharge - timedelta(days=40),))
        )
    start = time.perf_counter()
    matcher = PlanMatcher(plans)
    for item in facts:
        matcher.match(item)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--lockstep-messages", type=int, default=2_000)
    parser.add_argument("--window", type=int, default=1_000, help="pipelined frames in flight")
    parser.add_argument("--encounters", type=int, default=100_000)
    parser.add_argument("--plans", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as workdir:
        msgs_per_s = bench_pipelined(args.messages, Path(workdir), args.window)
        print(f"MLLP pipelined: {args.messages} messages, {msgs_per_s:.0f} msg/s (bar ≥ 200)")
        lockstep, enroll_ms = bench_lockstep(args.lockstep_messages, Path(workdir))
        print(f"MLLP lockstep: {args.lockstep_messages} messages, {lockstep:.0f} msg/s")
    print(f"A03 sent → ACK after enrollment and tasks committed: median {enroll_ms:.1f} ms (bar < 100)")
    match_s = bench_matching(args.encounters, args.plans)
    print(f"matching: {args.encounters} discharges × {args.plans} plans in {match_s:.1f} s")
    print(
        f"msgs_per_s={msgs_per_s:.0f} msgs_per_s_lockstep={lockstep:.0f} "
        f"enroll_ms={enroll_ms:.1f} match_s={match_s:.1f}"
    )


if __name__ == "__main__":
    main()
