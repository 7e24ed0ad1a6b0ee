"""``GET /reports/rates``: the service's rates equal the desk's SQL rates over a cache holding the
same records (pushed through the real sync path), and the ward scope of each role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from report_data import Dataset, month_of_records
from service_helpers import World
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from nurse_app.domain.metrics import GroupBy, Period
from nurse_app.domain.model import DEFAULT_ZONE, Role, Ward
from nurse_app.store import mapping, metrics_sql
from nurse_app.store.models import (
    Base,
    CallAttemptRow,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
    WardRow,
)

AS_OF = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def desk_rows(data: Dataset, wards: list[str], start: date, end: date, by: GroupBy) -> list[dict[str, Any]]:
    """The desk's figures: the same records in a fresh cache, rates by ``metrics_sql``."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:

        def add(row_class: Any, rows: list[dict[str, Any]]) -> None:
            if rows:
                conn.execute(insert(row_class.__table__), rows)

        add(WardRow, [mapping.ward_values(Ward(code, code, "心内科")) for code in wards])
        add(PatientRow, [mapping.patient_values(p) for p in data.patients])
        add(EncounterRow, [mapping.encounter_values(e) for e in data.encounters])
        add(EnrollmentRow, [mapping.enrollment_values(e) for e in data.enrollments])
        add(TaskRow, [mapping.task_values(t) for t in data.tasks])
        add(CallAttemptRow, [mapping.attempt_values(a) for a in data.attempts])
        add(ResponseRow, [mapping.response_values(r) for r in data.responses])
        add(ResponseAnswerRow, [v for r in data.responses for v in mapping.response_answer_values(r)])
        zone = ZoneInfo(DEFAULT_ZONE)
        period = Period(
            datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC),
            datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC),
        )
        table = metrics_sql.rate_table(Session(bind=conn), period, as_of=AS_OF, by=by, zone=DEFAULT_ZONE)
    engine.dispose()
    return table.as_dicts()


def push_all(world: World, username: str, data: Dataset) -> None:
    desk = world.desk(username)
    records = data.in_push_order()
    for i in range(0, len(records), 50):
        results = desk.push(*records[i : i + 50])
        assert all(r["status"] == "applied" for r in results), results


def assert_same_rows(service: list[dict[str, Any]], desk: list[dict[str, Any]]) -> None:
    assert [r["group"] for r in service] == [r["group"] for r in desk]
    for got, want in zip(service, desk, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == (pytest.approx(value, abs=1e-3) if isinstance(value, float) else value), key


@pytest.fixture
def two_wards(world: World) -> dict[str, Any]:
    a, b = world.ward("RA"), world.ward("RB")
    nurse_a = world.user(Role.NURSE, (a,), name="na")
    nurse_b = world.user(Role.NURSE, (b,), name="nb")
    data_a = month_of_records(a, (nurse_a, world.user(Role.NURSE, (a,), name="na2")), seed=3)
    data_b = month_of_records(b, (nurse_b,), count=6, seed=9)
    push_all(world, nurse_a, data_a)
    push_all(world, nurse_b, data_b)
    return {
        "a": a,
        "b": b,
        "data_a": data_a,
        "data_b": data_b,
        "manager_a": world.user(Role.WARD_MANAGER, (a,), name="ma"),
        "admin": world.user(Role.ADMIN, name="adm"),
        "nurse_a": nurse_a,
    }


def get_rates(world: World, username: str, **params: str) -> Any:
    http = world.desk(username).http
    return http.get("/reports/rates", params={"as_of": AS_OF.isoformat(), **params})


@pytest.mark.parametrize("by", list(GroupBy))
def test_service_rates_equal_desk_sql_rates(world: World, two_wards: dict[str, Any], by: GroupBy) -> None:
    a, data = two_wards["a"], two_wards["data_a"]
    response = get_rates(
        world, two_wards["manager_a"], **{"from": "2026-10-01", "to": "2026-11-01", "by": by}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["wards"] == [a] and body["by"] == by.value and body["zone"] == DEFAULT_ZONE
    want = desk_rows(data, [a], date(2026, 10, 1), date(2026, 11, 1), by)
    assert want, "the dataset must produce figures"
    assert_same_rows(body["rows"], want)


def test_admin_sees_both_wards_and_matches_desk(world: World, two_wards: dict[str, Any]) -> None:
    a, b = two_wards["a"], two_wards["b"]
    response = get_rates(
        world,
        two_wards["admin"],
        **{"from": "2026-09-25", "to": "2026-11-05", "by": "ward", "wards": f"{a},{b}"},
    )
    assert response.status_code == 200, response.text
    merged = Dataset(
        *(
            getattr(two_wards["data_a"], f) + getattr(two_wards["data_b"], f)
            for f in Dataset.__dataclass_fields__
        )
    )
    assert [r["group"] for r in response.json()["rows"]] == [a, b]
    assert_same_rows(
        response.json()["rows"], desk_rows(merged, [a, b], date(2026, 9, 25), date(2026, 11, 5), GroupBy.WARD)
    )


def test_manager_sees_only_own_wards(world: World, two_wards: dict[str, Any]) -> None:
    manager, a, b = two_wards["manager_a"], two_wards["a"], two_wards["b"]
    default = get_rates(world, manager, **{"from": "2026-10-01", "to": "2026-11-01"})
    assert default.status_code == 200
    assert [r["group"] for r in default.json()["rows"]] == [a]
    refused = get_rates(world, manager, **{"from": "2026-10-01", "to": "2026-11-01", "wards": f"{a},{b}"})
    assert refused.status_code == 403
    assert b in refused.json()["message"] and "not yours" in refused.json()["message"]


def test_nurse_is_refused_with_a_clear_message(world: World, two_wards: dict[str, Any]) -> None:
    response = get_rates(world, two_wards["nurse_a"], **{"from": "2026-10-01", "to": "2026-11-01"})
    assert response.status_code == 403
    assert "ward managers" in response.json()["message"]


def test_bad_period_and_unknown_ward(world: World, two_wards: dict[str, Any]) -> None:
    admin = two_wards["admin"]
    assert get_rates(world, admin, **{"from": "2026-11-01", "to": "2026-10-01"}).status_code == 422
    assert (
        get_rates(world, admin, **{"from": "2026-10-01", "to": "2026-11-01", "by": "bed"}).status_code == 422
    )
    unknown = get_rates(world, admin, **{"from": "2026-10-01", "to": "2026-11-01", "wards": "NOPE-WARD"})
    assert unknown.status_code == 404
