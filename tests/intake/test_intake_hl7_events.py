"""ADT events applied to the records: admit, transfer, discharge (enrollment + tasks), update,
cancellations, merge; duplicates, out-of-order events, charsets, malformed messages, replay."""

from __future__ import annotations

from sqlalchemy import select

from nurse_app.domain.model import Ward
from server_sync.service.config import service as config_service
from server_sync.service.intake import hl7_intake
from server_sync.service.intake.models import DeadLetterRow, PlanMatchRow
from server_sync.service.intake.service import replay
from server_sync.service.records.models import EncounterRow, EnrollmentRow, PatientRow, TaskRow
from server_sync.service.sync.models import ChangeRow


def _one(db, model, **where):
    with db.session() as s:
        rows = s.scalars(select(model).filter_by(**where)).all()
    return rows


def _tasks(db, patient_id):
    return sorted(_one(db, TaskRow, patient_id=patient_id), key=lambda t: t.payload["due_at"])


def _letter(db, letter_id) -> DeadLetterRow:
    with db.session() as s:
        return s.get(DeadLetterRow, letter_id)


def test_admit_transfer_discharge_enrolls_with_first_task_due_at_discharge(hospital):
    db = hospital.database
    admit = hospital.send("a01_admit.hl7")
    assert admit.code == "AA", admit.ack
    assert "MSA|AA|" in admit.ack and admit.ack.startswith("MSH|^~\\&|FOLLOWUP|NURSESTATION|HIS|HOSP|")
    patient = _one(db, PatientRow, id=admit.result.patient_id)[0]
    assert patient.payload["name"] == "张三丰" and patient.payload["national_id"] == hospital.national_id
    encounter = _one(db, EncounterRow, id=admit.result.encounter_id)[0]
    assert encounter.ward_code == hospital.ward and encounter.payload["discharged_at"] is None
    # \F\ inside a component is a literal field separator.
    assert encounter.payload["diagnoses"][0]["description"] == "心力衰竭|NYHA III级"

    moved = hospital.send("a02_transfer.hl7")
    assert moved.code == "AA", moved.ack
    encounter = _one(db, EncounterRow, id=admit.result.encounter_id)[0]
    assert encounter.ward_code == hospital.ward2

    discharge = hospital.send("a03_discharge.hl7", **{"$WARD2": hospital.ward2, "$WARD": hospital.ward2})
    assert discharge.code == "AA", discharge.ack
    assert discharge.result.encounter_id == admit.result.encounter_id
    assert discharge.result.enrolled == ["HF-DISCHARGE"]  # the general plan is only a fallback
    encounter = _one(db, EncounterRow, id=admit.result.encounter_id)[0]
    assert encounter.payload["procedures"] == ["冠状动脉造影"]
    assert [d["icd10"] for d in encounter.payload["diagnoses"]] == ["I50.9", "I10"]
    tasks = _tasks(db, patient.id)
    assert len(tasks) == 3 and {t.ward_code for t in tasks} == {hospital.ward2}
    first = tasks[0].payload
    assert first["due_at"] == encounter.payload["discharged_at"] == "2026-11-28T00:30:00Z"
    assert first["window_end"] == "2026-11-29T00:30:00Z"
    with db.session() as s:
        feed = s.scalars(select(ChangeRow).where(ChangeRow.entity_id.in_([t.id for t in tasks]))).all()
        match = s.scalars(select(PlanMatchRow).where(PlanMatchRow.encounter_id == encounter.id)).one()
    assert {c.ward_code for c in feed} == {hospital.ward2} and len(feed) == 3
    assert match.status == "enrolled" and "icd10_prefix=I +1" in match.explanation["text"]


def test_same_control_id_twice_gives_the_same_ack_and_changes_nothing(hospital):
    db = hospital.database
    first = hospital.send("a03_discharge.hl7", control="DUP-" + hospital.visit)
    again = hospital.send("a03_discharge.hl7", control="DUP-" + hospital.visit)
    assert first.code == again.code == "AA" and again.duplicate and again.ack == first.ack
    assert len(_tasks(db, first.result.patient_id)) == 3
    # A resend under a new control ID is applied, but the stay is not enrolled twice.
    third = hospital.send("a03_discharge.hl7")
    assert third.code == "AA" and third.result.enrolled == []
    assert len(_one(db, EnrollmentRow, patient_id=first.result.patient_id)) == 1


def test_discharge_before_admission_and_update_after_discharge(hospital):
    db = hospital.database
    discharge = hospital.send("a03_discharge.hl7")
    assert discharge.code == "AA" and discharge.result.enrolled == ["HF-DISCHARGE"]
    late_admit = hospital.send("a01_admit.hl7")
    assert late_admit.result.encounter_id == discharge.result.encounter_id
    update = hospital.send("a08_update.hl7")
    assert update.code == "AA", update.ack
    encounter = _one(db, EncounterRow, id=discharge.result.encounter_id)[0]
    assert encounter.payload["discharged_at"] == "2026-11-28T00:30:00Z"  # not reopened
    patient = _one(db, PatientRow, id=discharge.result.patient_id)[0]
    assert patient.payload["phone"] == "13800001111"
    assert len(_one(db, EnrollmentRow, patient_id=patient.id)) == 1


