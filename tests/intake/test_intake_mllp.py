"""MLLP over a real socket on 127.0.0.1, and end to end: an A03 to the listener → the ward's
nurse pulls the first task."""

from __future__ import annotations

import socket

from sqlalchemy import select

from nurse_app.domain.model import Role
from server_sync.service.intake.mllp import frame
from server_sync.service.intake.models import DeadLetterRow


def _connect(listener) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", listener.port), timeout=30)
    conn.settimeout(30)
    _PENDING[id(conn)] = bytearray()
    return conn


_PENDING: dict[int, bytearray] = {}  # bytes received past the last ACK read, per socket


def _read_ack(conn: socket.socket) -> str:
    """The next ACK frame (several may arrive in one segment: ACKs of a batch are sent together)."""
    data = _PENDING.setdefault(id(conn), bytearray())
    while b"\x1c\r" not in data:
        chunk = conn.recv(65536)
        assert chunk, "connection closed before the ACK"
        data += chunk
    end = data.index(b"\x1c\r")
    assert data.startswith(b"\x0b")
    ack = bytes(data[1:end]).decode("utf-8")
    del data[: end + 2]
    return ack


def test_messages_over_one_connection_are_acked_in_order(hospital, listener):
    with _connect(listener) as conn:
        conn.sendall(frame(hospital.message("a01_admit.hl7", "M1-" + hospital.visit)))
        first = _read_ack(conn)
        # Two frames in one write, the second split over two writes.
        two = frame(hospital.message("a08_update.hl7", "M2-" + hospital.visit)) + frame(
            hospital.message("bad_birth_date.hl7", "M3-" + hospital.visit)
        )
        conn.sendall(two[:-40])
        conn.sendall(two[-40:])
        second, third = _read_ack(conn), _read_ack(conn)
    assert f"MSA|AA|M1-{hospital.visit}" in first
    assert f"MSA|AA|M2-{hospital.visit}" in second
    assert f"MSA|AE|M3-{hospital.visit}" in third and "ERR|PID^1^7^102" in third


def test_truncated_frames_are_dead_lettered(hospital, listener):
    cut = hospital.message("a01_admit.hl7", "CUT-" + hospital.visit)[:60]
    with _connect(listener) as conn:
        conn.sendall(b"\x0b" + cut + frame(hospital.message("a01_admit.hl7", "OK-" + hospital.visit)))
        refused, accepted = _read_ack(conn), _read_ack(conn)
        conn.sendall(b"\x0b" + cut)  # and the connection closes mid-frame
        conn.shutdown(socket.SHUT_WR)
        last = _read_ack(conn)
    assert "MSA|AR|" in refused and "truncated" in refused
    assert f"MSA|AA|OK-{hospital.visit}" in accepted
    assert "MSA|AR|" in last and "connection closed" in last
    with hospital.database.session() as s:
        letters = s.scalars(select(DeadLetterRow).where(DeadLetterRow.raw == cut)).all()
    assert len(letters) == 2 and all(letter.source == "mllp" for letter in letters)


def test_a03_through_the_listener_reaches_the_wards_pull(hospital, listener, world):
    nurse = world.desk(world.user(Role.NURSE, (hospital.ward,)))
    other = world.desk(world.user(Role.NURSE, (hospital.ward2,)))
    _, cursor = nurse.pull_all()
    _, other_cursor = other.pull_all()
    with _connect(listener) as conn:
        conn.sendall(frame(hospital.message("a03_discharge.hl7")))
        assert "MSA|AA|" in _read_ack(conn)
    changes, _ = nurse.pull_all(cursor)
    tasks = [c for c in changes if c["entity"] == "task"]
    kinds = {c["entity"] for c in changes}
    assert {"patient", "encounter", "enrollment", "task"} <= kinds
    first = min(tasks, key=lambda c: c["payload"]["due_at"])
    assert (
        first["payload"]["due_at"] == "2026-11-28T00:30:00Z"
        and first["payload"]["ward_code"] == hospital.ward
    )
    assert first["payload"]["plan_code"] == "HF-DISCHARGE" and first["payload"]["status"] in (
        "pending",
        "cancelled",
    )
    assert not [c for c in other.pull_all(other_cursor)[0] if c["entity"] == "task"]
