"""Group commit over MLLP: pipelined frames applied in one transaction, ACKs sent after the one
commit, in order; a failing message is rolled back alone; a dropped connection or a crash
mid-batch leaves nothing half-applied, and the resend is idempotent."""

from __future__ import annotations

import socket
import struct
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from server_sync.service.intake import hl7_intake
from server_sync.service.intake.mllp import frame
from server_sync.service.intake.models import (
    DeadLetterRow,
    EncounterKeyRow,
    PatientIdentifierRow,
    ProcessedMessageRow,
)


def _patient(hospital):
    """Another patient and stay on the same wards (fresh MRN, visit, national ID, phone, birth)."""
    return type(hospital)(hospital.database, hospital.settings, hospital.ward, hospital.ward2)


def _read_acks(conn: socket.socket, count: int) -> list[str]:
    data, acks = bytearray(), []
    while len(acks) < count:
        while b"\x1c\r" not in data:
            chunk = conn.recv(65536)
            assert chunk, f"connection closed after {len(acks)} of {count} ACKs"
            data += chunk
        end = data.index(b"\x1c\r")
        assert data[:1] == b"\x0b"
        acks.append(bytes(data[1:end]).decode("utf-8"))
        del data[: end + 2]
    return acks


def _processed(database, control: str) -> ProcessedMessageRow | None:
    with database.session() as s:
        return s.scalars(
            select(ProcessedMessageRow).where(ProcessedMessageRow.key.endswith(f"|{control}"))
        ).first()


def _stays(database, visit: str) -> int:
    with database.session() as s:
        return s.scalar(
            select(func.count()).select_from(EncounterKeyRow).where(EncounterKeyRow.key.like(f"%{visit}%"))
        )


def _has_mrn(database, mrn: str) -> bool:
    with database.session() as s:
        return s.get(PatientIdentifierRow, ("mrn", mrn)) is not None


@pytest.fixture
def batch_sizes(monkeypatch) -> list[int]:
    sizes: list[int] = []
    original = hl7_intake.process_batch

    def counting(**kwargs):
        sizes.append(len(kwargs["frames"]))
        return original(**kwargs)

    monkeypatch.setattr(hl7_intake, "process_batch", counting)
    return sizes


def test_pipelined_batch_one_bad_message_in_the_middle(hospital, listener, batch_sizes):
    tag = uuid.uuid4().hex[:8]
    good = [_patient(hospital) for _ in range(4)]
    bad = _patient(hospital)
    # The bad message fails inside apply (unknown ward) after its patient row was written:
    # nothing of it is kept, the rest of the group is.
    bad_raw = bad.message("a01_admit.hl7", f"BAD-{tag}", **{"$WARD": f"NOWARD{tag}"})
    frames = [
        (f"G0-{tag}", good[0].message("a01_admit.hl7", f"G0-{tag}")),
        (f"G1-{tag}", good[1].message("a03_discharge.hl7", f"G1-{tag}")),
        (f"BAD-{tag}", bad_raw),
        (f"G2-{tag}", good[2].message("a01_admit.hl7", f"G2-{tag}")),
        (f"G3-{tag}", good[3].message("a03_discharge.hl7", f"G3-{tag}")),
        (f"G0-{tag}", good[0].message("a01_admit.hl7", f"G0-{tag}")),  # a resend inside the batch
    ]
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as conn:
        conn.settimeout(30)
        conn.sendall(b"".join(frame(raw) for _, raw in frames))  # pipelined: no wait for ACKs
        acks = _read_acks(conn, len(frames))
    assert batch_sizes == [len(frames)], "one write of six frames is one transaction"
    controls = [ack.split("\r")[1].split("|")[2] for ack in acks]
    assert controls == [control for control, _ in frames], "ACKs come back in the order sent"
    codes = [ack.split("\r")[1].split("|")[1] for ack in acks]
    assert codes == ["AA", "AA", "AE", "AA", "AA", "AA"]
    assert "103" in acks[2] and "NOWARD" in acks[2]
    db = hospital.database
    for patient in (good[0], good[1], good[2], good[3]):
        assert _stays(db, patient.visit) == 1
    assert not _has_mrn(db, bad.mrn) and _stays(db, bad.visit) == 0, "the bad message left nothing"
    with db.session() as s:
        letters = s.scalars(select(DeadLetterRow).where(DeadLetterRow.control_id == f"BAD-{tag}")).all()
    assert len(letters) == 1 and letters[0].raw == bad_raw and letters[0].detail["ack_code"] == "AE"
    assert _processed(db, f"BAD-{tag}").ack_code == "AE"


