"""Late syncs and monthly reports: a ward PC offline at month end pushes October's calls in November.

The job notices that changes numbered after the report's source touch that
ward-month and builds a new revision — once, with three replicas racing; a
change that does not alter the figures (or that concerns another month) makes
no revision; an earlier revision stays downloadable, marked as superseded; a
failed rebuild keeps the last good revision downloadable and is retried.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from report_data import month_of_records, race
from service_helpers import World
from sqlalchemy import select

from nurse_app.domain.model import (
    CallAttempt,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Sex,
    TaskStatus,
)
from nurse_app.domain.model import Role as UserRole
from server_sync.service.core.db import Database
from server_sync.service.reports import job, revisions
from server_sync.service.reports.models import FAILED, READY, WardReportRow

AFTER_OCTOBER = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
MONTH = "2026-10"


def at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def report_row(database: Database, ward: str, month: str = MONTH) -> WardReportRow:
    with database.session() as db_session:
        return db_session.scalars(
            select(WardReportRow).where(WardReportRow.ward_code == ward, WardReportRow.month == month)
        ).one()


def late_call(ward: str, nurse: str, discharged: datetime) -> list[Any]:
    """A discharge followed up in time on a PC that was offline: everything arrives later."""
    patient = Patient(f"MRN-LATE-{discharged:%d%H}", "迟到", Sex.MALE, datetime(1950, 1, 1).date())
    encounter = Encounter(patient.id, ward, discharged - timedelta(days=4), discharged)
    enrollment = Enrollment(patient.id, encounter.id, "HF-DISCHARGE", 1, enrolled_at=discharged)
    called = discharged + timedelta(hours=3)
    task = FollowUpTask(
        enrollment.id,
        patient.id,
        encounter.id,
        ward,
        "HF-DISCHARGE",
        1,
        1,
        due_at=discharged,
        window_end=discharged + timedelta(hours=24),
        assignee=nurse,
        status=TaskStatus.COMPLETED,
        completed_at=called + timedelta(minutes=10),
        finished_by=CallOutcome.REACHED,
    )
    attempt = CallAttempt(task.id, nurse, called, called + timedelta(minutes=8), CallOutcome.REACHED)
    return [patient, encounter, enrollment, task, attempt]


@pytest.fixture
def ward_month(world: World, database: Database) -> dict[str, Any]:
    """One ward with October's records pushed before month end and its October report built."""
    ward = world.ward("RV")
    nurse = world.user(UserRole.NURSE, (ward,), name="n")
    desk = world.desk(nurse)
    data = month_of_records(ward, (nurse,), count=10, seed=7)
    results = desk.push(*data.in_push_order())
    assert all(r["status"] == "applied" for r in results), results
    first = job.run_pass(database, clock=at(AFTER_OCTOBER), wards=[ward], worker="first")
    assert first.built == [(ward, MONTH)] and first.rebuilt == []
    return {
        "ward": ward,
        "nurse": nurse,
        "desk": desk,
        "data": data,
        "manager": world.user(UserRole.WARD_MANAGER, (ward,), name="m"),
    }


def test_a_report_records_the_change_number_it_was_built_from(database: Database, ward_month) -> None:
    row = report_row(database, ward_month["ward"])
    document = row.figures
    assert document["revision"] == 1 and document["history"] == []
    assert document["source_change_no"] > 0 and document["verified_through"] == document["source_change_no"]
    assert document["built_at"]
    # Nothing changed since: a later pass reads no change and builds nothing.
    again = job.run_pass(database, clock=at(LATER), wards=[ward_month["ward"]], worker="again")
    assert again.built == [] and again.rebuilt == [] and again.verified == []


