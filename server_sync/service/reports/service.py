"""Rates over the service's records, computed by the desk's own domain code.

The service stores every clinical record as its canonical payload (see
``records/models.py``). For a rate we load the records of the permitted wards,
decode them into the domain dataclasses with ``nurse_app.domain.codec`` and run
``nurse_app.domain.metrics.rate_table`` — the very functions whose SQL twin
(``nurse_app.store.metrics_sql``) the desk runs over its cache — so a miss
rate on the server and on the desk never disagree.

Periods follow the desk's ``stats --from/--to``: local calendar days
``[from, to)`` of the ward's zone, converted to a UTC :class:`Period`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.calling_hours import zone_of
from nurse_app.domain.codec import payload_to_entity
from nurse_app.domain.errors import DomainError
from nurse_app.domain.metrics import GroupBy, Period, RateTable, rate_table
from nurse_app.domain.model import DEFAULT_ZONE, CallAttempt, Encounter, FollowUpTask, Response, Role, User
from server_sync.service.config.models import WardRow
from server_sync.service.core.errors import ServiceError, forbidden
from server_sync.service.records.models import CallAttemptRow, EncounterRow, ResponseRow, TaskRow

NURSE_REFUSED = (
    "rates and ward reports are for ward managers and administrators; "
    "a nurse's own figures are on her desk (ask your ward manager for the ward's report)"
)


def bad_request(message: str) -> ServiceError:
    return ServiceError(422, "invalid_request", message)


# --- periods ---------------------------------------------------------------------------------


def local_midnight_utc(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone_of(zone)).astimezone(timezone.utc)


def day_period(start_day: date, end_day: date, zone: str) -> Period:
    """Local calendar days ``[from, to)`` as a UTC period (the desk's ``stats --from/--to``)."""
    if end_day <= start_day:
        raise bad_request(f"to ({end_day}) must be after from ({start_day}); the period is [from, to)")
    return Period(local_midnight_utc(start_day, zone), local_midnight_utc(end_day, zone))


def parse_month(month: str) -> date:
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise bad_request(f"month '{month}' is not YYYY-MM") from None
    if len(month) != 7:
        raise bad_request(f"month '{month}' is not YYYY-MM")
    return first


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_period(month: str, zone: str) -> Period:
    """The local calendar month as a UTC period."""
    first = parse_month(month)
    return day_period(first, next_month(first), zone)


# --- scope -----------------------------------------------------------------------------------


def ward_zones(db_session: Session) -> dict[str, str]:
    return dict(db_session.execute(select(WardRow.code, WardRow.zone)).all())


def permitted_wards(*, db_session: Session, user: User, requested: Sequence[str] | None) -> list[str]:
    """The wards the caller may see figures of: a manager her own, an admin all; a nurse none (403)."""
    if user.role is Role.NURSE:
        raise forbidden(NURSE_REFUSED)
    known = ward_zones(db_session)
    if requested:
        unknown = sorted(set(requested) - set(known))
        if unknown:
            raise ServiceError(404, "not_found", f"unknown ward(s): {', '.join(unknown)}")
        if user.role is not Role.ADMIN:
            outside = sorted(set(requested) - set(user.wards))
            if outside:
                raise forbidden(
                    f"ward(s) {', '.join(outside)} are not yours: you manage {', '.join(user.wards)}"
                )
        return sorted(set(requested))
    return sorted(known) if user.role is Role.ADMIN else sorted(set(user.wards) & set(known))


def zone_for(db_session: Session, wards: Iterable[str]) -> str:
    """The wards' common zone, else the hospital default (one offset for the whole table)."""
    known = ward_zones(db_session)
    zones = {known.get(code, DEFAULT_ZONE) for code in wards}
    return zones.pop() if len(zones) == 1 else DEFAULT_ZONE


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScopeRecords:
    encounters: tuple[Encounter, ...]
    tasks: tuple[FollowUpTask, ...]
    attempts: tuple[CallAttempt, ...]
    responses: tuple[Response, ...]

    @property
    def empty(self) -> bool:
        return not (self.encounters or self.tasks or self.attempts or self.responses)


def _decoded(db_session: Session, model: Any, entity: str, wards: Sequence[str]) -> tuple[Any, ...]:
    if not wards:
        return ()
    payloads = db_session.scalars(
        select(model.payload).where(model.ward_code.in_(list(wards)), model.deleted.is_(False))
    ).all()
    return tuple(payload_to_entity(entity, payload) for payload in payloads)


def load_records(*, db_session: Session, wards: Sequence[str]) -> ScopeRecords:
    """The live (not deleted) encounters, tasks, attempts and responses of ``wards`` as domain objects.

    Attempts and responses carry their task's ward on the service, so one ward
    filter per table selects exactly what a desk of those wards holds.
    """
    return ScopeRecords(
        encounters=_decoded(db_session, EncounterRow, "encounter", wards),
        tasks=_decoded(db_session, TaskRow, "task", wards),
        attempts=_decoded(db_session, CallAttemptRow, "call_attempt", wards),
        responses=_decoded(db_session, ResponseRow, "response", wards),
    )


def records_rate_table(
    records: ScopeRecords, *, period: Period, as_of: datetime, by: GroupBy, zone: str
) -> RateTable:
    try:
        return rate_table(
            encounters=records.encounters,
            tasks=records.tasks,
            attempts=records.attempts,
            responses=records.responses,
            period=period,
            as_of=as_of,
            by=by,
            zone=zone,
        )
    except DomainError as error:
        raise bad_request(str(error)) from None


def rates_document(
    *,
    db_session: Session,
    user: User,
    start_day: date,
    end_day: date,
    by: GroupBy,
    wards: Sequence[str] | None,
    as_of: datetime,
) -> dict[str, Any]:
    """The ``stats --format json`` document of the desk, for the caller's permitted wards."""
    scope = permitted_wards(db_session=db_session, user=user, requested=wards)
    zone = zone_for(db_session, scope)
    period = day_period(start_day, end_day, zone)
    records = load_records(db_session=db_session, wards=scope)
    table = records_rate_table(records, period=period, as_of=as_of, by=by, zone=zone)
    return {
        "format": "followup.stats/1",
        "from": start_day.isoformat(),
        "to": end_day.isoformat(),
        "by": table.by.value,
        "zone": zone,
        "wards": scope,
        "as_of": as_of.astimezone(timezone.utc).isoformat(),
        "rows": table.as_dicts(),
    }