def test_cancel_discharge_cancels_open_tasks_and_rediscahrge_enrolls_again(hospital):
    db = hospital.database
    discharge = hospital.send("a03_discharge.hl7")
    cancel = hospital.send("a13_cancel_discharge.hl7")
    assert cancel.code == "AA" and cancel.result.cancelled_tasks == 3
    tasks = _tasks(db, discharge.result.patient_id)
    assert {t.status for t in tasks} == {"cancelled"}
    assert {t.payload["status_reason"] for t in tasks} == {"discharge cancelled (A13)"}
    encounter = _one(db, EncounterRow, id=discharge.result.encounter_id)[0]
    assert encounter.payload["discharged_at"] is None
    assert _one(db, EnrollmentRow, patient_id=encounter.patient_id)[0].payload["status"] == "cancelled"
    again = hospital.send("a03_discharge.hl7")
    assert again.result.enrolled == ["HF-DISCHARGE"]
    assert len([t for t in _tasks(db, encounter.patient_id) if t.status == "pending"]) == 3


def test_cancel_admission_tombstones_the_encounter(hospital):
    db = hospital.database
    admit = hospital.send("a01_admit.hl7")
    cancel = hospital.send("a11_cancel_admit.hl7")
    assert cancel.code == "AA", cancel.ack
    encounter = _one(db, EncounterRow, id=admit.result.encounter_id)[0]
    assert encounter.deleted
    with db.session() as s:
        change = s.scalars(select(ChangeRow).where(ChangeRow.entity_id == encounter.id)).one()
    assert change.op == "delete"
    unknown = hospital.send("a11_cancel_admit.hl7", **{"$VISIT": "NOPE" + hospital.visit})
    assert unknown.code == "AE" and "ERR|PV1^1^19^204&Unknown key identifier" in unknown.ack


def test_merge_moves_histories_and_tombstones_the_merged_patient(hospital, world):
    db = hospital.database
    old_mrn = hospital.mrn
    first = hospital.send("a03_discharge.hl7")
    other = type(hospital)(db, hospital.settings, hospital.ward, hospital.ward2)
    second = other.send("a01_admit.hl7")
    assert first.result.patient_id != second.result.patient_id
    merged = other.send("a40_merge.hl7", **{"$OLDMRN": old_mrn})
    assert merged.code == "AA", merged.ack
    survivor = second.result.patient_id
    assert {e.patient_id for e in _one(db, EncounterRow, patient_id=survivor)} == {survivor}
    assert len(_one(db, EncounterRow, patient_id=survivor)) == 2
    assert len(_tasks(db, survivor)) == 3 and all(
        t.payload["patient_id"] == survivor for t in _tasks(db, survivor)
    )
    gone = _one(db, PatientRow, id=first.result.patient_id)[0]
    assert gone.deleted
    with db.session() as s:
        tomb = s.scalars(select(ChangeRow).where(ChangeRow.entity_id == gone.id)).all()
    assert tomb and {c.op for c in tomb} == {"delete"}
    # Later messages under the old MRN land on the survivor.
    later = hospital.send("a08_update.hl7")
    assert later.result.patient_id == survivor


def test_gb18030_message_keeps_chinese_names(hospital):
    outcome = hospital.send("a03_discharge_gb18030.hl7")
    assert outcome.code == "AA", outcome.ack
    patient = _one(hospital.database, PatientRow, id=outcome.result.patient_id)[0]
    assert patient.payload["name"] == "龑䶮喆"


def test_malformed_messages_get_the_right_ack_and_a_dead_letter(hospital):
    cases = {
        "bad_missing_msh9.hl7": ("AR", "MSH^1^9", "101"),
        "bad_birth_date.hl7": ("AE", "PID^1^7", "102"),
        "bad_encoding_chars.hl7": ("AR", "MSH^1^2", "102"),
        "bad_charset.hl7": ("AR", "MSH^1^18", "102"),
        "bad_unsupported_event.hl7": ("AR", "MSH^1^9^1^2", "201"),
        "bad_missing_mrn.hl7": ("AE", "PID^1^3", "101"),
    }
    for name, (code, location, hl7_code) in cases.items():
        raw = hospital.message(name)
        outcome = hl7_intake.process(database=hospital.database, raw=raw, settings=hospital.settings)
        assert outcome.code == code, (name, outcome.ack)
        err = next(line for line in outcome.ack.split("\r") if line.startswith("ERR|"))
        assert err.split("|")[2] == location and err.split("|")[3].startswith(hl7_code), (name, err)
        letter = _letter(hospital.database, outcome.dead_letter_id)
        assert letter.raw == raw and letter.reason and letter.received_at is not None, name


def test_oversized_message_is_refused_and_kept(hospital):
    raw = hospital.message("a01_admit.hl7") + b"NTE|1||" + b"x" * (5 * 1024 * 1024) + b"\r"
    outcome = hl7_intake.process(database=hospital.database, raw=raw, settings=hospital.settings)
    assert outcome.code == "AR" and "larger than" in outcome.ack
    letter = _letter(hospital.database, outcome.dead_letter_id)
    assert letter.size == len(raw) and letter.raw == raw


def test_unknown_ward_is_dead_lettered_then_replayed_after_the_fix(hospital, world):
    new_ward = f"N{world.tag}"
    outcome = hospital.send("a03_discharge.hl7", **{"$WARD": new_ward})
    assert outcome.code == "AE" and "ERR|PV1^1^3^103&Table value not found" in outcome.ack
    with hospital.database.transaction() as s:
        config_service.upsert_ward(db_session=s, ward=Ward(new_ward, "新病区", "心内科"), published_by="test")
    result = replay(
        database=hospital.database, dead_letter_id=outcome.dead_letter_id, settings=hospital.settings
    )
    assert result["status"] == "replayed" and result["ack_code"] == "AA"
    assert _letter(hospital.database, outcome.dead_letter_id).status == "replayed"
    encounters = _one(hospital.database, EncounterRow, ward_code=new_ward)
    assert len(encounters) == 1
    # The stored ACK for that control ID is now the AA of the replay.
    resend = hospital.send("a03_discharge.hl7", control=outcome.control_id, **{"$WARD": new_ward})
    assert resend.duplicate and resend.code == "AA"