def test_late_calls_make_one_new_revision_whatever_the_replicas(
    database: Database, ward_month: dict[str, Any]
) -> None:
    ward, desk = ward_month["ward"], ward_month["desk"]
    before = report_row(database, ward)
    late = late_call(ward, ward_month["nurse"], datetime(2026, 10, 30, 3, 0, tzinfo=UTC))
    assert all(r["status"] == "applied" for r in desk.push(*late))

    results, errors = race(lambda name: job.run_pass(database, clock=at(LATER), wards=[ward], worker=name))
    assert not errors, errors
    assert not any(r.failed for r in results)
    assert sorted(item for r in results for item in r.rebuilt) == [(ward, MONTH)]

    after = report_row(database, ward)
    assert after.id == before.id and after.status == READY
    document = after.figures
    assert document["revision"] == 2
    assert document["source_change_no"] > before.figures["source_change_no"]
    # The late discharge is in the figures now: one more closed task, one more discharge judged.
    assert document["summary"]["closed"] == before.figures["summary"]["closed"] + 1
    assert document["summary"]["discharges"] == before.figures["summary"]["discharges"] + 1
    (old,) = document["history"]
    assert old["revision"] == 1 and old["superseded_at"] and old["summary"] == before.figures["summary"]
    assert after.pdf != before.pdf and after.pdf.startswith(b"%PDF")

    quiet = job.run_pass(database, clock=at(LATER + timedelta(hours=1)), wards=[ward], worker="quiet")
    assert quiet.built == [] and quiet.rebuilt == []


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def test_earlier_revisions_stay_downloadable_and_say_they_are_superseded(
    world: World, database: Database, ward_month: dict[str, Any]
) -> None:
    ward = ward_month["ward"]
    ward_month["desk"].push(*late_call(ward, ward_month["nurse"], datetime(2026, 10, 12, 5, tzinfo=UTC)))
    assert job.run_pass(database, clock=at(LATER), wards=[ward], worker="w").rebuilt == [(ward, MONTH)]
    manager = world.desk(ward_month["manager"]).http
    (listed,) = manager.get("/reports/monthly", params={"ward": ward}).json()["reports"]
    assert listed["revision"] == 2 and listed["built_from_change"] > 0
    assert [r["revision"] for r in listed["revisions"]] == [2, 1]
    newest, first = listed["revisions"]
    assert newest["current"] and newest["superseded_at"] is None
    assert not first["current"] and first["superseded_at"]

    current = manager.get(listed["pdf_url"])
    assert current.status_code == 200, current.text
    assert "r2.pdf" in current.headers["content-disposition"]
    text = _pdf_text(current.content)
    assert "Revision 2" in text and "replaces revision 1" in text and "SUPERSEDED" not in text

    superseded = manager.get(first["pdf_url"])
    assert superseded.status_code == 200, superseded.text
    assert "r1.pdf" in superseded.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(superseded.content))
    assert "superseded by revision 2" in reader.metadata.title
    assert "SUPERSEDED by revision 2" in _pdf_text(superseded.content)
    assert manager.get(f"/reports/monthly/{listed['id']}/pdf", params={"revision": 3}).status_code == 404


def test_a_change_that_leaves_the_figures_alone_makes_no_revision(
    database: Database, ward_month: dict[str, Any]
) -> None:
    ward, desk, data = ward_month["ward"], ward_month["desk"], ward_month["data"]
    before = report_row(database, ward)
    # An October encounter's discharge summary is edited: it touches October, the rates do not move.
    october = next(e for e in data.encounters if e.discharged_at.strftime("%Y-%m") == MONTH)
    edited = dataclasses.replace(october, discharge_summary="出院小结补充")
    assert desk.push(edited, base_version=1)[0]["status"] == "applied"
    result = job.run_pass(database, clock=at(LATER), wards=[ward], worker="check")
    assert result.rebuilt == [] and result.verified == [(ward, MONTH)]
    after = report_row(database, ward)
    assert after.figures["revision"] == 1 and after.pdf == before.pdf
    assert after.figures["verified_through"] > before.figures["verified_through"]

    # A November call is not October's business: not even a recomputation.
    november = late_call(ward, ward_month["nurse"], datetime(2026, 11, 5, 3, tzinfo=UTC))
    desk.push(*november)
    result = job.run_pass(database, clock=at(LATER), wards=[ward], worker="check-2")
    assert result.rebuilt == [] and result.verified == []
    assert report_row(database, ward).figures["verified_through"] > after.figures["verified_through"]


