"""The monthly report job: after a month ends, build each ward's report once, whatever the replicas.

``run_pass`` claims a (ward, month) by inserting its ``ward_reports`` row in a
transaction of its own; the unique constraint lets exactly one concurrent
inserter win (the others get an IntegrityError and skip). Only then are the
figures computed and the PDF rendered, and the row is completed under the same
claim. A builder that died leaves a ``building`` row whose lease runs out; a
failed build is retried a few times; both by a conditional UPDATE only one job
can win.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nurse_app.domain.calling_hours import zone_of
from nurse_app.domain.metrics import GroupBy
from nurse_app.domain.model import utc_now
from server_sync.service.config.models import WardRow
from server_sync.service.core.db import Database
from server_sync.service.reports import service
from server_sync.service.reports.models import BUILDING, FAILED, READY, WardReportRow
from server_sync.service.reports.render import render_pdf

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 3


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class PassResult:
    built: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def completed_months(now: datetime, zone: str, count: int) -> list[str]:
    """The ``count`` most recent local months that have fully ended at ``now``, oldest first."""
    local = now.astimezone(zone_of(zone)).date()
    first = date(local.year, local.month, 1)
    months = []
    for _ in range(count):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        months.append(first.strftime("%Y-%m"))
    return sorted(months)


def month_has_ended(month: str, zone: str, now: datetime) -> bool:
    return service.month_period(month, zone).end <= now


def ward_month_figures(*, db_session: Session, ward: WardRow, month: str, as_of: datetime) -> dict[str, Any]:
    """Everything the report shows, computed by ``nurse_app.domain.metrics`` over the ward's records."""
    period = service.month_period(month, ward.zone)
    records = service.load_records(db_session=db_session, wards=[ward.code])

    def rows(by: GroupBy) -> list[dict[str, Any]]:
        table = service.records_rate_table(records, period=period, as_of=as_of, by=by, zone=ward.zone)
        return table.as_dicts()

    summary = rows(GroupBy.WARD)
    return {
        "format": "followup.ward_month/1",
        "ward": ward.code,
        "ward_name": ward.name,
        "month": month,
        "zone": ward.zone,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "as_of": as_of.astimezone(timezone.utc).isoformat(),
        "no_data": not summary,
        "summary": summary[0] if summary else None,
        "by_nurse": rows(GroupBy.NURSE),
        "by_plan": rows(GroupBy.PLAN),
    }


def claim(database: Database, *, ward: str, month: str, worker: str, now: datetime) -> str | None:
    """Take (ward, month) for ``worker``: the new row's id, or None when another job has it."""
    row_id = str(uuid.uuid4())

    def insert(db_session: Session) -> None:
        db_session.add(
            WardReportRow(
                id=row_id,
                ward_code=ward,
                month=month,
                status=BUILDING,
                claimed_by=worker,
                claimed_at=now,
                attempts=1,
                no_data=False,
                error="",
            )
        )
        db_session.flush()

    try:
        database.run_write(insert)
        return row_id
    except IntegrityError:
        pass

    def take_over(db_session: Session) -> str | None:
        taken = db_session.execute(
            update(WardReportRow)
            .where(
                WardReportRow.ward_code == ward,
                WardReportRow.month == month,
                WardReportRow.attempts < MAX_ATTEMPTS,
                or_(
                    WardReportRow.status == FAILED,
                    and_(WardReportRow.status == BUILDING, WardReportRow.claimed_at < now - LEASE),
                ),
            )
            .values(status=BUILDING, claimed_by=worker, claimed_at=now, attempts=WardReportRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None
        return db_session.scalars(
            select(WardReportRow.id).where(WardReportRow.ward_code == ward, WardReportRow.month == month)
        ).one()

    return database.run_write(take_over)


def _finish(database: Database, row_id: str, worker: str, **values: Any) -> bool:
    def write(db_session: Session) -> bool:
        done = db_session.execute(
            update(WardReportRow)
            .where(
                WardReportRow.id == row_id,
                WardReportRow.claimed_by == worker,
                WardReportRow.status == BUILDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1

    return database.run_write(write)


def build_one(
    database: Database, *, ward: WardRow, month: str, worker: str, clock: Callable[[], datetime]
) -> bool:
    """Claim and build one ward-month; False when another job owns it."""
    now = clock()
    row_id = claim(database, ward=ward.code, month=month, worker=worker, now=now)
    if row_id is None:
        return False
    try:
        with database.session() as db_session:
            figures = ward_month_figures(db_session=db_session, ward=ward, month=month, as_of=now)
        pdf = render_pdf(figures)
    except Exception as error:
        log.exception("report %s %s failed", ward.code, month)
        _finish(database, row_id, worker, status=FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    return _finish(
        database,
        row_id,
        worker,
        status=READY,
        built_at=clock(),
        as_of=now,
        no_data=figures["no_data"],
        figures=figures,
        pdf=pdf,
        error="",
    )


def run_pass(
    database: Database,
    *,
    clock: Callable[[], datetime] = utc_now,
    wards: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    months_back: int = 1,
    worker: str | None = None,
) -> PassResult:
    """One pass over the active wards: build every ended month not yet built (or claimed) by anyone."""
    worker = worker or worker_name()
    result = PassResult()
    with database.session() as db_session:
        query = select(WardRow).where(WardRow.active.is_(True)).order_by(WardRow.code)
        if wards:
            query = query.where(WardRow.code.in_(list(wards)))
        ward_rows = list(db_session.scalars(query).all())
        done = {
            (code, month)
            for code, month in db_session.execute(
                select(WardReportRow.ward_code, WardReportRow.month).where(WardReportRow.status == READY)
            )
        }
    for ward in ward_rows:
        now = clock()
        wanted = list(months) if months else completed_months(now, ward.zone, months_back)
        for month in wanted:
            service.parse_month(month)
            if (ward.code, month) in done or not month_has_ended(month, ward.zone, now):
                result.skipped.append((ward.code, month))
                continue
            try:
                built = build_one(database, ward=ward, month=month, worker=worker, clock=clock)
            except Exception:
                result.failed.append((ward.code, month))
                continue
            (result.built if built else result.skipped).append((ward.code, month))
    return result


def run_forever(database: Database, *, interval_s: float = 3600.0, **options: Any) -> None:
    """``reports-job --loop``: a pass, then sleep; safe to run on every replica."""
    while True:
        outcome = run_pass(database, **options)
        if outcome.built or outcome.failed:
            log.info("reports: %d built, %d failed", len(outcome.built), len(outcome.failed))
        time.sleep(interval_s)
