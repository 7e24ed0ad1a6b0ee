"""The monthly report job: build each ward's report after month end, and a new revision when late syncs
change it — each once, whatever the replicas.

``run_pass`` claims a (ward, month) by inserting its ``ward_reports`` row in a
transaction of its own; the unique constraint lets exactly one concurrent
inserter win (the others get an IntegrityError and skip). Only then are the
figures computed and the PDF rendered, and the row is completed under the same
claim. A builder that died leaves a ``building`` row whose lease runs out; a
failed build is retried a few times; both by a conditional UPDATE only one job
can win.

Late data: each report records the change number it was built from (see
``revisions``). Every pass reads the ward's changes numbered above that mark;
when one touches the month, the figures are computed again and, if they differ,
the row is claimed for a new revision by an UPDATE conditioned on the claim
token of the revision that was read (``claimed_by`` is unique per claim), so
again exactly one replica rebuilds. The earlier revision stays downloadable
(its document moves into ``history``) and is marked as superseded.
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
from server_sync.service.core.counter import committed_value
from server_sync.service.core.db import Database
from server_sync.service.reports import revisions, service
from server_sync.service.reports.models import BUILDING, FAILED, READY, WardReportRow
from server_sync.service.reports.render import render_pdf

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 3
# Reports of the last RECHECK_MONTHS ended months are watched for late syncs; older ones are final.
RECHECK_MONTHS = 3


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim_token(worker: str) -> str:
    """``claimed_by`` of one claim: the worker plus a nonce, so no two claims ever look alike."""
    return f"{worker[:110]}#{uuid.uuid4().hex[:12]}"


@dataclass
class PassResult:
    built: list[tuple[str, str]] = field(default_factory=list)  # first builds and new revisions
    rebuilt: list[tuple[str, str]] = field(default_factory=list)  # the new revisions among them
    verified: list[tuple[str, str]] = field(default_factory=list)  # touched by late changes, unchanged
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


def ward_month_figures(
    *,
    db_session: Session,
    ward: WardRow,
    month: str,
    as_of: datetime,
    records: service.ScopeRecords | None = None,
) -> dict[str, Any]:
    """Everything the report shows, computed by ``nurse_app.domain.metrics`` over the ward's records."""
    period = service.month_period(month, ward.zone)
    if records is None:
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


@dataclass(frozen=True, slots=True)
class Computed:
    """Figures and the change number they were computed from (read before the records)."""

    figures: dict[str, Any]
    source: int


def compute(
    database: Database, *, ward: WardRow, months: Sequence[str], as_of: datetime
) -> dict[str, Computed]:
    """The figures of several months of one ward from one read of its records."""
    with database.session() as db_session:
        # Every change numbered ≤ source is committed, so the records read next include them all.
        source = committed_value(db_session=db_session)
        records = service.load_records(db_session=db_session, wards=[ward.code])
        return {
            month: Computed(
                ward_month_figures(
                    db_session=db_session, ward=ward, month=month, as_of=as_of, records=records
                ),
                source,
            )
            for month in months
        }


# --- claims -----------------------------------------------------------------------------------


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


def claim_revision(database: Database, *, row_id: str, seen: str, worker: str, now: datetime) -> bool:
    """Take a ready report for a new revision; only the job that read claim ``seen`` last can win."""

    def write(db_session: Session) -> bool:
        taken = db_session.execute(
            update(WardReportRow)
            .where(
                WardReportRow.id == row_id, WardReportRow.status == READY, WardReportRow.claimed_by == seen
            )
            .values(status=BUILDING, claimed_by=worker, claimed_at=now, attempts=1, error="")
            .execution_options(synchronize_session=False)
        )
        return taken.rowcount == 1

    return database.run_write(write)


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


def _previous(database: Database, row_id: str) -> dict[str, Any] | None:
    """The last completed revision of a claimed row (None for a first build)."""
    with database.session() as db_session:
        row = db_session.get(WardReportRow, row_id)
        return row.figures if row is not None and row.pdf is not None and row.figures else None


def _build(
    database: Database,
    *,
    ward: WardRow,
    month: str,
    row_id: str,
    worker: str,
    clock: Callable[[], datetime],
    computed: Computed | None = None,
) -> bool:
    """Build the claimed row's next revision (figures computed now unless given) and complete it."""
    now = clock()
    try:
        previous = _previous(database, row_id)
        if computed is None:
            computed = compute(database, ward=ward, months=[month], as_of=now)[month]
        document = revisions.next_revision(
            computed.figures, previous=previous, source=computed.source, built_at=clock()
        )
        superseded = revisions.revision_of(previous) if previous else None
        pdf = render_pdf(document, replaces=superseded)
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
        as_of=datetime.fromisoformat(computed.figures["as_of"]),
        no_data=computed.figures["no_data"],
        figures=document,
        pdf=pdf,
        error="",
    )


def build_one(
    database: Database, *, ward: WardRow, month: str, worker: str, clock: Callable[[], datetime]
) -> bool:
    """Claim and build one ward-month (or finish a revision that failed or whose builder died);
    False when another job owns it."""
    token = claim_token(worker)
    row_id = claim(database, ward=ward.code, month=month, worker=token, now=clock())
    if row_id is None:
        return False
    return _build(database, ward=ward, month=month, row_id=row_id, worker=token, clock=clock)


