"""HTTP routes: rates over the service's records, and the stored monthly ward reports.

A report holds patient-level figures of a ward, so every download of one (any
revision) is written to the audit trail — who, which report and revision,
when, from which device — before the PDF leaves the service.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from nurse_app.domain.metrics import GroupBy
from nurse_app.domain.model import AuditAction, Role, utc_now
from server_sync.service.audit import service as audit_service
from server_sync.service.core.deps import CurrentUser, DatabaseDep, SessionDep
from server_sync.service.core.errors import forbidden, not_found
from server_sync.service.reports import revisions, service
from server_sync.service.reports.models import WardReportRow
from server_sync.service.reports.render import render_pdf

AUDIT_ENTITY = "ward_report"

router = APIRouter(prefix="/reports", tags=["reports"])


def _wards(wards: str | None) -> list[str] | None:
    codes = [code.strip() for code in (wards or "").split(",") if code.strip()]
    return codes or None


@router.get("/rates")
def rates(
    principal: CurrentUser,
    db_session: SessionDep,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    by: GroupBy = GroupBy.WARD,
    wards: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The five rates of ``[from, to)`` by ward, nurse, plan or month (rows as ``RateTable.as_dicts()``)."""
    now = utc_now()
    if as_of is None:
        as_of = now
    elif as_of.tzinfo is None:
        raise service.bad_request("as_of needs a UTC offset (e.g. 2026-11-01T00:00:00Z)")
    return service.rates_document(
        db_session=db_session,
        user=principal.user,
        start_day=start,
        end_day=end,
        by=by,
        wards=_wards(wards),
        as_of=min(as_of.astimezone(timezone.utc), now),
    )


def _pdf_url(row: WardReportRow, revision: int | None = None) -> str:
    url = f"/reports/monthly/{row.id}/pdf"
    return url if revision is None else f"{url}?revision={revision}"


def _listing(row: WardReportRow) -> dict[str, Any]:
    """One report: its current revision (still downloadable while a newer one is being built) and
    every earlier revision, each marked with when it was superseded."""
    complete = row.pdf is not None
    document = row.figures if complete else None
    current = revisions.revision_of(document) if complete else None
    history = revisions.listing(document)
    for entry in history:
        entry["pdf_url"] = _pdf_url(row, entry["revision"])
        entry["current"] = entry["revision"] == current
    if history and history[0]["built_at"] is None and row.built_at:
        history[0]["built_at"] = row.built_at.isoformat()  # a report built before revisions existed
    return {
        "id": row.id,
        "ward": row.ward_code,
        "month": row.month,
        "status": row.status,
        "revision": current,
        "built_at": row.built_at.isoformat() if row.built_at else None,
        "built_from_change": document.get("source_change_no") if document else None,
        "no_data": row.no_data,
        "pdf_url": _pdf_url(row) if complete else None,
        "revisions": history,
    }


@router.get("/monthly")
def list_monthly(
    principal: CurrentUser, db_session: SessionDep, ward: str | None = None, month: str | None = None
) -> dict[str, Any]:
    """Stored monthly reports of the caller's wards (optionally one ward and/or one month)."""
    scope = service.permitted_wards(
        db_session=db_session, user=principal.user, requested=[ward] if ward else None
    )
    query = select(WardReportRow).where(WardReportRow.ward_code.in_(scope))
    if month:
        service.parse_month(month)
        query = query.where(WardReportRow.month == month)
    rows = db_session.scalars(query.order_by(WardReportRow.month.desc(), WardReportRow.ward_code)).all()
    return {"reports": [_listing(row) for row in rows]}


@router.get("/monthly/{report_id}/pdf")
def download_monthly(
    report_id: str,
    principal: CurrentUser,
    database: DatabaseDep,
    db_session: SessionDep,
    revision: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The PDF of one stored report (its current revision, or an earlier one marked as superseded),
    if it is of one of the caller's wards. Every download is audited."""
    user = principal.user
    if user.role is Role.NURSE:
        raise forbidden(service.NURSE_REFUSED)
    row = db_session.get(WardReportRow, report_id)
    if row is None:
        raise not_found("report")
    if not user.may_see_ward(row.ward_code):
        raise forbidden(f"this report is of ward {row.ward_code}, which is not yours")
    if row.pdf is None:
        raise not_found(f"the report of {row.ward_code} {row.month} is not ready ({row.status})")
    current = revisions.revision_of(row.figures) or 1
    if revision is None or revision == current:
        shown, pdf = current, row.pdf
    else:
        document = revisions.find_revision(row.figures, revision)
        if document is None:
            raise not_found(f"revision {revision} of the report of {row.ward_code} {row.month}")
        # An earlier revision is rendered again from its stored figures, marked as replaced.
        # Revisions are numbered consecutively: revision n was replaced by n + 1.
        pdf = render_pdf(
            document, replaces=revision - 1 if revision > 1 else None, superseded_by=revision + 1
        )
        shown = revision
    ward, month = row.ward_code, row.month
    db_session.rollback()  # end the read before the audit write (SQLite: one writer at a time)
    now = utc_now()
    superseded = "" if shown == current else " (superseded)"
    database.run_write(
        lambda s: audit_service.record(
            db_session=s,
            actor=user.username,
            action=AuditAction.EXPORT,
            entity=AUDIT_ENTITY,
            entity_ids=[report_id],
            device=principal.device_id,
            at=now,
            detail=f"monthly report PDF downloaded: {ward} {month} revision {shown}{superseded}",
        )
    )
    filename = f"ward-report-{ward}-{month}-r{shown}.pdf"
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )
