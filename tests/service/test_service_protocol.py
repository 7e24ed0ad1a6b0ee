"""The wire protocol: header and version skew (426 both ways), payload encoding round trips."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nurse_app.demo.generate import demo_plans, demo_wards, generate_batches
from nurse_app.domain.model import Patient, Plan
from server_sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    PayloadError,
    dataclass_from_payload,
    entity_to_payload,
    payload_to_entity,
)


def test_every_demo_record_round_trips_through_its_payload():
    now = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
    batch = next(generate_batches(patients=30, seed=3, now=now))
    groups = {
        "patient": batch.patients,
        "encounter": batch.encounters,
        "enrollment": batch.enrollments,
        "task": batch.tasks,
        "call_attempt": batch.attempts,
        "response": batch.responses,
        "alert": batch.alerts,
    }
    for entity, records in groups.items():
        assert records, entity
        for record in records:
            payload = entity_to_payload(record)
            assert payload_to_entity(entity, payload) == record
    for plan in demo_plans():
        assert dataclass_from_payload(Plan, entity_to_payload(plan)) == plan
    ward = demo_wards()[0]
    assert entity_to_payload(ward)["calling_hours"]["start"] == "08:30:00"


def test_payload_encoding_is_utc_with_z_and_enum_values():
    batch = next(generate_batches(patients=1, seed=1, now=datetime(2026, 11, 28, tzinfo=timezone.utc)))
    task = entity_to_payload(batch.tasks[0])
    assert task["due_at"].endswith("Z") and task["status"] in {
        "pending",
        "in_progress",
        "completed",
        "missed",
    }
    patient = entity_to_payload(batch.patients[0])
    assert len(patient["birth_date"]) == 10 and patient["sex"] in {"male", "female", "unknown"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"birth_date": "1950-03-01T00:00:00"}, "birth_date"),
        ({"sex": "robot"}, "sex"),
        ({"version": "2"}, "version"),
        ({"nickname": "x"}, "unknown field"),
    ],
)
def test_invalid_payloads_name_the_field(change, message):
    payload = entity_to_payload(Patient("ZY1", "张三", "male", datetime(1950, 3, 1).date()))
    with pytest.raises(PayloadError, match=message):
        payload_to_entity("patient", {**payload, **change})


def test_naive_datetimes_are_refused():
    batch = next(generate_batches(patients=1, seed=1, now=datetime(2026, 11, 28, tzinfo=timezone.utc)))
    payload = entity_to_payload(batch.tasks[0])
    payload["due_at"] = "2026-11-28T09:00:00"
    with pytest.raises(PayloadError, match="zone"):
        payload_to_entity("task", payload)


def test_protocol_header_and_version_skew(world):
    plain = world.http()
    health = plain.get("/health")
    assert health.status_code == 200 and health.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
    old = plain.get("/health", headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION - 1)})
    assert old.status_code == 426 and old.json()["code"] == "protocol_too_old"
    assert "update the desk app" in old.json()["message"]
    assert old.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
    new = plain.post("/sync/push", json={}, headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1)})
    assert new.status_code == 426 and new.json()["code"] == "protocol_too_new"
    assert "central service must be updated first" in new.json()["message"]
    desk = world.desk(world.user())
    body = {"client_id": desk.client_id, "protocol_version": PROTOCOL_VERSION + 1, "mutations": []}
    in_body = desk.http.post("/sync/push", json=body)
    assert in_body.status_code == 426 and in_body.json()["code"] == "protocol_too_new"


def test_health_ready_and_openapi(world):
    plain = world.http()
    ready = plain.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    spec = plain.get("/openapi.json").json()
    for path in (
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/auth/me",
        "/sync/push",
        "/sync/pull",
        "/sync/issues",
        "/config",
        "/admin/wards",
        "/admin/users",
        "/admin/plans",
        "/admin/scales",
        "/health",
        "/ready",
    ):
        assert path in spec["paths"], path
