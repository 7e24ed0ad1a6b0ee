"""The monthly report job: once per ward-month even with concurrent jobs, figures from the domain
code, a plain "no data" report for an empty month, listing and scope-checked download."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from report_data import month_of_records, race
from service_helpers import World
from sqlalchemy import func, select

from nurse_app.domain.model import Role
from server_sync.service.cli import main as server_main
from server_sync.service.core.db import Database
from server_sync.service.reports import job
from server_sync.service.reports.models import WardReportRow

AFTER_OCTOBER = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def clock() -> datetime:
    return AFTER_OCTOBER


def report_rows(database: Database, *wards: str) -> list[WardReportRow]:
    with database.session() as db_session:
        return list(db_session.scalars(select(WardReportRow).where(WardReportRow.ward_code.in_(wards))).all())


@pytest.fixture
def hospital(world: World) -> dict[str, Any]:
    a, b, empty = world.ward("MA"), world.ward("MB"), world.ward("ME")
    nurse = world.user(Role.NURSE, (a,), name="n")
    desk = world.desk(nurse)
    records = month_of_records(a, (nurse,), count=10, seed=5).in_push_order()
    results = desk.push(*records)
    assert all(r["status"] == "applied" for r in results), results
    return {
        "a": a,
        "b": b,
        "empty": empty,
        "nurse": nurse,
        "manager_a": world.user(Role.WARD_MANAGER, (a, empty), name="ma"),
        "manager_b": world.user(Role.WARD_MANAGER, (b,), name="mb"),
        "admin": world.user(Role.ADMIN, name="adm"),
    }


def test_completed_months() -> None:
    assert job.completed_months(AFTER_OCTOBER, "Asia/Shanghai", 1) == ["2026-10"]
    assert job.completed_months(datetime(2026, 1, 2, tzinfo=UTC), "UTC", 2) == ["2025-11", "2025-12"]
    # 2026-10-31 17:00 UTC is already November 1st in Shanghai: October has ended there.
    assert job.completed_months(datetime(2026, 10, 31, 17, 0, tzinfo=UTC), "Asia/Shanghai", 1) == ["2026-10"]


def test_concurrent_jobs_build_each_ward_month_once(database: Database, hospital: dict[str, Any]) -> None:
    wards = [hospital["a"], hospital["b"], hospital["empty"]]
    results, errors = race(lambda name: job.run_pass(database, clock=clock, wards=wards, worker=name))
    assert not errors, errors
    built = sorted(item for result in results for item in result.built)
    assert built == sorted((ward, "2026-10") for ward in wards)
    assert not any(result.failed for result in results)
    rows = report_rows(database, *wards)
    assert sorted((r.ward_code, r.month) for r in rows) == built
    assert all(r.status == "ready" and r.pdf and r.pdf.startswith(b"%PDF") for r in rows)
    # A later pass (another replica, another day) builds nothing again.
    again = job.run_pass(database, clock=clock, wards=wards, worker="late-replica")
    assert again.built == [] and sorted(again.skipped) == built


def test_claim_is_exclusive_and_a_stale_claim_can_be_taken_over(
    database: Database, hospital: dict[str, Any]
) -> None:
    ward = hospital["b"]
    first = job.claim(database, ward=ward, month="2026-08", worker="w1", now=AFTER_OCTOBER)
    assert first is not None
    assert job.claim(database, ward=ward, month="2026-08", worker="w2", now=AFTER_OCTOBER) is None
    later = AFTER_OCTOBER + job.LEASE * 2
    assert job.claim(database, ward=ward, month="2026-08", worker="w3", now=later) == first
    with database.session() as db_session:
        row = db_session.get(WardReportRow, first)
        assert row is not None and row.claimed_by == "w3" and row.attempts == 2
        count = db_session.scalar(
            select(func.count()).select_from(WardReportRow).where(WardReportRow.ward_code == ward)
        )
    assert count == 1


def test_figures_come_from_the_domain_rates(database: Database, hospital: dict[str, Any]) -> None:
    a = hospital["a"]
    job.run_pass(database, clock=clock, wards=[a], worker="solo")
    (row,) = report_rows(database, a)
    figures = row.figures
    assert figures["no_data"] is False and row.no_data is False
    assert figures["summary"]["group"] == a
    assert figures["summary"]["closed"] > 0
    assert figures["by_nurse"] and figures["by_plan"]


def test_month_without_data_says_so(database: Database, hospital: dict[str, Any]) -> None:
    empty = hospital["empty"]
    result = job.run_pass(database, clock=clock, wards=[empty], worker="solo")
    assert result.built == [(empty, "2026-10")]
    (row,) = report_rows(database, empty)
    assert row.no_data is True and row.figures["summary"] is None
    reader = PdfReader(io.BytesIO(row.pdf))
    assert reader.metadata.subject == "no follow-up data"
    text = "".join(page.extract_text() for page in reader.pages)
    assert "No follow-up data" in text


def test_list_and_download_are_scope_checked(
    world: World, database: Database, hospital: dict[str, Any]
) -> None:
    a, b, empty = hospital["a"], hospital["b"], hospital["empty"]
    job.run_pass(database, clock=clock, wards=[a, b, empty], worker="solo")
    manager_a = world.desk(hospital["manager_a"]).http
    listing = manager_a.get("/reports/monthly", params={"month": "2026-10"})
    assert listing.status_code == 200, listing.text
    reports = {r["ward"]: r for r in listing.json()["reports"]}
    assert set(reports) == {a, empty}
    one = manager_a.get("/reports/monthly", params={"ward": a}).json()["reports"]
    assert [r["ward"] for r in one] == [a]
    pdf = manager_a.get(reports[a]["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    with database.session() as db_session:
        b_id = db_session.scalars(select(WardReportRow.id).where(WardReportRow.ward_code == b)).one()
    assert manager_a.get(f"/reports/monthly/{b_id}/pdf").status_code == 403
    assert manager_a.get("/reports/monthly", params={"ward": b}).status_code == 403
    manager_b = world.desk(hospital["manager_b"]).http
    assert manager_b.get(f"/reports/monthly/{b_id}/pdf").status_code == 200
    assert manager_b.get(reports[a]["pdf_url"]).status_code == 403
    nurse = world.desk(hospital["nurse"]).http
    refused = nurse.get(reports[a]["pdf_url"])
    assert refused.status_code == 403 and "ward managers" in refused.json()["message"]
    assert nurse.get("/reports/monthly").status_code == 403
    admin = world.desk(hospital["admin"]).http
    assert admin.get(f"/reports/monthly/{b_id}/pdf").status_code == 200
    assert admin.get("/reports/monthly/no-such-report/pdf").status_code == 404


def test_cli_reports_job_runs_one_pass(
    database_url: str, database: Database, hospital: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    b = hospital["b"]
    argv = ["--db", database_url, "reports-job", "--ward", b, "--month", "2026-09"]
    assert server_main(argv) == 0
    assert f"built {b} 2026-09" in capsys.readouterr().out
    assert server_main(argv) == 0
    assert "0 reports built" in capsys.readouterr().out
    assert [(r.ward_code, r.month) for r in report_rows(database, b)] == [(b, "2026-09")]
