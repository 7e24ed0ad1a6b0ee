"""Worked examples of DESIGN.md "Definitions that every number uses", one group per rate.

These pin the pure definitions in ``nurse_app.domain.metrics``; the SQL twins are
held to them by ``test_metrics_agree.py``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from nurse_app.domain.errors import DomainError
from nurse_app.domain.metrics import (
    Durations,
    GroupBy,
    Period,
    Rate,
    RateTable,
    call_durations,
    first_task,
    miss_rate,
    month_key,
    on_time_rate,
    rate_table,
    reach_rate,
    satisfaction_rate,
    zone_offset,
)
from nurse_app.domain.model import (
    Answer,
    CallAttempt,
    CallOutcome,
    Encounter,
    FollowUpTask,
    Response,
    TaskStatus,
)

S = TaskStatus
O = CallOutcome  # noqa: E741 - reads like the DESIGN outcome list

# March 2024 in UTC; Shanghai's April starts at 2024-03-31T16:00Z, inside it.
PERIOD = Period(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
AS_OF = datetime(2024, 4, 15, tzinfo=UTC)
DUE = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)
WINDOW_END = DUE + timedelta(hours=24)
DISCHARGED = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
SECOND = timedelta(seconds=1)


def task(id: str = "t1", **overrides: object) -> FollowUpTask:
    fields: dict[str, object] = dict(
        enrollment_id="enr-1",
        patient_id="pat-1",
        encounter_id="enc-1",
        ward_code="W01",
        plan_code="HF",
        plan_version=1,
        step_no=1,
        due_at=DUE,
        window_end=WINDOW_END,
        assignee="nurse-a",
        id=id,
    )
    fields.update(overrides)
    return FollowUpTask(**fields)  # type: ignore[arg-type]


def attempt(task_id: str, started_at: datetime, outcome: CallOutcome, **overrides: object) -> CallAttempt:
    fields: dict[str, object] = dict(
        task_id=task_id, nurse="nurse-a", started_at=started_at, ended_at=None, outcome=outcome
    )
    fields.update(overrides)
    return CallAttempt(**fields)  # type: ignore[arg-type]


def encounter(id: str = "enc-1", discharged_at: datetime | None = DISCHARGED, ward: str = "W01") -> Encounter:
    return Encounter(
        patient_id="pat-1",
        ward_code=ward,
        admitted_at=DISCHARGED - timedelta(days=5),
        discharged_at=discharged_at,
        id=id,
    )


def satisfaction(ordinal: float | None, link_id: str = "sat") -> Answer:
    return Answer(link_id=link_id, value=ordinal, ordinal=ordinal, is_satisfaction=True)


def response(id: str, answers: tuple[Answer, ...], **overrides: object) -> Response:
    fields: dict[str, object] = dict(
        task_id="t1",
        questionnaire_code="SAT",
        questionnaire_version=1,
        answers=answers,
        submitted_by="nurse-a",
        submitted_at=DUE + timedelta(hours=2),
        id=id,
    )
    fields.update(overrides)
    return Response(**fields)  # type: ignore[arg-type]


def by_ward_miss(*tasks: FollowUpTask, as_of: datetime = AS_OF) -> dict[str, Rate]:
    return miss_rate(tasks, PERIOD, as_of=as_of, by=GroupBy.WARD)


# ---------------------------------------------------------------------------
# Rate, Period, months


def test_rate_value_is_none_for_empty_population() -> None:
    assert Rate(0, 0).value is None
    assert Rate(1, 4).value == 0.25


def test_period_rejects_naive_and_reversed_bounds() -> None:
    with pytest.raises(DomainError):
        Period(datetime(2024, 3, 1), datetime(2024, 4, 1, tzinfo=UTC))
    with pytest.raises(DomainError):
        Period(datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))


def test_period_is_half_open_and_normalised_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    period = Period(datetime(2024, 3, 1, 8, tzinfo=beijing), datetime(2024, 4, 1, tzinfo=UTC))
    assert period.start == datetime(2024, 3, 1, tzinfo=UTC) and period.start.tzinfo is UTC
    assert period.start in period
    assert period.end not in period


def test_month_is_taken_in_the_ward_zone() -> None:
    offset = zone_offset("Asia/Shanghai", PERIOD.start)
    assert offset == timedelta(hours=8)
    assert month_key(datetime(2024, 3, 31, 15, 59, 59, 999999, tzinfo=UTC), offset) == "2024-03"
    assert month_key(datetime(2024, 3, 31, 16, 0, tzinfo=UTC), offset) == "2024-04"


def test_dst_zone_uses_the_offset_at_period_start() -> None:
    # New York is UTC−5 on 1 March and UTC−4 from 10 March; the whole period keeps UTC−5,
    # so 00:30 EDT on 1 April (04:30Z) still falls in March — the documented approximation.
    spring = Period(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
    assert zone_offset("America/New_York", spring.start) == timedelta(hours=-5)
    late = task(window_end=datetime(2024, 4, 1, 4, 30, tzinfo=UTC))
    rates = miss_rate([late], spring, as_of=AS_OF, by=GroupBy.MONTH, zone="America/New_York")
    assert rates == {"2024-03": Rate(1, 1)}


def test_unknown_zone_is_a_domain_error() -> None:
    with pytest.raises(DomainError):
        miss_rate([], PERIOD, as_of=AS_OF, by=GroupBy.MONTH, zone="Mars/Olympus")


# ---------------------------------------------------------------------------
# 1. Miss rate


def test_completed_exactly_at_window_end_is_on_time() -> None:
    done = task(status=S.COMPLETED, completed_at=WINDOW_END, finished_by=O.REACHED)
    assert by_ward_miss(done) == {"W01": Rate(0, 1)}


def test_completed_one_second_late_is_missed() -> None:
    late = task(status=S.COMPLETED, completed_at=WINDOW_END + SECOND, finished_by=O.REACHED)
    assert by_ward_miss(late) == {"W01": Rate(1, 1)}


def test_pending_task_with_closed_window_is_missed_before_the_sweep() -> None:
    assert by_ward_miss(task(status=S.PENDING)) == {"W01": Rate(1, 1)}
    assert by_ward_miss(task(status=S.IN_PROGRESS)) == {"W01": Rate(1, 1)}
    assert by_ward_miss(task(status=S.MISSED)) == {"W01": Rate(1, 1)}


def test_three_unanswered_attempts_then_closed_window_is_missed() -> None:
    # "whatever the number of attempts": trying hard is not completing.
    tried = task(status=S.PENDING, attempts=3)
    assert by_ward_miss(tried) == {"W01": Rate(1, 1)}


def test_cancelled_and_paused_tasks_leave_the_population() -> None:
    tasks = [task("a", status=S.CANCELLED), task("b", status=S.PAUSED), task("c", status=S.PENDING)]
    assert by_ward_miss(*tasks) == {"W01": Rate(1, 1)}


def test_completed_without_a_completion_time_is_missed() -> None:
    assert by_ward_miss(task(status=S.COMPLETED, completed_at=None)) == {"W01": Rate(1, 1)}


def test_window_still_open_at_as_of_is_not_judged() -> None:
    assert by_ward_miss(task(), as_of=WINDOW_END - SECOND) == {}
    assert by_ward_miss(task(), as_of=WINDOW_END) == {"W01": Rate(1, 1)}


def test_miss_population_is_by_window_end_in_the_half_open_period() -> None:
    at_start = task("a", due_at=PERIOD.start - DAY, window_end=PERIOD.start)
    at_end = task("b", due_at=PERIOD.end - DAY, window_end=PERIOD.end)
    assert by_ward_miss(at_start, at_end) == {"W01": Rate(1, 1)}


def test_miss_rate_groups() -> None:
    tasks = [
        task(
            "a",
            ward_code="W01",
            assignee=None,
            plan_code="HF",
            window_end=datetime(2024, 3, 31, 15, tzinfo=UTC),
        ),
        task(
            "b",
            ward_code="W02",
            assignee="nurse-b",
            plan_code="DM",
            window_end=datetime(2024, 3, 31, 17, tzinfo=UTC),
        ),
        task(
            "c",
            ward_code="W02",
            assignee="nurse-b",
            plan_code="HF",
            status=S.COMPLETED,
            completed_at=WINDOW_END,
        ),
    ]

    def rates(by: GroupBy) -> dict[str, Rate]:
        return miss_rate(tasks, PERIOD, as_of=AS_OF, by=by)

    assert rates(GroupBy.WARD) == {"W01": Rate(1, 1), "W02": Rate(1, 2)}
    assert rates(GroupBy.NURSE) == {"": Rate(1, 1), "nurse-b": Rate(1, 2)}
    assert rates(GroupBy.PLAN) == {"DM": Rate(1, 1), "HF": Rate(1, 2)}
    assert rates(GroupBy.MONTH) == {"2024-03": Rate(1, 2), "2024-04": Rate(1, 1)}


# ---------------------------------------------------------------------------
# 2. On-time rate (24 h)


def on_time(
    encounters: list[Encounter],
    tasks: list[FollowUpTask],
    attempts: list[CallAttempt],
    by: GroupBy = GroupBy.WARD,
) -> dict[str, Rate]:
    return on_time_rate(encounters, tasks, attempts, PERIOD, as_of=AS_OF, by=by)


def test_first_attempt_at_exactly_24_hours_is_on_time() -> None:
    calls = [attempt("t1", DISCHARGED + DAY, O.NO_ANSWER)]
    assert on_time([encounter()], [task()], calls) == {"W01": Rate(1, 1)}


def test_first_attempt_at_24_hours_and_one_second_is_late() -> None:
    calls = [attempt("t1", DISCHARGED + DAY + SECOND, O.REACHED)]
    assert on_time([encounter()], [task()], calls) == {"W01": Rate(0, 1)}


def test_no_attempt_at_all_is_late() -> None:
    assert on_time([encounter()], [task()], []) == {"W01": Rate(0, 1)}


def test_earliest_attempt_counts_over_all_tasks_of_the_encounter() -> None:
    tasks = [task("t1", step_no=1), task("t2", step_no=2)]
    calls = [attempt("t1", DISCHARGED + 2 * DAY, O.REACHED), attempt("t2", DISCHARGED + DAY / 2, O.BUSY)]
    assert on_time([encounter()], tasks, calls) == {"W01": Rate(1, 1)}


def test_on_time_population() -> None:
    encounters = [
        encounter("no-tasks"),
        encounter("not-discharged", discharged_at=None),
        encounter("too-recent", discharged_at=AS_OF - DAY + SECOND),
        encounter("before-period", discharged_at=PERIOD.start - SECOND),
        encounter("judged", discharged_at=AS_OF - DAY - timedelta(days=20)),
    ]
    tasks = [task(f"t-{e.id}", encounter_id=e.id) for e in encounters[1:]]
    assert on_time(encounters, tasks, []) == {"W01": Rate(0, 1)}


def test_on_time_groups_by_encounter_ward_and_first_task() -> None:
    tasks = [
        task("t-b", step_no=1, ward_code="W99", assignee="nurse-b", plan_code="DM"),
        task("t-a", step_no=1, ward_code="W99", assignee=None, plan_code="HF"),  # same step, lower id wins
        task("t-0", step_no=2, assignee="nurse-c", plan_code="XX"),
    ]
    assert first_task(tasks) is tasks[1]
    calls = [attempt("t-0", DISCHARGED + timedelta(hours=1), O.REACHED)]
    enc = [encounter(ward="W01")]
    assert on_time(enc, tasks, calls, GroupBy.WARD) == {"W01": Rate(1, 1)}
    assert on_time(enc, tasks, calls, GroupBy.NURSE) == {"": Rate(1, 1)}
    assert on_time(enc, tasks, calls, GroupBy.PLAN) == {"HF": Rate(1, 1)}
    assert on_time(enc, tasks, calls, GroupBy.MONTH) == {"2024-03": Rate(1, 1)}


# ---------------------------------------------------------------------------
# 3. Reach rate


def test_reach_rate() -> None:
    tasks = [
        task("reached"),
        task("never"),
        task("no-attempts"),
        task("cancelled", status=S.CANCELLED),
        task("due-later", due_at=PERIOD.end),
    ]
    calls = [
        attempt("reached", DUE, O.NO_ANSWER),
        attempt("reached", DUE + timedelta(hours=4), O.REACHED),
        attempt("never", DUE, O.NO_ANSWER),
        attempt("never", DUE + timedelta(hours=4), O.BUSY),
        attempt("cancelled", DUE, O.REACHED),
        attempt("due-later", PERIOD.end, O.REACHED),
        attempt("unknown-task", DUE, O.REACHED),
    ]
    assert reach_rate(tasks, calls, PERIOD, by=GroupBy.WARD) == {"W01": Rate(2, 3)}
    assert reach_rate(tasks, calls, PERIOD, by=GroupBy.MONTH) == {"2024-03": Rate(2, 3)}


# ---------------------------------------------------------------------------
# 4. Call duration


def call(seconds: float, nurse: str = "nurse-a", outcome: CallOutcome = O.REACHED) -> CallAttempt:
    start = DUE + timedelta(hours=1)
    return attempt("t1", start, outcome, nurse=nurse, ended_at=start + timedelta(seconds=seconds))


def test_call_duration_median_of_even_count_is_mean_of_middle_pair() -> None:
    calls = [call(600), call(60), call(180), call(120)]
    assert call_durations([task()], calls, PERIOD, by=GroupBy.WARD) == {"W01": Durations(4, 150.0, 240.0)}


def test_call_duration_population_and_nurse_of_the_attempt() -> None:
    calls = [
        call(60, nurse="nurse-b"),
        call(90, nurse="nurse-b"),
        call(31.5, nurse="nurse-b"),
        call(999, outcome=O.NO_ANSWER),
        attempt("t1", DUE, O.REACHED, ended_at=None),  # still on the phone
        attempt("t1", PERIOD.end, O.REACHED, ended_at=PERIOD.end + SECOND),
    ]
    result = call_durations([task(assignee="nurse-a")], calls, PERIOD, by=GroupBy.NURSE)
    assert result == {"nurse-b": Durations(3, 60.0, pytest.approx(60.5))}


# ---------------------------------------------------------------------------
# 5. Satisfaction rate


def test_satisfaction_counts_satisfied_or_above() -> None:
    answers = (
        satisfaction(5, "s1"),
        satisfaction(4, "s2"),
        satisfaction(3, "s3"),
        satisfaction(None, "s4"),
        Answer("sbp", 150, ordinal=5, is_satisfaction=False),
    )
    rates = satisfaction_rate([task()], [response("r1", answers)], PERIOD, by=GroupBy.WARD)
    assert rates == {"W01": Rate(2, 3)}


def test_superseded_response_is_excluded() -> None:
    original = response("r1", (satisfaction(1),))
    correction = response("r2", (satisfaction(5),), supersedes="r1", submitted_by="nurse-b")
    rates = satisfaction_rate([task()], [original, correction], PERIOD, by=GroupBy.NURSE)
    assert rates == {"nurse-b": Rate(1, 1)}


def test_superseded_response_is_excluded_even_when_the_correction_is_outside_the_period() -> None:
    original = response("r1", (satisfaction(5),))
    correction = response("r2", (satisfaction(5),), supersedes="r1", submitted_at=PERIOD.end + DAY)
    assert satisfaction_rate([task()], [original, correction], PERIOD, by=GroupBy.WARD) == {}


def test_satisfaction_groups_by_task_plan_and_submission_month() -> None:
    late = response("r1", (satisfaction(4),), submitted_at=datetime(2024, 3, 31, 16, tzinfo=UTC))
    assert satisfaction_rate([task()], [late], PERIOD, by=GroupBy.MONTH) == {"2024-04": Rate(1, 1)}
    assert satisfaction_rate([task()], [late], PERIOD, by=GroupBy.PLAN) == {"HF": Rate(1, 1)}


# ---------------------------------------------------------------------------
# All five in one table


def example_table() -> RateTable:
    tasks = [task("t1", status=S.COMPLETED, completed_at=WINDOW_END), task("t2", ward_code="W02")]
    calls = [call(60), attempt("t2", DUE, O.NO_ANSWER)]
    return rate_table(
        encounters=[encounter()],
        tasks=tasks,
        attempts=calls,
        responses=[response("r1", (satisfaction(4),))],
        period=PERIOD,
        as_of=AS_OF,
        by=GroupBy.WARD,
    )


def test_rate_table_joins_the_five_rates_per_group() -> None:
    rows = {row["group"]: row for row in example_table().as_dicts()}
    assert list(rows) == ["W01", "W02"]
    assert rows["W01"] == {
        "group": "W01",
        "miss_rate": 0.0,
        "missed": 0,
        "closed": 1,
        "on_time_rate": 1.0,
        "on_time": 1,
        "discharges": 1,
        "reach_rate": 1.0,
        "reached": 1,
        "attempted": 1,
        "duration_median_s": 60.0,
        "duration_mean_s": 60.0,
        "calls": 1,
        "satisfaction_rate": 1.0,
        "satisfied": 1,
        "satisfaction_answers": 1,
    }
    assert rows["W02"]["miss_rate"] == 1.0
    assert rows["W02"]["on_time_rate"] is None and rows["W02"]["duration_median_s"] is None


def test_rate_table_renderings() -> None:
    table = example_table()
    parsed = json.loads(table.to_json())
    assert parsed["by"] == "ward" and parsed["rows"][1]["satisfaction_rate"] is None
    records = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert tuple(records[0]) == RateTable.COLUMNS
    assert records[1]["on_time_rate"] == "" and records[1]["missed"] == "1"
    text = table.to_text().splitlines()
    assert text[0].split()[0] == "ward" and len(text) == 3
    assert "100.0%" in text[1] and "-" in text[2].split()
