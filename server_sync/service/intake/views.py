"""HTTP routes of intake: FHIR, discharge lists, review queues, dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from server_sync.service.core.deps import AdminUser, CurrentUser, DatabaseDep, SessionDep
from server_sync.service.core.errors import ServiceError
from server_sync.service.intake import dead_letters, service
from server_sync.service.intake.auth import IntakeCallerDep
from server_sync.service.intake.config import get_intake_settings

router = APIRouter(prefix="/intake", tags=["intake"])
_MAX_UPLOAD = 32 * 1024 * 1024


async def _body(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > _MAX_UPLOAD:
        raise ServiceError(413, "payload_too_large", f"at most {_MAX_UPLOAD} bytes")
    return await request.body()


@router.post("/fhir")
async def intake_fhir(request: Request, caller: IntakeCallerDep, database: DatabaseDep) -> dict[str, Any]:
    """A FHIR R4 Bundle (or Patient + Encounter list); discharge when ``Encounter.period.end`` is set."""
    raw = await _body(request)
    return await run_in_threadpool(
        service.intake_fhir, database=database, raw=raw, settings=get_intake_settings(), caller=caller.name
    )


@router.post("/discharges")
async def intake_discharges(
    request: Request, caller: IntakeCallerDep, database: DatabaseDep, filename: str = "discharges.csv"
) -> dict[str, Any]:
    """A CSV or .xlsx discharge list as the raw body (``?filename=…xlsx`` or an xlsx content type)."""
    data = await _body(request)
    if "spreadsheetml" in request.headers.get("content-type", "") and not filename.endswith(".xlsx"):
        filename = "discharges.xlsx"
    return await run_in_threadpool(
        service.intake_discharges,
        database=database,
        data=data,
        filename=filename,
        settings=get_intake_settings(),
    )


@router.get("/review")
def review(principal: CurrentUser, db_session: SessionDep, ward: str | None = None) -> dict[str, Any]:
    """Open enrollment candidates and uncertain patient matches, scoped to the caller's wards."""
    return service.review_queue(db_session=db_session, user=principal.user, ward=ward)


@router.post("/review/enrollments/{match_id}/{decision}")
def decide_enrollment(
    match_id: str, decision: str, principal: CurrentUser, database: DatabaseDep
) -> dict[str, Any]:
    """``accept`` enrolls the candidate (tasks reach the ward at its next pull); ``reject`` dismisses it."""
    if decision not in ("accept", "reject"):
        raise ServiceError(404, "not_found", "decision must be accept or reject")
    return database.run_write(
        lambda s: service.decide_candidate(
            db_session=s, user=principal.user, match_id=match_id, accept=decision == "accept"
        )
    )


@router.post("/review/patients/{review_id}/{decision}")
def decide_patients(
    review_id: str, decision: str, principal: AdminUser, database: DatabaseDep
) -> dict[str, Any]:
    """``merge`` (same person: histories kept under the older record) or ``distinct``."""
    if decision not in ("merge", "distinct"):
        raise ServiceError(404, "not_found", "decision must be merge or distinct")
    return database.run_write(
        lambda s: service.decide_patients(
            db_session=s, user=principal.user, review_id=review_id, same=decision == "merge"
        )
    )


@router.get("/dead-letters")
def list_dead_letters(
    principal: AdminUser, db_session: SessionDep, status: Annotated[str | None, Query()] = "open"
) -> list[dict[str, Any]]:
    return [
        dead_letters.summary(row)
        for row in dead_letters.listing(db_session=db_session, status=status or None)
    ]


@router.get("/dead-letters/{dead_letter_id}")
def show_dead_letter(dead_letter_id: str, principal: AdminUser, db_session: SessionDep) -> dict[str, Any]:
    row = dead_letters.get(db_session=db_session, dead_letter_id=dead_letter_id)
    return dead_letters.summary(row, with_raw=True)


@router.post("/dead-letters/{dead_letter_id}/replay")
def replay_dead_letter(dead_letter_id: str, principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    return service.replay(database=database, dead_letter_id=dead_letter_id, settings=get_intake_settings())
