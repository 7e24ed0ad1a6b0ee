"""A critical alert acknowledged on the desk reaches the service over the real push path.

The desk acknowledges an alert by changing its Alert record (status, by, at) and writing an
audit event "<action>: <note>"; both are queued in that order and pushed without a
base_version (the cache keeps no server version for alerts). The service merges alerts by
lifecycle (a later state wins, the first acknowledgement stays), carries the acknowledgement
into the alert lifecycle (time to acknowledge, alert events, audit) and stops the escalation.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

SERVICE_TESTS = Path(__file__).resolve().parents[1] / "service"
sys.path.insert(0, str(SERVICE_TESTS))
_spec = importlib.util.spec_from_file_location("alerts_desk_ack_fixtures", SERVICE_TESTS / "conftest.py")
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)
database_url = _service.database_url
settings = _service.settings
database = _service.database
live_server = _service.live_server
world = _service.world

from service_helpers import NOW, DeskClient, World, make_attempt, make_chart  # noqa: E402

from nurse_app.domain.model import (  # noqa: E402
    Alert,
    AlertSeverity,
    AlertStatus,
    Answer,
    AuditAction,
    AuditEvent,
    Response,
    Role,
)
from server_sync.protocol import entity_to_payload  # noqa: E402
from server_sync.service.alerts import service as alert_service  # noqa: E402
from server_sync.service.alerts.models import AlertEventRow, AlertLifecycleRow  # noqa: E402
from server_sync.service.audit.models import AuditEventRow  # noqa: E402
from server_sync.service.records.models import AlertRow  # noqa: E402

ENTITIES = {Alert: "alert", AuditEvent: "audit_event"}


def desk_mutation(desk: DeskClient, record: Any) -> dict[str, Any]:
    """A mutation as the desk's outbox sends it: alerts and audit events carry no base_version."""
    entity = ENTITIES.get(type(record))
    if entity is None:
        return desk.mutation(record)
    seq, desk.next_seq = desk.next_seq, desk.next_seq + 1
    return {
        "mutation_id": str(uuid.uuid4()),
        "seq": seq,
        "entity": entity,
        "op": "upsert",
        "entity_id": record.id,
        "base_version": None,
        "payload": entity_to_payload(record),
        "client_time": "2026-11-28T01:00:00Z",
    }


def push(desk: DeskClient, *records: Any) -> list[dict[str, Any]]:
    response = desk.push_raw([desk_mutation(desk, r) for r in records])
    assert response.status_code == 200, response.text
    return response.json()["results"]


def desk_alert(response: Response, chart: Any, ward: str) -> Alert:
    return Alert(
        response.id,
        chart.task.id,
        chart.patient.id,
        ward,
        "SBP_HIGH",
        AlertSeverity.CRITICAL,
        "收缩压185 mmHg（≥180），请立即联系医生",
        datetime.now(timezone.utc),
    )


def acknowledge_on_desk(
    alert: Alert, nurse: str, action: str, note: str = "", at: datetime | None = None
) -> tuple[Alert, AuditEvent]:
    """What ``nurse_app.desk.alerts.acknowledge_alert`` changes and queues, in its order."""
    at = at or datetime.now(timezone.utc)
    acknowledged = replace(alert, status=AlertStatus.ACKNOWLEDGED, acknowledged_by=nurse, acknowledged_at=at)
    detail = f"{action}: {note}" if note else action
    return acknowledged, AuditEvent(nurse, AuditAction.UPDATE, "alert", alert.id, at, "PC-1", detail)


def raised_on_desk(world: World, *, ward_name: str = "CARD") -> tuple[str, str, DeskClient, Alert]:
    """A nurse records a critical response and the desk's alert for it; everything is pushed."""
    ward = world.ward(ward_name)
    nurse = world.user(Role.NURSE, (ward,), name="nurse")
    desk = world.desk(nurse)
    chart = make_chart(ward, nurse)
    response = Response(
        chart.task.id,
        "general_followup",
        1,
        (Answer("systolic_bp", 185), Answer("diastolic_bp", 100)),
        nurse,
        NOW + timedelta(hours=1),
    )
    alert = desk_alert(response, chart, ward)
    results = push(desk, *chart.records, make_attempt(chart.task, nurse), response, alert)
    assert all(r["status"] == "applied" for r in results), results
    return ward, nurse, desk, alert


