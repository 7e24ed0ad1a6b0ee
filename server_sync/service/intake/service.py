"""Intake operations used by the HTTP routes and the CLI (keyword-only functions)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role, User, utc_now
from server_sync.service.core.db import Database
from server_sync.service.core.errors import ServiceError, forbidden, not_found
from server_sync.service.intake import dead_letters, enroll, fhir, hl7_intake, merge, tabular
from server_sync.service.intake.apply import apply_event, new_context
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import IntakeError
from server_sync.service.intake.models import DeadLetterRow, MpiReviewRow, PlanMatchRow
from server_sync.service.records.models import PatientRow


def _unprocessable(error: IntakeError, letter_id: str | None) -> ServiceError:
    where = f" ({error.location})" if error.location else ""
    suffix = f"; kept as dead letter {letter_id}" if letter_id else ""
    return ServiceError(422, "invalid_request", f"{error.message}{where}{suffix}")


def intake_fhir(*, database: Database, raw: bytes, settings: IntakeSettings, caller: str) -> dict[str, Any]:
    """Apply a FHIR Patient + Encounter (or Bundle); 422 with the element at fault (dead-lettered)."""
    try:
        event = fhir.to_event(_json(raw), zone=settings.default_zone)
        result = database.run_write(
            lambda s: apply_event(db_session=s, event=event, settings=settings, now=utc_now())
        )
    except IntakeError as error:
        letter = _dead_letter_fhir(database, raw, error, caller)
        raise _unprocessable(error, letter) from None
    return {"status": "applied", **result.to_dict()}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IntakeError(
            f"the body is not JSON: {error}", code="102", location="body", reject=True
        ) from None


def _dead_letter_fhir(database: Database, raw: bytes, failure: IntakeError, caller: str) -> str:
    return database.run_write(
        lambda s: dead_letters.store(
            db_session=s,
            source="fhir",
            content_type="fhir",
            raw=raw,
            reason=failure.message,
            now=utc_now(),
            source_ref=f"POST /intake/fhir by {caller}",
            detail={"location": failure.location, "code": failure.code},
        )
    )


def intake_discharges(
    *, database: Database, data: bytes, filename: str, settings: IntakeSettings
) -> dict[str, Any]:
    """Apply a CSV/Excel discharge list; a file that cannot be read at all is a 422."""
    try:
        return tabular.import_discharges(
            database=database, data=data, filename=filename, settings=settings
        ).to_dict()
    except IntakeError as error:
        raise _unprocessable(error, None) from None


def replay(*, database: Database, dead_letter_id: str, settings: IntakeSettings) -> dict[str, Any]:
    """Apply a dead letter again (after the cause was fixed); it is marked replayed on success."""
    with database.session() as db_session:
        letter = dead_letters.get(db_session=db_session, dead_letter_id=dead_letter_id)
        letter_id, kind, source, raw = letter.id, letter.content_type, letter.source, letter.raw
    outcome: dict[str, Any]
    try:
        if kind == "hl7":
            result = hl7_intake.process(
                database=database, raw=raw, settings=settings, source=source, replay=True
            )
            outcome = {"ack_code": result.code, "ack": result.ack}
            ok, reason = result.code == "AA", result.ack.split("\r")[1] if result.code != "AA" else ""
        elif kind == "row":
            applied = tabular.replay_row(database=database, raw=raw, settings=settings, source=source)
            outcome, ok, reason = applied.to_dict(), True, ""
        else:
            event = fhir.to_event(json.loads(raw.decode("utf-8")), zone=settings.default_zone)
            applied = database.run_write(
                lambda s: apply_event(db_session=s, event=event, settings=settings, now=utc_now())
            )
            outcome, ok, reason = applied.to_dict(), True, ""
    except IntakeError as error:
        outcome, ok, reason = {}, False, error.message

    def mark(db_session: Session) -> None:
        row = db_session.get(DeadLetterRow, letter_id)
        row.attempts += 1
        if ok:
            row.status, row.replayed_at = "replayed", utc_now()
        else:
            row.reason = f"replay failed: {reason}"[:1000]

    database.run_write(mark)
    return {"id": letter_id, "status": "replayed" if ok else "open", "reason": reason, **outcome}


def review_queue(*, db_session: Session, user: User | None, ward: str | None = None) -> dict[str, Any]:
    """Open enrollment candidates and uncertain patient matches (a non-admin sees its wards only)."""
    wards = None if user is None or user.role is Role.ADMIN else set(user.wards)
    if ward is not None:
        if wards is not None and ward not in wards:
            raise forbidden("this ward is not yours")
        wards = {ward}
    matches = select(PlanMatchRow).where(PlanMatchRow.status == "open")
    patients = select(MpiReviewRow).where(MpiReviewRow.status == "open")
    if wards is not None:
        matches = matches.where(PlanMatchRow.ward_code.in_(sorted(wards) or [""]))
        patients = patients.where(MpiReviewRow.ward_code.in_(sorted(wards) or [""]))
    return {
        "enrollments": [
            {
                "id": m.id,
                "ward_code": m.ward_code,
                "patient_id": m.patient_id,
                "encounter_id": m.encounter_id,
                "plan_code": m.plan_code,
                "plan_version": m.plan_version,
                "score": m.score,
                "explanation": m.explanation,
                "created_at": m.created_at.isoformat(),
            }
            for m in db_session.scalars(matches.order_by(PlanMatchRow.created_at).limit(1000))
        ],
        "patients": [
            {
                "id": r.id,
                "ward_code": r.ward_code,
                "patient_id": r.patient_id,
                "candidate_id": r.candidate_id,
                "score": r.score,
                "reasons": r.reasons,
                "created_at": r.created_at.isoformat(),
            }
            for r in db_session.scalars(patients.order_by(MpiReviewRow.created_at).limit(1000))
        ],
    }


def decide_candidate(*, db_session: Session, user: User, match_id: str, accept: bool) -> dict[str, Any]:
    """A ward's reviewer enrolls a candidate (tasks created and synced) or dismisses it."""
    match = db_session.get(PlanMatchRow, match_id, with_for_update=True)
    if match is None or match.status != "open":
        raise not_found(f"open candidate {match_id}")
    if user.role is not Role.ADMIN and match.ward_code not in user.wards:
        raise forbidden("this candidate belongs to a ward that is not yours")
    if not accept:
        match.status, match.resolved_by = "rejected", user.username
        return {"id": match.id, "status": match.status}
    ctx = new_context(db_session=db_session, source="review", now=utc_now())
    try:
        enrollment_id = enroll.accept_candidate(ctx, match, user.username)
    except ValueError as error:
        raise ServiceError(409, "conflict", str(error)) from None
    ctx.finish()
    return {"id": match.id, "status": match.status, "enrollment_id": enrollment_id}


def decide_patients(*, db_session: Session, user: User, review_id: str, same: bool) -> dict[str, Any]:
    """Resolve an uncertain patient match: merge the newer record into the older, or keep both."""
    item = db_session.get(MpiReviewRow, review_id, with_for_update=True)
    if item is None or item.status != "open":
        raise not_found(f"open patient review {review_id}")
    now = utc_now()
    item.resolved_at, item.resolved_by = now, user.username
    if not same:
        item.status = "distinct"
        return {"id": item.id, "status": item.status}
    surviving = db_session.get(PatientRow, item.candidate_id)
    if surviving is None or surviving.deleted:
        raise ServiceError(409, "conflict", "the candidate patient no longer exists")
    ctx = new_context(db_session=db_session, source="review", now=now)
    merge.merge_patients(ctx, merged_id=item.patient_id, surviving=surviving)
    item.status = "merged"
    ctx.finish()
    return {"id": item.id, "status": item.status, "surviving_id": surviving.id}
