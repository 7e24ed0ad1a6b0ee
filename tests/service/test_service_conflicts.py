"""Conflict rules: append-only records, the task state machine, two completions, patient field merge."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from service_helpers import NOW, make_attempt, make_chart, make_response

from nurse_app.domain import tasks as task_machine
from nurse_app.domain.model import CallOutcome, Role


def _started(task):
    task = dataclasses.replace(task)
    task_machine.start_call(task, NOW)
    return task


def _completed(task):
    task = _started(task)
    task_machine.complete_with_response(task, NOW + timedelta(hours=1))
    return task


def test_append_only_identical_is_duplicate_other_content_is_conflict(world):
    ward = world.ward()
    nurse = world.user(Role.NURSE, (ward,))
    desk = world.desk(nurse)
    chart = make_chart(ward)
    attempt = make_attempt(chart.task, nurse, CallOutcome.NO_ANSWER)
    assert [r["status"] for r in desk.push(*chart.records, attempt)] == ["applied"] * 5
    second_desk = world.desk(nurse)  # another PC re-sends the very same attempt
    assert second_desk.push(attempt)[0]["status"] == "duplicate"
    edited = dataclasses.replace(attempt, note="changed afterwards")
    result = desk.push(edited)[0]
    assert result["status"] == "conflict" and "append-only" in result["reason"]
    issues = desk.http.get("/sync/issues", params={"client_id": desk.client_id}).json()["issues"]
    assert [i["kind"] for i in issues] == ["conflict"]
    stored = desk.http.get(f"/records/call_attempt/{attempt.id}").json()
    assert stored["payload"]["note"] == ""


def test_two_nurses_complete_one_task_first_wins_second_is_kept_for_review(world):
    ward = world.ward()
    first, second = world.user(Role.NURSE, (ward,), "a"), world.user(Role.NURSE, (ward,), "b")
    desk_a, desk_b = world.desk(first), world.desk(second)
    chart = make_chart(ward)
    desk_a.push(*chart.records)
    # Both desks were offline and completed the same task with their own response.
    response_a, response_b = make_response(chart.task, first, 2.0), make_response(chart.task, second, 5.0)
    results_a = desk_a.push(response_a, _completed(chart.task), base_version=1)
    assert [r["status"] for r in results_a] == ["applied", "applied"]
    results_b = desk_b.push(response_b, _completed(chart.task), base_version=1)
    assert results_b[0]["status"] == "applied" and "review" in results_b[0]["reason"]
    assert results_b[1]["status"] == "conflict" and first in results_b[1]["reason"]
    task = desk_a.http.get(f"/records/task/{chart.task.id}").json()
    assert task["payload"]["status"] == "completed"
    kept = desk_a.http.get(f"/records/response/{response_b.id}").json()
    assert kept["payload"]["score"] == 5.0 and kept["flags"] == ["needs_review"]
    assert desk_a.http.get(f"/records/response/{response_a.id}").json()["flags"] == []
    changes, _ = desk_a.pull_all()
    flagged = [c for c in changes if c["entity"] == "response" and c["entity_id"] == response_b.id]
    assert flagged[0]["flags"] == ["needs_review"]
    issues = desk_b.http.get("/sync/issues", params={"client_id": desk_b.client_id}).json()["issues"]
    assert [i["kind"] for i in issues] == ["conflict"]


def test_second_completion_pushed_before_its_response_still_flags_it(world):
    ward = world.ward()
    first, second = world.user(Role.NURSE, (ward,), "a"), world.user(Role.NURSE, (ward,), "b")
    desk_a, desk_b = world.desk(first), world.desk(second)
    chart = make_chart(ward)
    desk_a.push(*chart.records)
    desk_a.push(_completed(chart.task), make_response(chart.task, first), base_version=1)
    late = make_response(chart.task, second)
    results = desk_b.push(_completed(chart.task), late, base_version=1)
    assert [r["status"] for r in results] == ["conflict", "applied"]
    assert desk_a.http.get(f"/records/response/{late.id}").json()["flags"] == ["needs_review"]


def test_terminal_state_wins_over_a_late_edit(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    desk.push(*chart.records)
    cancelled = dataclasses.replace(chart.task)
    task_machine.cancel(cancelled, NOW, "patient moved away")
    assert desk.push(cancelled, base_version=1)[0]["status"] == "applied"
    late_start = _started(chart.task)  # an offline PC started the call from the old state
    result = desk.push(late_start, base_version=1)[0]
    assert result["status"] == "conflict" and "terminal" in result["reason"]
    assert desk.http.get(f"/records/task/{chart.task.id}").json()["payload"]["status"] == "cancelled"


def test_task_transition_not_allowed_by_the_state_machine_is_a_conflict(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    desk.push(*chart.records)
    paused = dataclasses.replace(chart.task)
    task_machine.pause(paused, "readmitted")
    assert desk.push(paused, base_version=1)[0]["status"] == "applied"
    result = desk.push(_started(chart.task), base_version=1)[0]  # paused → in_progress is not allowed
    assert result["status"] == "conflict" and "state machine" in result["reason"]
    assert desk.http.get(f"/records/task/{chart.task.id}").json()["payload"]["status"] == "paused"


def test_open_task_moves_on_and_versions_increase(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    desk.push(*chart.records)
    started = _started(chart.task)
    first = desk.push(started, base_version=1)[0]
    assert (first["status"], first["server_version"]) == ("applied", 2)
    again = desk.push(started, base_version=2)[0]  # the same state again changes nothing
    assert (again["status"], again["server_version"]) == ("applied", 2)
    stored = desk.http.get(f"/records/task/{chart.task.id}").json()
    assert stored["payload"]["status"] == "in_progress" and stored["server_version"] == 2


def test_patient_fields_merge_and_same_field_clash_keeps_server_value(world):
    ward = world.ward()
    desk_a = world.desk(world.user(Role.NURSE, (ward,), "a"))
    desk_b = world.desk(world.user(Role.NURSE, (ward,), "b"))
    chart = make_chart(ward)
    desk_a.push(*chart.records)
    # Both desks edit version 1: A the phone, B the national ID → both kept.
    by_a = dataclasses.replace(chart.patient, phone="13800000001")
    by_b = dataclasses.replace(chart.patient, national_id="110101195003010011")
    result_a = desk_a.push(by_a, base_version=1)[0]
    assert (result_a["status"], result_a["server_version"]) == ("applied", 2)
    result_b = desk_b.push(by_b, base_version=1)[0]
    assert result_b["status"] == "applied" and result_b["server_version"] == 3
    merged = desk_a.http.get(f"/records/patient/{chart.patient.id}").json()["payload"]
    assert merged["phone"] == "13800000001" and merged["national_id"] == "110101195003010011"
    assert merged["version"] == 3
    # B now changes the phone too, still from version 1: a same-field clash, the server keeps A's value.
    clash = dataclasses.replace(chart.patient, phone="13900000009", name="张三")
    result = desk_b.push(clash, base_version=1)[0]
    assert result["status"] == "conflict" and "phone" in result["reason"] and "name" not in result["reason"]
    after = desk_a.http.get(f"/records/patient/{chart.patient.id}").json()["payload"]
    assert after["phone"] == "13800000001" and after["name"] == "张三"  # the non-clashing field merged
    issues = desk_b.http.get("/sync/issues", params={"client_id": desk_b.client_id}).json()["issues"]
    assert [i["kind"] for i in issues] == ["conflict"]


def test_two_edits_from_one_desk_in_one_batch_both_apply(world):
    ward = world.ward()
    desk = world.desk(world.user(Role.NURSE, (ward,)))
    chart = make_chart(ward)
    desk.push(*chart.records)
    first = dataclasses.replace(chart.patient, phone="13800000002")
    second = dataclasses.replace(first, national_id="110101195003010022")
    results = desk.push(first, second, base_version=1)
    assert [r["status"] for r in results] == ["applied", "applied"]
    stored = desk.http.get(f"/records/patient/{chart.patient.id}").json()
    assert stored["payload"]["phone"] == "13800000002" and stored["server_version"] == 3
