"""The worklist's SQL: tab predicates, filters and the Core selects (see ``worklist`` for the tabs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    union,
)

from nurse_app.domain.calling_hours import zone_of
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import AlertStatus, TaskStatus, require_utc
from nurse_app.store.models import AlertRow, PatientRow, TaskRow, UtcDateTime

DEFAULT_LIMIT = 500
DEFAULT_UPCOMING_DAYS = 7

# Core tables, not ORM attributes: no ORM compile step anywhere on this path.
_tasks = TaskRow.__table__
_patients = PatientRow.__table__
_alerts = AlertRow.__table__


class WorklistTab(StrEnum):
    DUE_NOW = "due_now"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"
    DONE_TODAY = "done_today"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class _Day:
    """The UTC instants that bound the local calendar day of ``now``."""

    now: datetime
    today_start: datetime
    today_end: datetime
    horizon: datetime  # end of the last local day shown in "upcoming"


def day_bounds(now: datetime, zone: str, upcoming_days: int) -> _Day:
    now = require_utc(now, "now")
    if upcoming_days < 0:
        raise DomainError(f"upcoming_days must be >= 0, got {upcoming_days}")
    today = now.astimezone(zone_of(zone)).date()
    return _Day(now, *_local_day_bounds(today, zone, upcoming_days))


@lru_cache(maxsize=64)
def _local_day_bounds(today: date, zone: str, upcoming_days: int) -> tuple[datetime, datetime, datetime]:
    """UTC start of ``today``, of tomorrow and of the day after the upcoming horizon (cached per day)."""
    tz = zone_of(zone)

    def local_midnight(day: date) -> datetime:
        # Combine-then-convert (not "+ 24 h") so a 23- or 25-hour DST day is still one calendar day.
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return (
        local_midnight(today),
        local_midnight(today + timedelta(days=1)),
        local_midnight(today + timedelta(days=upcoming_days + 1)),
    )


def _like_escape(text: str) -> str:
    """Make user text literal inside a LIKE pattern (``\\`` is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class Filters:
    wards: tuple[str, ...] | None
    nurse: str | None
    plan: str | None
    search: str | None

    @classmethod
    def of(
        cls,
        wards: str | Iterable[str] | None,
        nurse: str | None,
        plan: str | None,
        search: str | None,
    ) -> Filters:
        if isinstance(wards, str):
            ward_codes: tuple[str, ...] | None = (wards,)
        elif wards is None:
            ward_codes = None
        else:
            # Sorted and de-duplicated: equal filters share one statement shape.
            ward_codes = tuple(sorted(set(wards)))
        text = search.strip() if search else ""
        return cls(ward_codes, nurse or None, plan or None, text or None)

    @property
    def search_by_last4(self) -> bool:
        s = self.search
        return s is not None and len(s) == 4 and s.isascii() and s.isdigit()

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for i, ward in enumerate(self.wards or ()):
            out[f"ward_{i}"] = ward
        if self.nurse is not None:
            out["nurse"] = self.nurse
        if self.plan is not None:
            out["plan"] = self.plan
        if self.search is not None:
            escaped = _like_escape(self.search)
            out["q_name"] = f"%{escaped}%"
            out["q_mrn"] = f"{escaped}%"  # a prefix pattern also matches the exact MRN
            if self.search_by_last4:
                out["q_last4"] = self.search
        return out


@dataclass(frozen=True, slots=True)
class Shape:
    """What decides the SQL text: which filters are present, never their values.

    Statements are built and compiled once per shape and dialect; a call only
    computes its parameter values, which keeps the fixed cost per query small
    next to the raw-sqlite3 baseline.
    """

    tab: WorklistTab | None  # None: the counts statement
    n_wards: int | None
    nurse: bool
    plan: bool
    search: bool
    search_last4: bool

    @classmethod
    def of(cls, tab: WorklistTab | None, filters: Filters) -> Shape:
        return cls(
            tab=tab,
            n_wards=None if filters.wards is None else len(filters.wards),
            nurse=filters.nurse is not None,
            plan=filters.plan is not None,
            search=filters.search is not None,
            search_last4=filters.search_by_last4,
        )


def bind_values(day: _Day, filters: Filters, limit: int | None = None) -> dict[str, object]:
    values: dict[str, object] = {
        "now": day.now,
        "today_start": day.today_start,
        "today_end": day.today_end,
        "horizon": day.horizon,
        **filters.values(),
    }
    if limit is not None:
        if limit < 1:
            raise DomainError(f"limit must be >= 1, got {limit}")
        values["row_limit"] = limit
    return values


# --------------------------------------------------------------------------- statements


class _Binds:
    """The bind parameters of one statement, each made once and shared by every predicate.

    One object per name means a value used in several comparisons is still one
    named parameter (SQLAlchemy repeats its ``?`` position as needed).
    """

    def __init__(self) -> None:
        self.now = bindparam("now", type_=UtcDateTime)
        self.today_start = bindparam("today_start", type_=UtcDateTime)
        self.today_end = bindparam("today_end", type_=UtcDateTime)
        self.horizon = bindparam("horizon", type_=UtcDateTime)
        self.pending = bindparam("st_pending", TaskStatus.PENDING.value, type_=String)
        self.in_progress = bindparam("st_in_progress", TaskStatus.IN_PROGRESS.value, type_=String)
        self.completed = bindparam("st_completed", TaskStatus.COMPLETED.value, type_=String)
        self.alert_open = bindparam("alert_open", AlertStatus.OPEN.value, type_=String)

    def is_open(self) -> ColumnElement[bool]:
        return _tasks.c.status.in_([self.pending, self.in_progress])


def _all_ward_codes() -> Select[Any]:
    """The distinct ward codes of the tasks table, by a loose index scan.

    A recursive CTE that seeks ``min(ward_code) > previous`` costs one index
    probe per ward, where ``SELECT DISTINCT`` would read the whole index. Unlike
    the ``wards`` table it cannot miss a task whose ward row has not arrived yet.
    """
    ward_codes = select(func.min(_tasks.c.ward_code).label("code")).cte("ward_codes", recursive=True)
    later = _tasks.alias("later")
    next_code = (
        select(func.min(later.c.ward_code)).where(later.c.ward_code > ward_codes.c.code).scalar_subquery()
    )
    ward_codes = ward_codes.union_all(select(next_code).where(ward_codes.c.code.is_not(None)))
    return select(ward_codes.c.code)


def _filter_predicates(shape: Shape) -> list[ColumnElement[bool]]:
    """Ward / nurse / plan / search filters; ward and nurse ride the leading index columns."""
    t = _tasks.c
    preds: list[ColumnElement[bool]] = []
    if shape.n_wards is None:
        # "Every ward" still goes through the ward-leading indexes, one range per ward code:
        # without a ward term SQLite falls back to window_end and reads most of the cache.
        preds.append(t.ward_code.in_(_all_ward_codes()))
    elif shape.n_wards == 0:
        # An explicit empty ward list (a user without wards) sees nothing, not everything.
        preds.append(false())
    elif shape.n_wards == 1:
        preds.append(t.ward_code == bindparam("ward_0", type_=String))
    else:
        # One named parameter per ward, not an "expanding" IN: the compiled text is then
        # complete SQL that raw sqlite3 can run unchanged.
        preds.append(t.ward_code.in_([bindparam(f"ward_{i}", type_=String) for i in range(shape.n_wards)]))
    if shape.nurse:
        preds.append(t.assignee == bindparam("nurse", type_=String))
    if shape.plan:
        preds.append(t.plan_code == bindparam("plan", type_=String))
    if shape.search:
        terms: list[ColumnElement[bool]] = [
            _patients.c.name.like(bindparam("q_name", type_=String), escape="\\"),
            _patients.c.mrn.like(bindparam("q_mrn", type_=String), escape="\\"),
        ]
        if shape.search_last4:
            terms.append(_patients.c.phone_last4 == bindparam("q_last4", type_=String))
        preds.append(or_(*terms))
    return preds


def _tab_predicate(tab: WorklistTab, b: _Binds) -> ColumnElement[bool]:
    t = _tasks.c
    retry_due = or_(t.next_attempt_at.is_(None), t.next_attempt_at <= b.now)
    if tab is WorklistTab.DUE_NOW:
        # due_at <= now already implies "before today's end": one closed range on the index.
        return and_(
            b.is_open(), t.due_at >= b.today_start, t.due_at <= b.now, t.window_end >= b.now, retry_due
        )
    if tab is WorklistTab.OVERDUE:
        return and_(b.is_open(), t.due_at < b.today_start, t.window_end >= b.now, retry_due)
    if tab is WorklistTab.UPCOMING:
        return and_(b.is_open(), *_upcoming_terms(b))
    if tab is WorklistTab.DONE_TODAY:
        return and_(t.status == b.completed, t.completed_at >= b.today_start, t.completed_at < b.today_end)
    raise DomainError(f"unknown worklist tab '{tab}'")


def _upcoming_terms(b: _Binds) -> list[ColumnElement[bool]]:
    """The "upcoming" tab's terms beside "status is open"."""
    t = _tasks.c
    return [
        t.window_end >= b.now,
        or_(t.due_at > b.now, t.next_attempt_at > b.now),
        # Callable before the horizon: due_at and the retry time both fall before it.
        # "due_at < horizon" also bounds the index range, keeping far-future plan steps out.
        t.due_at < b.horizon,
        or_(t.next_attempt_at.is_(None), t.next_attempt_at < b.horizon),
    ]


def _upcoming_page_source(
    shape: Shape,
    b: _Binds,
    columns: list[Any],
    has_open_alert: ColumnElement[Any],
    row_limit: Any,
) -> Any:
    """The "upcoming" candidates that can reach the page, without sorting the whole tab.

    The tab's order is "open alert first, then overdue oldest first, then due_at, id",
    and for open tasks "overdue DESC, due_at ASC" is just "due_at ASC" (overdue means
    due before today's start). So only the alert pin breaks index order, and the page
    is always drawn from:

    * the pinned tasks (open alert; few), and
    * for each open status, its first ``row_limit`` tasks by ``due_at, id``: index order
      of ``ix_tasks_ward_status_due (ward_code, status, due_at, id, ...)``, so SQLite
      stops after ``row_limit`` rows instead of reading every candidate's table row.

    A non-pinned task on the page has fewer than ``row_limit`` tasks of its own status
    before it (pinned ones included), so it is in its status's first ``row_limit``.
    UNION drops tasks found twice (pinned and early); the caller sorts and limits.
    """
    t = _tasks.c
    filters = _filter_predicates(shape)
    source = _tasks.join(_patients, _patients.c.id == t.patient_id) if shape.search else _tasks
    terms = _upcoming_terms(b)
    pinned = (
        select(*columns)
        .select_from(source)
        .where(b.is_open(), *terms, *filters, has_open_alert)
        .order_by(t.due_at.asc(), t.id.asc())
        .limit(row_limit)
        .subquery("pinned")
    )
    parts = [select(*pinned.c)]
    for name, status in (("early_pending", b.pending), ("early_in_progress", b.in_progress)):
        early = (
            select(*columns)
            .select_from(source)
            .where(t.status == status, *terms, *filters)
            .order_by(t.due_at.asc(), t.id.asc())
            .limit(row_limit)
            .subquery(name)
        )
        parts.append(select(*early.c))
    return union(*parts).subquery("candidates")


@lru_cache(maxsize=128)
def worklist_select(shape: Shape) -> Select[Any]:
    """The worklist select of one shape, with unvalued bind parameters.

    Two levels, on purpose: the inner ``page`` filters, orders and limits tasks
    alone (plus patients only when searching); the outer joins patients and
    counts alerts for the page's rows only. SQLite computes every result column
    of every candidate before its ORDER BY/LIMIT, so in one flat select a tab of
    15 000 candidates would pay 15 000 patient lookups and alert counts to show 500.
    """
    assert shape.tab is not None
    b = _Binds()
    t = _tasks.c
    # EXISTS for the sort key (stops at the first match), answered from the covering
    # index alerts(task_id, status).
    has_open_alert = (
        select(_alerts.c.task_id)
        .where(_alerts.c.task_id == t.id, _alerts.c.status == b.alert_open)
        .correlate(_tasks)
        .exists()
        .label("has_open_alert")
    )
    # A finished task is never "overdue", whatever its due time was.
    overdue = case(
        (and_(b.is_open(), t.due_at < b.today_start), literal_column("1")), else_=literal_column("0")
    ).label("overdue")
    columns: list[Any] = [
        t.id,
        t.patient_id,
        t.ward_code,
        t.plan_code,
        t.plan_version,
        t.step_no,
        t.due_at,
        t.window_end,
        t.next_attempt_at,
        t.status,
        t.attempts,
        t.assignee,
        overdue,
        has_open_alert,
    ]
    row_limit = bindparam("row_limit", type_=Integer)
    if shape.tab is WorklistTab.UPCOMING:
        # Thousands of candidates: draw the page from index-ordered prefixes (see there).
        cand = _upcoming_page_source(shape, b, columns, has_open_alert, row_limit).c
        page = (
            select(*cand)
            .order_by(cand.has_open_alert.desc(), cand.overdue.desc(), cand.due_at.asc(), cand.id.asc())
            .limit(row_limit)
            .subquery("page")
        )
    else:
        source = _tasks.join(_patients, _patients.c.id == t.patient_id) if shape.search else _tasks
        page = (
            select(*columns)
            .select_from(source)
            .where(_tab_predicate(shape.tab, b), *_filter_predicates(shape))
            # Overdue rows sort "oldest first" by the same due_at key as the rest.
            .order_by(has_open_alert.desc(), overdue.desc(), t.due_at.asc(), t.id.asc())
            .limit(row_limit)
            .subquery("page")
        )
    open_alerts = (
        select(func.count())
        .select_from(_alerts)
        .where(_alerts.c.task_id == page.c.id, _alerts.c.status == b.alert_open)
        .scalar_subquery()
        .label("open_alerts")
    )
    p = page.c
    return (
        select(
            p.id,
            p.patient_id,
            _patients.c.name,
            _patients.c.mrn,
            _patients.c.phone_last4,
            _patients.c.sex,
            _patients.c.birth_date,
            p.ward_code,
            p.plan_code,
            p.plan_version,
            p.step_no,
            p.due_at,
            p.window_end,
            p.next_attempt_at,
            p.status,
            p.attempts,
            p.assignee,
            open_alerts,
            p.overdue,
        )
        .select_from(page.join(_patients, _patients.c.id == p.patient_id))
        # SQL does not promise that a subquery's order survives the join: sort the page again.
        .order_by(p.has_open_alert.desc(), p.overdue.desc(), p.due_at.asc(), p.id.asc())
    )


@lru_cache(maxsize=64)
def counts_select(shape: Shape) -> Select[Any]:
    """One row, one count per tab, as scalar subqueries of a single select.

    Not SUM(CASE ...) over one scan: the tabs want different index ranges (open
    tasks by due_at, completed tasks by completed_at), and a shared scan would
    read every completed task of the ward.
    """
    b = _Binds()
    filters = _filter_predicates(shape)
    source = _tasks.join(_patients, _patients.c.id == _tasks.c.patient_id) if shape.search else _tasks
    return select(
        *(
            select(func.count())
            .select_from(source)
            .where(_tab_predicate(tab, b), *filters)
            .scalar_subquery()
            .label(tab.value)
            for tab in WorklistTab
        )
    )
