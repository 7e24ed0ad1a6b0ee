"""What a report covers — which wards, which month — and who may ask for it.

Every check here runs before any figure is computed, so a wrong ward code, a
ward the user may not see or a bad month fails at once with one clear line
instead of after a minute of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from nurse_app.commands.stats import local_day_period
from nurse_app.domain.errors import DomainError
from nurse_app.domain.metrics import Period
from nurse_app.domain.model import DEFAULT_ZONE, User
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import WardRow

__all__ = [
    "ReportScopeError",
    "UnknownWard",
    "WardInfo",
    "WardNotPermitted",
    "check_scope",
    "check_wards_exist",
    "month_period",
    "previous_period",
    "ward_infos",
    "weekly_periods",
]


class ReportScopeError(DomainError):
    """A report asked for wards or a month it cannot cover."""


class UnknownWard(ReportScopeError):
    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        self.unknown = tuple(unknown)
        listed = ", ".join(known) if known else "none"
        super().__init__(f"unknown ward {', '.join(unknown)}; wards in the cache: {listed}")


class WardNotPermitted(ReportScopeError):
    def __init__(self, username: str, wards: Sequence[str]) -> None:
        self.wards = tuple(wards)
        super().__init__(
            f"user '{username}' may not see ward {', '.join(wards)}; "
            "a report can only cover the wards assigned to the user"
        )


@dataclass(frozen=True, slots=True)
class WardInfo:
    code: str
    name: str
    department: str


def check_scope(user: User | None, wards: Iterable[str]) -> tuple[str, ...]:
    """The wards, de-duplicated in the given order, if ``user`` may see every one of them.

    ``None`` (no logged-in user, e.g. the command line on IT's machine) allows
    all. Raises :class:`WardNotPermitted` naming the refused wards, or
    :class:`ReportScopeError` when no ward is given.
    """
    codes = tuple(dict.fromkeys(wards))
    if not codes:
        raise ReportScopeError("a report needs at least one ward")
    if user is not None:
        refused = [code for code in codes if not user.may_see_ward(code)]
        if refused or not user.active:
            raise WardNotPermitted(user.username, refused or codes)
    return codes


def ward_infos(conn: Executor) -> dict[str, WardInfo]:
    """Every ward of the cache by code."""
    rows = conn.execute(select(WardRow.code, WardRow.name, WardRow.department).order_by(WardRow.code))
    return {code: WardInfo(code, name, department) for code, name, department in rows}


def check_wards_exist(conn: Executor, wards: Iterable[str]) -> tuple[WardInfo, ...]:
    """The wards' details; raises :class:`UnknownWard` when a code is not in the cache."""
    known = ward_infos(conn)
    codes = tuple(dict.fromkeys(wards))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise UnknownWard(unknown, list(known))
    return tuple(known[code] for code in codes)


def parse_month(month: str) -> date:
    """``'2026-10'`` → the first day of that month."""
    try:
        year, number = (int(part) for part in month.split("-"))
        return date(year, number, 1)
    except ValueError:
        raise ReportScopeError(f"'{month}' is not a month in the form YYYY-MM") from None


def month_period(month: str, zone: str = DEFAULT_ZONE) -> Period:
    """The local calendar month as a UTC period — the same bounds ``stats --from/--to`` uses."""
    first = parse_month(month)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return local_day_period(first, after, zone)


def previous_period(period: Period) -> Period:
    """The period of the same length just before ``period`` (the comparison column of the report)."""
    return Period(period.start - (period.end - period.start), period.start)


def weekly_periods(period: Period) -> tuple[Period, ...]:
    """Consecutive 7-day slices from the period's start; the last one is cut at the period's end.

    Seven-day slices from the 1st rather than ISO weeks: every slice lies
    wholly inside the month, so the trend's weeks add up to the month.
    """
    week = timedelta(days=7)
    slices = []
    start = period.start
    while start < period.end:
        slices.append(Period(start, min(start + week, period.end)))
        start += week
    return tuple(slices)