def lifecycle_of(database, desk_alert_id: str) -> AlertLifecycleRow:
    with database.session() as s:
        return s.scalars(
            select(AlertLifecycleRow).where(AlertLifecycleRow.desk_alert_id == desk_alert_id)
        ).one()


def record_of(database, alert_id: str) -> dict[str, Any]:
    with database.session() as s:
        return dict(s.get(AlertRow, alert_id).payload)


def events_of(database, lifecycle_id: str) -> list[AlertEventRow]:
    with database.session() as s:
        return alert_service.events_of(db_session=s, alert_id=lifecycle_id)


def server_audit_of(database, lifecycle_id: str) -> list[str]:
    with database.session() as s:
        rows = s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.entity == "alert",
                AuditEventRow.entity_id == lifecycle_id,
                AuditEventRow.source == "server",
            )
        ).all()
        return [row.detail for row in rows]


def close_to(a: datetime | None, b: datetime) -> bool:
    return a is not None and abs((a - b).total_seconds()) < 1


# --- tests ---------------------------------------------------------------------------------------


def test_desk_acknowledgement_reaches_the_lifecycle_and_stops_escalation(world: World, database) -> None:
    _ward, nurse, desk, alert = raised_on_desk(world)
    raised = lifecycle_of(database, alert.id)
    assert raised.status == "raised" and raised.next_escalation_at is not None

    acknowledged, event = acknowledge_on_desk(alert, nurse, "contacted_doctor", "已联系心内科医生")
    results = push(desk, acknowledged, event)
    assert [r["status"] for r in results] == ["applied", "applied"], results

    record = record_of(database, alert.id)
    assert (record["status"], record["acknowledged_by"]) == ("acknowledged", nurse)
    row = lifecycle_of(database, alert.id)
    assert (row.status, row.acknowledged_by, row.action, row.note) == (
        "acknowledged",
        nurse,
        "contacted_doctor",
        "已联系心内科医生",
    )
    assert close_to(row.acknowledged_at, acknowledged.acknowledged_at)
    assert row.ack_seconds is not None and row.ack_seconds >= 0 and row.next_escalation_at is None
    [ack] = [e for e in events_of(database, row.id) if e.kind == "acknowledged"]
    assert (ack.actor, ack.detail) == (nurse, "contacted_doctor: 已联系心内科医生")
    assert server_audit_of(database, row.id) == ["alert acknowledged (contacted_doctor)"]

    # The clock runs past both escalation deadlines: nothing escalates any more.
    for minutes in (16, 40, 180):
        alert_service.escalate_due(database, now=row.raised_at + timedelta(minutes=minutes))
    after = lifecycle_of(database, alert.id)
    assert (after.status, after.escalation_level, after.escalated_at) == ("acknowledged", 0, None)
    assert [e.kind for e in events_of(database, row.id)] == ["raised", "acknowledged"]

    # The same acknowledgement pushed again changes nothing.
    again = push(desk, acknowledged)
    assert again[0]["status"] == "applied"
    assert lifecycle_of(database, alert.id).acknowledged_at == after.acknowledged_at


def test_second_pc_later_acknowledgement_does_not_overwrite_the_first(world: World, database) -> None:
    ward, nurse, desk, alert = raised_on_desk(world)
    first, first_event = acknowledge_on_desk(alert, nurse, "advised_ed_visit", "建议急诊就诊")
    assert [r["status"] for r in push(desk, first, first_event)] == ["applied", "applied"]

    # Another nurse on another PC still had the alert open and acknowledged it a minute later.
    colleague = world.user(Role.NURSE, (ward,), name="colleague")
    pc2 = world.desk(colleague)
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    second, second_event = acknowledge_on_desk(alert, colleague, "contacted_doctor", "已联系", at=later)
    results = push(pc2, second, second_event)
    assert results[0]["status"] == "duplicate" and nurse in results[0]["reason"], results
    assert results[1]["status"] == "applied"  # the colleague's audit event is kept as what she did

    record = record_of(database, alert.id)
    assert (record["acknowledged_by"], record["acknowledged_at"]) == (
        nurse,
        entity_to_payload(first)["acknowledged_at"],
    )
    row = lifecycle_of(database, alert.id)
    assert (row.acknowledged_by, row.action, row.note) == (nurse, "advised_ed_visit", "建议急诊就诊")
    assert [e.kind for e in events_of(database, row.id)].count("acknowledged") == 1

    # An old open copy pushed later never turns the alert back.
    stale = push(pc2, alert)
    assert stale[0]["status"] == "duplicate", stale
    assert record_of(database, alert.id)["status"] == "acknowledged"
    assert lifecycle_of(database, alert.id).status == "acknowledged"


