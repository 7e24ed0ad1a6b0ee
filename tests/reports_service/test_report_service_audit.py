"""Every download of a monthly report is in the audit trail: who, which report and revision, when, device.

A report holds a ward's patient-level figures, so it is audited like a record
read (``records/views.py``). A refused download or the listing (no patient
data) writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from report_data import month_of_records
from service_helpers import World
from sqlalchemy import select

from nurse_app.domain.model import Role, utc_now
from server_sync.service.audit.models import AuditEventRow
from server_sync.service.core.db import Database
from server_sync.service.reports import job
from server_sync.service.reports.models import WardReportRow

AFTER_OCTOBER = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def audit_rows(database: Database, report_id: str) -> list[AuditEventRow]:
    with database.session() as db_session:
        return list(
            db_session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.entity == "ward_report", AuditEventRow.entity_id == report_id)
                .order_by(AuditEventRow.at)
            ).all()
        )


def test_every_report_download_is_audited(world: World, database: Database) -> None:
    ward, other = world.ward("AU"), world.ward("AO")
    nurse = world.user(Role.NURSE, (ward,), name="n")
    results = world.desk(nurse).push(*month_of_records(ward, (nurse,), count=6, seed=9).in_push_order())
    assert all(r["status"] == "applied" for r in results)
    job.run_pass(database, clock=lambda: AFTER_OCTOBER, wards=[ward], worker="solo")
    with database.session() as db_session:
        report_id = db_session.scalars(select(WardReportRow.id).where(WardReportRow.ward_code == ward)).one()

    manager_name = world.user(Role.WARD_MANAGER, (ward,), name="m")
    manager = world.desk(manager_name)
    listing = manager.http.get("/reports/monthly", params={"ward": ward})
    assert listing.status_code == 200
    assert audit_rows(database, report_id) == []  # the listing shows no patient data

    outsider = world.desk(world.user(Role.WARD_MANAGER, (other,), name="o")).http
    assert outsider.get(f"/reports/monthly/{report_id}/pdf").status_code == 403
    assert audit_rows(database, report_id) == []  # nothing left the service

    before = utc_now()
    pdf = manager.http.get(f"/reports/monthly/{report_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (event,) = audit_rows(database, report_id)
    assert event.actor == manager_name
    assert event.action == "export" and event.source == "server"
    assert event.device == f"PC-1-{world.tag}"  # the device the manager logged in from
    assert before - timedelta(seconds=1) <= event.at <= utc_now() + timedelta(seconds=1)
    assert f"{ward} 2026-10 revision 1" in event.detail

    admin_name = world.user(Role.ADMIN, name="a")
    admin = world.desk(admin_name).http
    assert admin.get(f"/reports/monthly/{report_id}/pdf", params={"revision": 1}).status_code == 200
    events = audit_rows(database, report_id)
    assert [e.actor for e in events] == [manager_name, admin_name]

    # A manager reads the trail of the report like any record's.
    trail = manager.http.get(f"/audit/ward_report/{report_id}")
    assert trail.status_code == 200, trail.text
    got: list[dict[str, Any]] = trail.json()["events"]
    assert {e["actor"] for e in got} == {manager_name, admin_name}
    assert all(e["action"] == "export" for e in got)
