"""Push: applied / duplicate / seq gap and recovery, replays (also concurrent), poison mutations."""

from __future__ import annotations

import threading

from service_helpers import make_attempt, make_chart, make_patient
from sqlalchemy import func, select

from nurse_app.domain.model import Role
from server_sync.service.records.models import PatientRow
from server_sync.service.sync.models import ChangeRow


def _statuses(results):
    return [result["status"] for result in results]


def test_push_applies_in_order_and_reports_versions(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    response = desk.push_raw([desk.mutation(record) for record in chart.records])
    assert response.status_code == 200
    body = response.json()
    assert body["last_applied_seq"] == 4
    assert body["server_epoch"] == desk.login["server_epoch"]
    assert _statuses(body["results"]) == ["applied"] * 4
    assert [r["server_version"] for r in body["results"]] == [1, 1, 1, 1]
    assert [r["seq"] for r in body["results"]] == [1, 2, 3, 4]


def test_resent_batch_is_acknowledged_as_duplicate(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    batch = [desk.mutation(record) for record in make_chart(ward).records]
    assert _statuses(desk.push_raw(batch).json()["results"]) == ["applied"] * 4
    again = desk.push_raw(batch)  # the response was lost; the desk sends the same batch again
    assert again.status_code == 200
    assert _statuses(again.json()["results"]) == ["duplicate"] * 4
    assert again.json()["last_applied_seq"] == 4


def test_seq_gap_is_409_with_expected_seq_and_recovery_works(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    assert _statuses(desk.push(chart.patient)) == ["applied"]
    gap = desk.push_raw([desk.mutation(chart.encounter, seq=5)])
    assert gap.status_code == 409
    assert gap.json() == {"code": "seq_gap", "message": gap.json()["message"], "expected_seq": 2}
    # Recovery: resend from the expected seq; the overlap with already-applied seqs is fine.
    resend = [desk.mutation(chart.patient, seq=1), desk.mutation(chart.encounter, seq=2)]
    assert _statuses(desk.push_raw(resend).json()["results"]) == ["duplicate", "applied"]


def test_empty_push_reports_last_applied_seq(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    desk.push(*make_chart(ward).records)
    response = desk.push_raw([])
    assert response.status_code == 200 and response.json()["last_applied_seq"] == 4


def test_concurrent_replays_apply_exactly_once(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    charts = [make_chart(ward) for _ in range(10)]
    batch = [desk.mutation(record) for chart in charts for record in chart.records]
    answers: list = []

    def send() -> None:
        with world.http(desk.login["access_token"]) as http:
            body = {"client_id": desk.client_id, "protocol_version": 1, "mutations": batch}
            answers.append(http.post("/sync/push", json=body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    statuses = sorted(_statuses(answers[0].json()["results"]) + _statuses(answers[1].json()["results"]))
    assert statuses == ["applied"] * 40 + ["duplicate"] * 40
    ids = [chart.patient.id for chart in charts]
    with world.database.session() as db_session:
        assert (
            db_session.scalar(select(func.count()).select_from(PatientRow).where(PatientRow.id.in_(ids)))
            == 10
        )
        feed = db_session.scalar(
            select(func.count())
            .select_from(ChangeRow)
            .where(ChangeRow.entity == "patient", ChangeRow.entity_id.in_(ids))
        )
        assert feed == 10  # one feed entry per patient: nothing applied twice


def test_poison_mutation_is_rejected_recorded_and_does_not_block(world):
    ward = world.ward()
    username = world.user(Role.NURSE, (ward,))
    desk = world.desk(username)
    chart = make_chart(ward)
    broken = desk.mutation(chart.patient)
    broken["payload"]["birth_date"] = "not a date"
    orphan = make_attempt(chart.task, username)  # its task is never pushed
    good = make_patient()
    batch = [broken, desk.mutation(orphan), desk.mutation(good)]
    results = desk.push_raw(batch).json()["results"]
    assert _statuses(results) == ["rejected", "rejected", "applied"]
    assert "birth_date" in results[0]["reason"]
    assert "unknown task" in results[1]["reason"]
    issues = desk.http.get("/sync/issues", params={"client_id": desk.client_id}).json()["issues"]
    assert [(i["seq"], i["kind"]) for i in issues] == [(1, "rejected"), (2, "rejected")]
    assert issues[0]["reason"] == results[0]["reason"]
    # The queue moved on: the next seq is accepted, and the rejected seqs are acknowledged.
    assert desk.push_raw([]).json()["last_applied_seq"] == 3
    other = world.desk(world.user(Role.NURSE, (ward,)))
    assert other.http.get("/sync/issues", params={"client_id": desk.client_id}).json()["issues"] == []


def test_mismatched_payload_id_and_unknown_fields_are_rejected(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    patient = make_patient()
    wrong_id = desk.mutation(patient)
    wrong_id["entity_id"] = "another-id"
    extra = desk.mutation(make_patient())
    extra["payload"]["favourite_colour"] = "blue"
    results = desk.push_raw([wrong_id, extra]).json()["results"]
    assert _statuses(results) == ["rejected", "rejected"]
    assert "favourite_colour" in results[1]["reason"]


def test_malformed_batches_are_422_not_applied(world):
    desk = world.desk(world.user())
    holes = [desk.mutation(make_patient(), seq=1), desk.mutation(make_patient(), seq=3)]
    response = desk.push_raw(holes)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    too_many = [desk.mutation(make_patient(), seq=i) for i in range(1, 502)]
    assert desk.push_raw(too_many).status_code == 422
    assert desk.push_raw([]).json()["last_applied_seq"] == 0
