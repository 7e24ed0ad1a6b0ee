"""Pure HL7 parsing: delimiters, repetitions, components, escapes, charsets, batches, ACKs, framing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from server_sync.service.intake.events import EventKind, IntakeError
from server_sync.service.intake.hl7_ack import build_ack
from server_sync.service.intake.hl7_files import split_messages
from server_sync.service.intake.hl7_map import to_event
from server_sync.service.intake.hl7_parse import parse
from server_sync.service.intake.mllp import FrameReader, frame

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
ZONE = "Asia/Shanghai"


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().replace(b"$WARD2", b"W2").replace(b"$WARD", b"W1")


def test_repetitions_components_and_escapes():
    msg = parse(_load("a03_discharge.hl7"))
    pid = msg.segment("PID")
    assert msg.repetitions(pid, 3)[1].startswith("110101195003011234")
    assert msg.get(pid, 11, 1) == "北京市海淀区|3号楼"  # \F\
    assert msg.get(msg.segment("PV2"), 12) == "出院带药~复诊"  # \R\
    assert msg.unescape(r"a\S\b\T\c\E\d\X41\e\.br\f") == "a^b&c\\dAe\nf"
    assert len(msg.all("DG1")) == 2 and msg.all("DG1")[1].index == 2


def test_every_event_maps_to_an_intake_event():
    expected = {
        "a01_admit.hl7": EventKind.ADMIT,
        "a02_transfer.hl7": EventKind.TRANSFER,
        "a03_discharge.hl7": EventKind.DISCHARGE,
        "a08_update.hl7": EventKind.UPDATE,
        "a11_cancel_admit.hl7": EventKind.CANCEL_ADMIT,
        "a13_cancel_discharge.hl7": EventKind.CANCEL_DISCHARGE,
        "a40_merge.hl7": EventKind.MERGE,
    }
    for name, kind in expected.items():
        event = to_event(parse(_load(name).replace(b"$OLDMRN", b"OLD1")), zone=ZONE)
        assert event.kind is kind, name
    discharge = to_event(parse(_load("a03_discharge.hl7")), zone=ZONE)
    assert discharge.patient.name == "张三丰" and discharge.patient.national_id == "110101195003011234"
    assert discharge.visit.discharged_at == datetime(2026, 11, 28, 0, 30, tzinfo=timezone.utc)
    assert discharge.visit.diagnoses[0].primary and discharge.visit.procedures == ("冠状动脉造影",)
    assert discharge.visit.attending == "李医生" and not discharge.visit.flags
    assert to_event(parse(_load("a40_merge.hl7").replace(b"$OLDMRN", b"OLD1")), zone=ZONE).merge_mrns == (
        "OLD1",
    )


def test_charsets_per_msh18():
    gb = _load("a03_discharge_gb18030.hl7")
    assert parse(gb).charset == "gb18030" and to_event(parse(gb), zone=ZONE).patient.name == "龑䶮喆"
    undeclared = gb.replace(b"GB 18030-2000", b"")
    assert parse(undeclared).charset == "gb18030"  # not UTF-8, so the Chinese HIS default
    with pytest.raises(IntakeError) as error:
        parse(gb.replace(b"GB 18030-2000", b"UNICODE UTF-8"))
    assert error.value.location == "MSH^1^18" and error.value.reject
    with pytest.raises(IntakeError, match="unsupported character set"):
        parse(gb.replace(b"GB 18030-2000", b"EBCDIC"))


def test_timestamps_and_dispositions():
    raw = (
        _load("a03_discharge.hl7").replace(b"20261128083000", b"20261128083000+0000").replace(b"01^", b"07^")
    )
    event = to_event(parse(raw), zone=ZONE)
    assert event.visit.discharged_at == datetime(2026, 11, 28, 8, 30, tzinfo=timezone.utc)
    assert event.visit.flags == frozenset({"against_advice"})
    with pytest.raises(IntakeError) as error:
        to_event(parse(_load("a03_discharge.hl7").replace(b"20261128083000", b"2026112")), zone=ZONE)
    assert error.value.location == "PV1^1^45" and error.value.code == "102"


def test_batch_files_split_into_messages():
    messages = split_messages(_load("batch.hl7").replace(b"\r", b"\r\n"))
    assert len(messages) == 2 and all(m.startswith(b"MSH") for m in messages)
    assert b"BTS" not in b"".join(messages)


def test_ack_carries_msa_and_err():
    error = IntakeError("birth date 19501345 is not valid", code="102", location="PID^1^7")
    ack = build_ack(
        code="AE",
        control_id="C1",
        trigger="A01",
        now=datetime.now(timezone.utc),
        zone=ZONE,
        sender=("HIS", "HOSP"),
        error=error,
    )
    lines = ack.strip("\r").split("\r")
    assert lines[0].split("|")[8] == "ACK^A01^ACK" and lines[0].split("|")[4] == "HIS"
    assert lines[1] == "MSA|AE|C1|birth date 19501345 is not valid"
    assert lines[2].split("|")[1:5] == [
        "PID^1^7^102&Data type error&HL70357",
        "PID^1^7",
        "102^Data type error^HL70357",
        "E",
    ]


def test_frame_reader_handles_split_joined_and_broken_frames():
    reader = FrameReader(max_bytes=100)
    data = frame(b"MSH|one") + frame(b"MSH|two")
    got = reader.feed(data[:5]) + reader.feed(data[5:13]) + reader.feed(data[13:])
    assert got == [(b"MSH|one", ""), (b"MSH|two", "")]
    broken = reader.feed(b"\x0bMSH|cut\x0bMSH|next\x1c\r")
    assert broken[0][0] == b"MSH|cut" and "truncated" in broken[0][1] and broken[1] == (b"MSH|next", "")
    assert reader.feed(frame(b"x" * 150)) == [(b"x" * 100, "frame too large")]
    reader.feed(b"\x0bMSH|unfinished")
    assert reader.close() == b"MSH|unfinished"