def test_a_late_deletion_is_seen_too(world: World, database: Database, ward_month: dict[str, Any]) -> None:
    ward, desk = ward_month["ward"], ward_month["desk"]
    late = late_call(ward, ward_month["nurse"], datetime(2026, 10, 20, 3, tzinfo=UTC))
    desk.push(*late)
    assert job.run_pass(database, clock=at(LATER), wards=[ward], worker="a").rebuilt == [(ward, MONTH)]
    encounter = late[1]
    # The feed entry of a deletion carries no payload: the record's own dates still place it.
    manager = world.desk(ward_month["manager"])  # only managers delete records
    assert manager.push(encounter, op="delete")[0]["status"] == "applied"
    result = job.run_pass(database, clock=at(LATER), wards=[ward], worker="b")
    assert result.rebuilt == [(ward, MONTH)]
    assert report_row(database, ward).figures["revision"] == 3


def test_a_failed_rebuild_keeps_the_last_revision_and_is_retried(
    world: World, database: Database, ward_month: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ward = ward_month["ward"]
    ward_month["desk"].push(*late_call(ward, ward_month["nurse"], datetime(2026, 10, 25, 3, tzinfo=UTC)))

    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise RuntimeError("font missing")

    monkeypatch.setattr(job, "render_pdf", broken)
    result = job.run_pass(database, clock=at(LATER), wards=[ward], worker="broken")
    assert result.failed == [(ward, MONTH)] and result.rebuilt == []
    row = report_row(database, ward)
    assert row.status == FAILED and "font missing" in row.error
    assert row.figures["revision"] == 1 and row.pdf.startswith(b"%PDF")
    manager = world.desk(ward_month["manager"]).http
    (listed,) = manager.get("/reports/monthly", params={"ward": ward}).json()["reports"]
    assert listed["status"] == "failed" and listed["revision"] == 1
    assert manager.get(listed["pdf_url"]).status_code == 200  # the last good revision

    monkeypatch.undo()
    retried = job.run_pass(database, clock=at(LATER + timedelta(hours=1)), wards=[ward], worker="fixed")
    assert retried.built == [(ward, MONTH)]
    row = report_row(database, ward)
    assert row.status == READY and row.figures["revision"] == 2


def test_months_touched_by_a_payload() -> None:
    payload = {
        "due_at": "2026-10-31T17:00:00Z",  # November 1st in Shanghai
        "answers": [{"link_id": "x", "value": "2026-09-30T15:59:59Z"}],
        "birth_date": "1950-03-01",
        "note": "not a date",
    }
    months = {revisions.local_month(m, "Asia/Shanghai") for m in revisions.moments(payload)}
    assert months == {"2026-11", "2026-09"}


def test_revision_documents() -> None:
    first = revisions.next_revision(
        {"summary": {"a": 1}, "no_data": False}, previous=None, source=7, built_at=LATER
    )
    assert (first["revision"], first["source_change_no"], first["history"]) == (1, 7, [])
    second = revisions.next_revision(
        {"summary": {"a": 2}, "no_data": False},
        previous=revisions.verified(first, 9),
        source=12,
        built_at=LATER,
    )
    assert second["revision"] == 2 and second["verified_through"] == 12
    assert [h["revision"] for h in second["history"]] == [1]
    assert second["history"][0]["verified_through"] == 9 and "history" not in second["history"][0]
    assert revisions.find_revision(second, 1)["summary"] == {"a": 1}
    assert revisions.find_revision(second, 3) is None
    assert revisions.content(first) != revisions.content(second)
    legacy = {"summary": {"a": 1}, "no_data": False}  # built before revisions existed
    assert revisions.revision_of(legacy) == 1 and revisions.mark_of(legacy) == 0