def _abort(conn: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a sender that crashes does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def test_connection_dropped_mid_batch_then_resend_is_idempotent(hospital, listener, monkeypatch):
    tag = uuid.uuid4().hex[:8]
    patients = [_patient(hospital) for _ in range(6)]
    frames = [(f"D{i}-{tag}", p.message("a03_discharge.hl7", f"D{i}-{tag}")) for i, p in enumerate(patients)]
    started, done = threading.Event(), threading.Event()
    original = hl7_intake.apply_event

    def slow(**kwargs):
        started.set()
        time.sleep(0.05)  # the sender is gone while the batch is being applied
        return original(**kwargs)

    monkeypatch.setattr(hl7_intake, "apply_event", slow)
    processed: list[str] = []

    def seen(outcome) -> None:
        processed.append(outcome.control_id)
        if len(processed) == len(frames):
            done.set()

    listener.server.on_processed = seen
    conn = socket.create_connection(("127.0.0.1", listener.port), timeout=30)
    conn.sendall(b"".join(frame(raw) for _, raw in frames))
    assert started.wait(30)
    _abort(conn)
    assert done.wait(60)
    db = hospital.database
    for (control, _), patient in zip(frames, patients, strict=True):
        # Each message is all there (ACK remembered and stay stored) or not at all.
        assert (_processed(db, control) is not None) == (_stays(db, patient.visit) == 1)
    monkeypatch.setattr(hl7_intake, "apply_event", original)
    listener.server.on_processed = None
    for _ in range(2):  # the sender resends everything it got no ACK for, maybe twice
        with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as again:
            again.settimeout(30)
            again.sendall(b"".join(frame(raw) for _, raw in frames))
            acks = _read_acks(again, len(frames))
        assert [a.split("\r")[1].split("|")[1:3] for a in acks] == [["AA", c] for c, _ in frames]
    for patient in patients:
        assert _stays(db, patient.visit) == 1
        with db.session() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(PatientIdentifierRow)
                    .where(PatientIdentifierRow.value == patient.mrn)
                )
                == 1
            )


class _Crash(BaseException):
    """The process dies (power, OOM kill) in the middle of a batch."""


def test_crash_mid_batch_applies_nothing_and_the_resend_applies_once(hospital, monkeypatch):
    tag = uuid.uuid4().hex[:8]
    patients = [_patient(hospital) for _ in range(5)]
    frames = [(p.message("a03_discharge.hl7", f"C{i}-{tag}"), "") for i, p in enumerate(patients)]
    original, calls = hl7_intake.apply_event, []

    def crashing(**kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise _Crash()
        return original(**kwargs)

    monkeypatch.setattr(hl7_intake, "apply_event", crashing)
    db, settings = hospital.database, hospital.settings
    with pytest.raises(_Crash):
        hl7_intake.process_batch(database=db, frames=frames, settings=settings)
    for i, patient in enumerate(patients):
        assert _processed(db, f"C{i}-{tag}") is None
        assert _stays(db, patient.visit) == 0 and not _has_mrn(db, patient.mrn), "nothing half-applied"
    monkeypatch.setattr(hl7_intake, "apply_event", original)
    first = hl7_intake.process_batch(database=db, frames=frames, settings=settings)
    again = hl7_intake.process_batch(database=db, frames=frames, settings=settings)
    assert [o.code for o in first] == ["AA"] * 5 and not any(o.duplicate for o in first)
    assert all(o.duplicate for o in again) and [o.ack for o in again] == [o.ack for o in first]
    for patient in patients:
        assert _stays(db, patient.visit) == 1


def test_lockstep_sender_gets_each_ack_after_its_own_commit(hospital, listener, batch_sizes):
    tag = uuid.uuid4().hex[:8]
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as conn:
        conn.settimeout(30)
        for i in range(3):
            patient = _patient(hospital)
            conn.sendall(frame(patient.message("a01_admit.hl7", f"L{i}-{tag}")))
            (ack,) = _read_acks(conn, 1)
            assert f"MSA|AA|L{i}-{tag}" in ack
            assert _processed(hospital.database, f"L{i}-{tag}") is not None  # committed before the ACK
    assert batch_sizes == [1, 1, 1]
