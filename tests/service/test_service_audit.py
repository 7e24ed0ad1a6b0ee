"""Audit trail of patient reads and changes, and no patient data in the service's logs."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid

from service_helpers import make_chart

from nurse_app.domain.model import Role
from server_sync.service.core.ids import time_ordered_id
from server_sync.service.core.logging_filter import PatientDataFilter, redact


def _trail(admin, entity, entity_id):
    response = admin.http.get(f"/audit/{entity}/{entity_id}")
    assert response.status_code == 200
    return response.json()["events"]


def test_patient_changes_and_reads_are_audited_with_actor_and_device(world):
    ward = world.ward()
    nurse = world.user(Role.NURSE, (ward,))
    desk = world.desk(nurse)
    chart = make_chart(ward)
    desk.push(*chart.records)
    desk.push(dataclasses.replace(chart.patient, phone="13700000000"), base_version=1)
    desk.http.get(f"/records/patient/{chart.patient.id}")
    desk.pull_all()
    admin = world.desk(world.user(Role.ADMIN))
    events = _trail(admin, "patient", chart.patient.id)
    actions = sorted(e["action"] for e in events if e["actor"] == nurse)
    assert actions == ["create", "read", "read", "update"]
    assert all(e["device"].startswith("PC-1-") for e in events if e["actor"] == nurse)
    assert all("13700000000" not in str(e) and chart.patient.name not in str(e) for e in events)
    task_events = _trail(admin, "task", chart.task.id)
    assert [e["action"] for e in task_events] == ["create"]
    nurse_view = desk.http.get(f"/audit/patient/{chart.patient.id}")
    assert nurse_view.status_code == 403


def test_no_patient_names_or_phones_in_the_logs(world, caplog):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    name, phone = "欧阳娜娜", "13698765432"
    chart = make_chart(ward, name=name, phone=phone)
    with caplog.at_level(logging.DEBUG):
        desk.push(*chart.records)
        broken = desk.mutation(chart.patient)
        broken["payload"]["sex"] = phone  # a rejection whose reason could echo the value
        desk.push_raw([broken])
        desk.pull_all()
        desk.http.get(f"/records/patient/{chart.patient.id}")
        desk.http.post("/sync/push", json={"client_id": 1, "mutations": [{"payload": {"name": name}}]})
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the service should log something (access log) for this check to mean anything"
    assert name not in text and phone not in text


def test_redaction_filter_masks_phone_id_and_names():
    record = logging.LogRecord("followup", logging.INFO, __file__, 1, "call %s at %s id %s", None, None)
    record.args = ("王小明", "13912345678", "11010119500301001X")
    assert PatientDataFilter().filter(record)
    assert record.getMessage() == "call [name] at [phone] id [id]"
    assert redact("GET /sync/pull?cursor=12 200") == "GET /sync/pull?cursor=12 200"


def test_audit_event_ids_are_uuid7_ordered_by_the_millisecond():
    earlier = [time_ordered_id() for _ in range(1000)]
    time.sleep(0.002)
    later = [time_ordered_id() for _ in range(1000)]
    parsed = [uuid.UUID(i) for i in earlier + later]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert len(set(earlier + later)) == 2000
    # Appended at the end of the primary-key index: every later id sorts after every earlier one.
    assert max(earlier) < min(later)
    millis = int(later[0].replace("-", "")[:12], 16)
    assert abs(millis - time.time() * 1000) < 5000
