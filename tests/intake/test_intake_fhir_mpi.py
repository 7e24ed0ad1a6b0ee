"""FHIR R4 intake over HTTP, the patient master index across sources, and the review queues."""

from __future__ import annotations

import uuid

from fhir.resources.R4B.bundle import Bundle

from nurse_app.domain.model import InclusionRule, OffsetUnit, Plan, PlanStep, PublicationStatus, Role
from server_sync.protocol import entity_to_payload
from server_sync.service.config import publishing


def _bundle(
    hospital,
    *,
    mrn=None,
    end="2026-11-28T09:30:00+08:00",
    icd="I50.9",
    name=("张", "三丰"),
    phone=None,
    national_id=None,
) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {"type": {"coding": [{"code": "MR"}]}, "value": mrn or hospital.mrn},
                        {
                            "system": "urn:oid:2.16.156.10011.1.3",
                            "value": national_id or hospital.national_id,
                        },
                    ],
                    "name": [{"family": name[0], "given": [name[1]]}],
                    "gender": "male",
                    "birthDate": f"{hospital.birth[:4]}-{hospital.birth[4:6]}-{hospital.birth[6:]}",
                    "telecom": [{"system": "phone", "value": phone or hospital.phone}],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:e1",
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                    "identifier": [{"value": f"F{hospital.visit}"}],
                    "subject": {"reference": "urn:uuid:p1"},
                    "period": {"start": "2026-11-20T08:00:00+08:00", **({"end": end} if end else {})},
                    "location": [{"location": {"identifier": {"value": hospital.ward}}}],
                    "diagnosis": [{"condition": {"reference": "urn:uuid:c1"}, "rank": 1}],
                    "hospitalization": {"dischargeDisposition": {"coding": [{"code": "home"}]}},
                },
                "request": {"method": "POST", "url": "Encounter"},
            },
            {
                "fullUrl": "urn:uuid:c1",
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": "urn:uuid:p1"},
                    "code": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/icd-10", "code": icd, "display": "心力衰竭"}
                        ]
                    },
                },
                "request": {"method": "POST", "url": "Condition"},
            },
        ],
    }


def test_fhir_bundle_is_valid_r4_and_discharges(hospital, world):
    body = _bundle(hospital)
    Bundle.model_validate(body)  # the fixture is real FHIR R4 (R4B shares these resources)
    admin = world.desk(world.user(Role.ADMIN))
    answer = admin.http.post("/intake/fhir", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["enrolled"] == ["HF-DISCHARGE"]
    nurse = world.desk(world.user(Role.NURSE, (hospital.ward,)))
    assert nurse.http.post("/intake/fhir", json=body).status_code == 403
    # The same stay again from HL7 (same national ID, other MRN): one patient, no second enrollment.
    hl7 = hospital.send("a03_discharge.hl7", **{"$MRN": "H" + hospital.mrn, "$VISIT": f"F{hospital.visit}"})
    assert (
        hl7.code == "AA"
        and hl7.result.patient_id == answer.json()["patient_id"]
        and hl7.result.enrolled == []
    )
    bad = _bundle(hospital, end="28/11/2026")
    refused = admin.http.post("/intake/fhir", json=bad)
    assert refused.status_code == 422 and "Encounter.period.end" in refused.json()["message"]
    letter_id = refused.json()["message"].rsplit("dead letter ", 1)[1]
    shown = admin.http.get(f"/intake/dead-letters/{letter_id}").json()
    assert shown["source"] == "fhir" and "28/11/2026" in shown["raw"]


def test_uncertain_match_goes_to_review_and_can_be_merged(hospital, world):
    admin = world.desk(world.user(Role.ADMIN))
    first = admin.http.post("/intake/fhir", json=_bundle(hospital)).json()
    # Same name and birth date, another phone, no national ID given: maybe the same person.
    other = _bundle(hospital, mrn=f"ZY{uuid.uuid4().hex[:8]}", phone="13700000000")
    del other["entry"][0]["resource"]["identifier"][1]
    other["entry"][1]["resource"]["identifier"] = [{"value": f"G{hospital.visit}"}]
    second = admin.http.post("/intake/fhir", json=other).json()
    assert second["patient_id"] != first["patient_id"] and second["review_items"] >= 1
    manager = world.desk(world.user(Role.WARD_MANAGER, (hospital.ward,)))
    queue = manager.http.get("/intake/review").json()["patients"]
    item = next(i for i in queue if i["patient_id"] == second["patient_id"])
    assert item["candidate_id"] == first["patient_id"] and "same name" in item["reasons"]
    assert manager.http.post(f"/intake/review/patients/{item['id']}/merge").status_code == 403
    merged = admin.http.post(f"/intake/review/patients/{item['id']}/merge")
    assert merged.status_code == 200 and merged.json()["surviving_id"] == first["patient_id"]
    assert admin.http.get(f"/records/patient/{second['patient_id']}").json()["op"] == "delete"


def test_candidate_between_bounds_waits_for_the_ward(hospital, world):
    plan = Plan(
        f"REVIEW-{world.tag}",
        1,
        "候选",
        PublicationStatus.PUBLISHED,
        (PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24),),
        wards=(hospital.ward,),
        inclusion_rules=(InclusionRule("icd10_prefix", "I50", 1.0), InclusionRule("readmission", "30", 1.0)),
        enrollment_threshold=2.0,
    )
    with hospital.database.transaction() as s:
        publishing.publish_plan(db_session=s, body=entity_to_payload(plan), actor="test")
    outcome = hospital.send("a03_discharge.hl7")
    assert plan.code in outcome.result.candidates
    nurse = world.desk(world.user(Role.NURSE, (hospital.ward,)))
    stranger = world.desk(world.user(Role.NURSE, (hospital.ward2,)))
    queue = nurse.http.get("/intake/review").json()["enrollments"]
    candidate = next(c for c in queue if c["plan_code"] == plan.code)
    assert (
        candidate["score"] == 1.0 and candidate["explanation"]["contributions"][0]["kind"] == "icd10_prefix"
    )
    assert not [
        c for c in stranger.http.get("/intake/review").json()["enrollments"] if c["plan_code"] == plan.code
    ]
    _, cursor = nurse.pull_all()
    accepted = nurse.http.post(f"/intake/review/enrollments/{candidate['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    changes, _ = nurse.pull_all(cursor)
    assert any(c["entity"] == "task" and c["payload"]["plan_code"] == plan.code for c in changes)
