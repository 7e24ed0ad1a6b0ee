"""Role and ward matrix: a nurse of ward A never reads or writes ward B; managers and admins."""

from __future__ import annotations

from service_helpers import make_chart

from nurse_app.domain.model import Role


def _seed_two_wards(world):
    ward_a, ward_b = world.ward("A"), world.ward("B")
    chart_a, chart_b = make_chart(ward_a), make_chart(ward_b)
    world.desk(world.user(Role.NURSE, (ward_a,))).push(*chart_a.records)
    world.desk(world.user(Role.NURSE, (ward_b,))).push(*chart_b.records)
    return ward_a, ward_b, chart_a, chart_b


def _entity_ids(changes, entity):
    return {c["entity_id"] for c in changes if c["entity"] == entity}


def test_nurse_of_ward_a_cannot_write_ward_b_records(world):
    ward_a, ward_b, _chart_a, chart_b = _seed_two_wards(world)
    nurse_a = world.desk(world.user(Role.NURSE, (ward_a,)))
    foreign = make_chart(ward_b)
    results = nurse_a.push(foreign.patient, foreign.encounter, chart_b.patient, chart_b.task)
    # A new patient is hers to register; the ward-B encounter and existing ward-B records are not.
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected"]
    assert ward_b in results[1]["reason"]
    assert "not in any of your wards" in results[2]["reason"]


def test_nurse_of_ward_a_cannot_read_ward_b(world):
    ward_a, _ward_b, chart_a, chart_b = _seed_two_wards(world)
    nurse_a = world.desk(world.user(Role.NURSE, (ward_a,)))
    assert nurse_a.http.get(f"/records/patient/{chart_a.patient.id}").status_code == 200
    for entity, record in (
        ("patient", chart_b.patient),
        ("task", chart_b.task),
        ("encounter", chart_b.encounter),
    ):
        refused = nurse_a.http.get(f"/records/{entity}/{record.id}")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    changes, _ = nurse_a.pull_all()
    assert chart_a.patient.id in _entity_ids(changes, "patient")
    assert chart_b.patient.id not in _entity_ids(changes, "patient")
    assert chart_b.task.id not in _entity_ids(changes, "task")


def test_ward_manager_sees_her_wards_and_admin_sees_all(world):
    ward_a, _ward_b, chart_a, chart_b = _seed_two_wards(world)
    ward_c = world.ward("C")
    manager = world.desk(world.user(Role.WARD_MANAGER, (ward_a, ward_c)))
    changes, _ = manager.pull_all()
    assert chart_a.task.id in _entity_ids(changes, "task")
    assert chart_b.task.id not in _entity_ids(changes, "task")
    assert manager.http.get(f"/records/task/{chart_b.task.id}").status_code == 403
    admin = world.desk(world.user(Role.ADMIN))
    assert admin.http.get(f"/records/task/{chart_b.task.id}").status_code == 200
    changes, _ = admin.pull_all()
    assert {chart_a.task.id, chart_b.task.id} <= _entity_ids(changes, "task")


def test_patient_seen_in_a_second_ward_appears_in_its_feed(world):
    _ward_a, ward_b, chart_a, _ = _seed_two_wards(world)
    nurse_b = world.desk(world.user(Role.NURSE, (ward_b,)))
    _, cursor = nurse_b.pull_all()
    admin = world.desk(world.user(Role.ADMIN))
    readmission = make_chart(ward_b)
    readmission.encounter.patient_id = chart_a.patient.id
    assert admin.push(readmission.encounter)[0]["status"] == "applied"
    changes, _ = nurse_b.pull_all(cursor)
    assert chart_a.patient.id in _entity_ids(changes, "patient")
    assert nurse_b.http.get(f"/records/patient/{chart_a.patient.id}").status_code == 200


def test_only_admins_use_admin_endpoints_and_only_managers_delete(world):
    ward = world.ward()
    nurse = world.desk(world.user(Role.NURSE, (ward,)))
    manager = world.desk(world.user(Role.WARD_MANAGER, (ward,)))
    body = {"code": f"X{world.tag}", "name": "新病区", "department": "骨科"}
    assert nurse.http.post("/admin/wards", json=body).status_code == 403
    assert manager.http.post("/admin/wards", json=body).status_code == 403
    chart = make_chart(ward)
    nurse.push(*chart.records)
    refused = nurse.push(chart.enrollment, op="delete")[0]
    assert refused["status"] == "rejected" and "ward managers" in refused["reason"]
    assert manager.push(chart.enrollment, op="delete")[0]["status"] == "applied"
    gone = nurse.http.get(f"/records/enrollment/{chart.enrollment.id}").json()
    assert gone["op"] == "delete" and gone["payload"] is None
    changes, _ = nurse.pull_all()
    tombstones = [c for c in changes if c["entity_id"] == chart.enrollment.id]
    assert [(c["op"], c["payload"]) for c in tombstones] == [("delete", None)]
    assert manager.push(chart.attempt if hasattr(chart, "attempt") else chart.task, op="delete")[0][
        "status"
    ] == ("rejected")


def test_config_feed_and_admin_publishing(world):
    admin = world.desk(world.user(Role.ADMIN))
    start = admin.http.get("/config").json()["config_version"]
    code = f"X{world.tag}"
    ward = {"code": code, "name": "新病区", "department": "骨科", "calling_hours": {"start": "09:00:00"}}
    assert admin.http.post("/admin/wards", json=ward).status_code == 201
    scale = {"code": f"PHQ9-{world.tag}", "title": "PHQ-9", "items": [{"linkId": "q1", "type": "choice"}]}
    first = admin.http.post("/admin/scales", json=scale).json()
    assert first["version"] == 1
    assert admin.http.post("/admin/scales", json=scale).json()["version"] == 1  # unchanged: no new version
    changed = admin.http.post("/admin/scales", json={**scale, "title": "PHQ-9 v2"}).json()
    assert changed["version"] == 2
    immutable = admin.http.post("/admin/scales", json={**scale, "version": 1, "title": "edited"})
    assert immutable.status_code == 409
    rules = [{"link_id": "sbp", "op": ">=", "value": 180, "severity": "critical"}]
    assert admin.http.post("/admin/thresholds", json={"ward_code": code, "rules": rules}).status_code == 201
    nurse = world.desk(world.user(Role.NURSE, (code,)))
    feed = nurse.http.get("/config", params={"since": start}).json()
    kinds = [(d["kind"], d["key"], d["version"]) for d in feed["documents"]]
    assert (
        ("ward", code, 1) in kinds
        and ("scale", scale["code"], 2) in kinds
        and ("thresholds", code, 1) in kinds
    )
    assert all("password" not in str(d["body"]) for d in feed["documents"])
    assert feed["config_version"] >= max(d["config_version"] for d in feed["documents"])
    assert nurse.http.get("/config", params={"since": feed["config_version"]}).json()["documents"] == []