# --- late changes -----------------------------------------------------------------------------


def watched_months(now: datetime, zone: str, count: int = RECHECK_MONTHS) -> set[str]:
    return set(completed_months(now, zone, count))


def recheck_ward(
    database: Database,
    *,
    ward: WardRow,
    worker: str,
    clock: Callable[[], datetime],
    recheck_months: int = RECHECK_MONTHS,
    result: PassResult,
) -> None:
    """New revisions of the ward's ready reports whose month later changes altered; marks the rest checked."""
    now = clock()
    watched = watched_months(now, ward.zone, recheck_months)
    with database.session() as db_session:
        rows = [
            row
            for row in db_session.scalars(
                select(WardReportRow).where(
                    WardReportRow.ward_code == ward.code, WardReportRow.status == READY
                )
            ).all()
            if row.month in watched
        ]
        if not rows:
            return
        ceiling = committed_value(db_session=db_session)
        marks = {row.id: revisions.mark_of(row.figures) for row in rows}
        after = min(marks.values())
        if after >= ceiling:
            return  # nothing committed since every report was built or checked
        touched, read = revisions.touched_months(
            db_session, ward=ward.code, zone=ward.zone, after=after, ceiling=ceiling
        )
    if not read:
        return  # the counter moved for other wards only: nothing to check, nothing worth writing
    stale = [row for row in rows if touched.get(row.month, 0) > marks[row.id]]
    fresh = [row for row in rows if row not in stale and marks[row.id] < ceiling]
    computed = compute(database, ward=ward, months=[r.month for r in stale], as_of=now) if stale else {}
    for row in stale:
        new = computed[row.month]
        if revisions.content(new.figures) == revisions.content(row.figures):
            _mark_verified(database, row, new.source)
            result.verified.append((ward.code, row.month))
            continue
        token = claim_token(worker)
        if not claim_revision(database, row_id=row.id, seen=row.claimed_by, worker=token, now=clock()):
            result.skipped.append((ward.code, row.month))  # another replica is on it (or was first)
            continue
        log.info("report %s %s: late changes, building a new revision", ward.code, row.month)
        try:
            built = _build(
                database, ward=ward, month=row.month, row_id=row.id, worker=token, clock=clock, computed=new
            )
        except Exception:
            result.failed.append((ward.code, row.month))
            continue
        if built:
            result.built.append((ward.code, row.month))
            result.rebuilt.append((ward.code, row.month))
    for row in fresh:
        _mark_verified(database, row, ceiling)


def _mark_verified(database: Database, row: WardReportRow, through: int) -> None:
    """Remember that the report is current up to change ``through`` (unless someone rebuilt it since)."""
    document = revisions.verified(row.figures or {}, through)

    def write(db_session: Session) -> None:
        db_session.execute(
            update(WardReportRow)
            .where(
                WardReportRow.id == row.id,
                WardReportRow.status == READY,
                WardReportRow.claimed_by == row.claimed_by,
            )
            .values(figures=document)
            .execution_options(synchronize_session=False)
        )

    database.run_write(write)


# --- a pass -----------------------------------------------------------------------------------


def _retry_months(db_session: Session, ward: WardRow, watched: set[str], now: datetime) -> set[str]:
    """Watched months whose (re)build failed or whose builder died: the claim path takes them over."""
    rows = db_session.execute(
        select(WardReportRow.month).where(
            WardReportRow.ward_code == ward.code,
            WardReportRow.attempts < MAX_ATTEMPTS,
            or_(
                WardReportRow.status == FAILED,
                and_(WardReportRow.status == BUILDING, WardReportRow.claimed_at < now - LEASE),
            ),
        )
    ).all()
    return {month for (month,) in rows if month in watched}


def run_pass(
    database: Database,
    *,
    clock: Callable[[], datetime] = utc_now,
    wards: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    months_back: int = 1,
    recheck_months: int = RECHECK_MONTHS,
    worker: str | None = None,
) -> PassResult:
    """One pass over the active wards: build every ended month not yet built (or claimed) by anyone,
    then a new revision of every watched report that later syncs changed."""
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
        now = clock()
        retry = {
            w.code: _retry_months(db_session, w, watched_months(now, w.zone, recheck_months), now)
            for w in ward_rows
        }
    for ward in ward_rows:
        now = clock()
        wanted = list(months) if months else completed_months(now, ward.zone, months_back)
        for month in sorted(set(wanted) | retry[ward.code]):
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
        try:
            recheck_ward(
                database, ward=ward, worker=worker, clock=clock, recheck_months=recheck_months, result=result
            )
        except Exception:
            log.exception("reports: checking %s for late changes failed", ward.code)
    return result


def run_forever(database: Database, *, interval_s: float = 3600.0, **options: Any) -> None:
    """``reports-job --loop``: a pass, then sleep; safe to run on every replica."""
    while True:
        outcome = run_pass(database, **options)
        if outcome.built or outcome.failed:
            log.info(
                "reports: %d built (%d new revisions), %d failed",
                len(outcome.built),
                len(outcome.rebuilt),
                len(outcome.failed),
            )
        time.sleep(interval_s)
