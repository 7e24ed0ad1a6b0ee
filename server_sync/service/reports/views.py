"""HTTP routes: rates over the service's records, and the stored monthly ward reports."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from nurse_app.domain.metrics import GroupBy
from nurse_app.domain.model import Role, utc_now
from server_sync.service.core.deps import CurrentUser, SessionDep
from server_sync.service.core.errors import forbidden, not_found
from server_sync.service.reports import service
from server_sync.service.reports.models import WardReportRow

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


def _listing(row: WardReportRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "ward": row.ward_code,
        "month": row.month,
        "status": row.status,
        "built_at": row.built_at.isoformat() if row.built_at else None,
        "no_data": row.no_data,
        "pdf_url": f"/reports/monthly/{row.id}/pdf" if row.status == "ready" else None,
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
def download_monthly(report_id: str, principal: CurrentUser, db_session: SessionDep) -> Response:
    """The PDF of one stored report, if it is of one of the caller's wards."""
    user = principal.user
    if user.role is Role.NURSE:
        raise forbidden(service.NURSE_REFUSED)
    row = db_session.get(WardReportRow, report_id)
    if row is None:
        raise not_found("report")
    if not user.may_see_ward(row.ward_code):
        raise forbidden(f"this report is of ward {row.ward_code}, which is not yours")
    if row.status != "ready" or row.pdf is None:
        raise not_found(f"the report of {row.ward_code} {row.month} is not ready ({row.status})")
    filename = f"ward-report-{row.ward_code}-{row.month}.pdf"
    return Response(
        content=row.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
    )