def test_escalated_alert_acknowledged_on_the_desk_stops_the_chain(world: World, database) -> None:
    _ward, nurse, desk, alert = raised_on_desk(world)
    t0 = lifecycle_of(database, alert.id).raised_at
    alert_service.escalate_due(database, now=t0 + timedelta(minutes=16))
    escalated = lifecycle_of(database, alert.id)
    assert (escalated.status, escalated.escalation_level) == ("escalated", 1)
    assert escalated.next_escalation_at is not None

    # The desk only ever saw the alert open; its audit event arrives in a later batch.
    acknowledged, event = acknowledge_on_desk(alert, nurse, "scheduled_clinic", "已预约明日门诊")
    assert push(desk, acknowledged)[0]["status"] == "applied"
    row = lifecycle_of(database, alert.id)
    assert (row.status, row.acknowledged_by, row.escalation_level) == ("acknowledged", nurse, 1)
    assert (row.action, row.note) == ("other", alert_service.DESK_ACK_NOTE)
    assert row.next_escalation_at is None

    for minutes in (30, 60, 240):
        alert_service.escalate_due(database, now=t0 + timedelta(minutes=minutes))
    after = lifecycle_of(database, alert.id)
    assert (after.status, after.escalation_level) == ("acknowledged", 1)
    # (ordered by time, and the escalation ran on a clock ahead of the desk's: compare as a set)
    assert sorted(e.kind for e in events_of(database, row.id)) == ["acknowledged", "escalated", "raised"]

    # The late audit event is recorded, but it does not rewrite an acknowledgement of an earlier push.
    assert push(desk, event)[0]["status"] == "applied"
    assert lifecycle_of(database, alert.id).action == "other"


def test_alert_raised_and_acknowledged_offline_arrives_acknowledged(world: World, database) -> None:
    ward = world.ward("OFF")
    nurse = world.user(Role.NURSE, (ward,), name="nurse")
    desk = world.desk(nurse)
    chart = make_chart(ward, nurse)
    response = Response(
        chart.task.id,
        "general_followup",
        1,
        (Answer("systolic_bp", 190), Answer("diastolic_bp", 100)),
        nurse,
        NOW + timedelta(hours=1),
    )
    alert = desk_alert(response, chart, ward)
    acknowledged, event = acknowledge_on_desk(alert, nurse, "advised_ed_visit")
    results = push(
        desk, *chart.records, make_attempt(chart.task, nurse), response, alert, acknowledged, event
    )
    assert all(r["status"] == "applied" for r in results), results
    row = lifecycle_of(database, alert.id)
    assert (row.status, row.acknowledged_by, row.action, row.note) == (
        "acknowledged",
        nurse,
        "advised_ed_visit",
        "",
    )
    alert_service.escalate_due(database, now=row.raised_at + timedelta(hours=2))
    assert lifecycle_of(database, alert.id).escalation_level == 0


@pytest.mark.parametrize(
    ("detail", "parsed"),
    [
        ("contacted_doctor: 已联系", ("contacted_doctor", "已联系")),
        ("advised_ed_visit", ("advised_ed_visit", "")),
        ("other: 家属已送医", ("other", "家属已送医")),
        ("other", None),
        ("phone revealed", None),
    ],
)
def test_action_is_parsed_from_the_desk_audit_detail(detail: str, parsed: tuple[str, str] | None) -> None:
    result = alert_service.parse_ack_detail(detail)
    assert (None if result is None else (result[0].value, result[1])) == parsed
