"""What the dashboard shows, read in one database job (no Qt here: runs on the "db" worker).

All numbers come from ``nurse_app.reports`` (``build_figures``, ``hospital_headlines``,
``headline``); this module only decides which periods and wards to ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from nurse_app.desk.context import DeskContext
from nurse_app.domain.metrics import Period
from nurse_app.domain.model import Role, User
from nurse_app.reports.data import ProgressCallback, WardMonthFigures, build_figures
from nurse_app.reports.headline import Headline, headline, hospital_headlines
from nurse_app.reports.scope import WardInfo, WardNotPermitted, check_scope, month_period, ward_infos
from nurse_app.store import outbox
from nurse_app.store.models import WardRow
from server_sync.client.state import LAST_SYNC
from ui.dashboard.behind import DrillResult, GroupFilter, drill

MANAGER_ROLES = frozenset({Role.WARD_MANAGER, Role.ADMIN})
TREND_MONTHS = 6


@dataclass(frozen=True, slots=True)
class MonthPoint:
    label: str  # 'YYYY-MM'
    headline: Headline


@dataclass(frozen=True, slots=True)
class DashboardData:
    figures: WardMonthFigures
    by_ward: dict[str, Headline]
    monthly: tuple[MonthPoint, ...]
    last_sync: datetime | None  # None: this cache never synced ("local data")


def may_open_dashboard(user: User) -> bool:
    return user.active and user.role in MANAGER_ROLES


def visible_wards(ctx: DeskContext) -> tuple[WardInfo, ...]:
    """The wards the user may choose: every ward of the cache for an admin, else the assigned ones."""
    with ctx.unit_of_work() as (_repo, session):
        known = ward_infos(session)
    return tuple(info for code, info in known.items() if ctx.user.may_see_ward(code))


def month_before(month: str, back: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def recent_months(today: date, count: int = 12) -> list[str]:
    """'YYYY-MM' of this month and the ``count - 1`` before it, newest first."""
    this = f"{today.year:04d}-{today.month:02d}"
    return [month_before(this, back) for back in range(count)]


def last_sync_at(session) -> datetime | None:  # type: ignore[no-untyped-def]
    value = outbox.get_state(session, LAST_SYNC)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def load_dashboard(
    ctx: DeskContext,
    wards: Sequence[str],
    period: Period,
    *,
    label: str = "",
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DashboardData:
    """Every figure of the dashboard for ``wards`` and ``period``; refuses wards the user may not see."""
    if not may_open_dashboard(ctx.user):
        raise WardNotPermitted(ctx.user.username, tuple(wards) or ("*",))
    codes = check_scope(ctx.user, wards)
    as_of = ctx.now()
    zone = ctx.zone
    with ctx.unit_of_work() as (_repo, session):
        figures = build_figures(
            session,
            codes,
            period,
            as_of=as_of,
            label=label,
            zone=zone,
            user=ctx.user,
            progress=progress,
            cancel=cancel,
        )
        by_ward = hospital_headlines(session, period, as_of=as_of, wards=codes, zone=zone).by_ward
        monthly: list[MonthPoint] = []
        if label:  # a calendar month: the months before it for the monthly trend
            for back in range(TREND_MONTHS - 1, -1, -1):
                month = month_before(label, back)
                monthly.append(
                    MonthPoint(
                        month, headline(session, codes, month_period(month, zone), as_of=as_of, zone=zone)
                    )
                )
        stamp = last_sync_at(session)
    return DashboardData(figures, by_ward, tuple(monthly), stamp)


def load_drill(
    ctx: DeskContext,
    wards: Sequence[str],
    period: Period,
    key: str,
    *,
    as_of: datetime | None = None,
    group: GroupFilter | None = None,
) -> DrillResult:
    """The rows behind figure ``key`` (scope checked again: the worker never trusts the widget).

    ``as_of`` should be the moment the figure was computed at, so the list and the number agree.
    """
    if not may_open_dashboard(ctx.user):
        raise WardNotPermitted(ctx.user.username, tuple(wards) or ("*",))
    codes = check_scope(ctx.user, wards)
    with ctx.unit_of_work() as (_repo, session):
        return drill(session, codes, period, key, as_of=as_of or ctx.now(), group=group)


def all_ward_codes(ctx: DeskContext) -> tuple[str, ...]:
    with ctx.unit_of_work() as (_repo, session):
        return tuple(code for (code,) in session.execute(select(WardRow.code).order_by(WardRow.code)))
