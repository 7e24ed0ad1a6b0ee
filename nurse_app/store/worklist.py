"""The nurse's worklist: tab queries over the local cache.

Each call runs ONE Core ``SELECT`` (tasks joined to patients, open alerts
probed through the ``alerts(task_id, status)`` index) and fetches at most
``limit`` rows. The bench compares it with the very same SQL text run through
raw ``sqlite3`` (:func:`worklist_sql`).

Tabs, with "open" = ``pending`` or ``in_progress`` and "today" = the local
calendar day of ``now`` in the ward's zone:

* ``due_now``    open, ``today_start <= due_at <= now``, window still open
  (``window_end >= now``) and the retry is due (``next_attempt_at`` null or ``<= now``).
* ``overdue``    open, ``due_at < today_start``, window still open, retry due.
* ``upcoming``   open, window still open, not callable yet (``due_at > now`` or
  ``next_attempt_at > now``) and callable before the end of the
  ``upcoming_days``-th local day after today (default 7: today plus 7 whole days).
* ``done_today`` completed with ``today_start <= completed_at < today_end``.

The three open tabs are disjoint: a task inside its window is either callable
now (due_now if due today, overdue if due earlier) or waiting (upcoming).

Order (DESIGN): tasks with an open alert first, then overdue ones oldest first,
then due soonest, ties by task id. Every time is bound through ``UtcDateTime``
(naive UTC text in SQLite), so comparisons with stored values are lexical and right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
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
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from nurse_app.domain.calling_hours import zone_of
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import DEFAULT_ZONE, AlertStatus, TaskStatus, require_utc
from nurse_app.store.models import AlertRow, PatientRow, TaskRow, UtcDateTime

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_UPCOMING_DAYS",
    "WorklistRow",
    "WorklistTab",
    "worklist",
    "worklist_counts",
    "worklist_counts_sql",
    "worklist_sql",
    "worklist_statement",
]

DEFAULT_LIMIT = 500
DEFAULT_UPCOMING_DAYS = 7

# Core tables, not ORM attributes: no ORM compile step anywhere on this path.
_tasks = TaskRow.__table__
_patients = PatientRow.__table__
_alerts = AlertRow.__table__

_SQLITE = sqlite.dialect()


class WorklistTab(StrEnum):
    DUE_NOW = "due_now"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"
    DONE_TODAY = "done_today"


@dataclass(frozen=True)
class WorklistRow:
    """One line of the worklist: the task plus what the nurse needs to recognise the patient.

    ``overdue`` is true for an open task due before today's local start; ``open_alerts``
    counts the task's alerts still in status ``open``.
    """

    task_id: str
    patient_id: str
    patient_name: str
    mrn: str
    phone_last4: str
    sex: str
    birth_date: date
    ward_code: str
    plan_code: str
    plan_version: int
    step_no: int
    due_at: datetime
    window_end: datetime
    next_attempt_at: datetime | None
    status: str
    attempts: int
    assignee: str | None
    open_alerts: int
    overdue: bool


_ROW_FIELDS = tuple(field.name for field in fields(WorklistRow))
_new_object = object.__new__


def _row(values: tuple[Any, ...]) -> WorklistRow:
    """A WorklistRow from values in field order, without the frozen ``__init__``.

    A frozen dataclass's generated ``__init__`` sets each of the 19 fields via
    ``object.__setattr__`` (~3 µs a row, about what SQLite spends on the row
    itself). Filling the instance dict in one call nearly halves that, which keeps a
    worklist within 2x of raw sqlite3 even for small tabs. The instance stays
    frozen to every caller.
    """
    row = _new_object(WorklistRow)
    row.__dict__.update(zip(_ROW_FIELDS, values, strict=True))
    return row


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class _Day:
    """The UTC instants that bound the local calendar day of ``now``."""

    now: datetime
    today_start: datetime
    today_end: datetime
    horizon: datetime  # end of the last local day shown in "upcoming"


def _day_bounds(now: datetime, zone: str, upcoming_days: int) -> _Day:
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
class _Filters:
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
    ) -> _Filters:
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
class _Shape:
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
    def of(cls, tab: WorklistTab | None, filters: _Filters) -> _Shape:
        return cls(
            tab=tab,
            n_wards=None if filters.wards is None else len(filters.wards),
            nurse=filters.nurse is not None,
            plan=filters.plan is not None,
            search=filters.search is not None,
            search_last4=filters.search_by_last4,
        )


def _values(day: _Day, filters: _Filters, limit: int | None = None) -> dict[str, object]:
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


def _filter_predicates(shape: _Shape) -> list[ColumnElement[bool]]:
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
        return and_(
            b.is_open(),
            t.window_end >= b.now,
            or_(t.due_at > b.now, t.next_attempt_at > b.now),
            # Callable before the horizon: due_at and the retry time both fall before it.
            # "due_at < horizon" also bounds the index range, keeping far-future plan steps out.
            t.due_at < b.horizon,
            or_(t.next_attempt_at.is_(None), t.next_attempt_at < b.horizon),
        )
    if tab is WorklistTab.DONE_TODAY:
        return and_(t.status == b.completed, t.completed_at >= b.today_start, t.completed_at < b.today_end)
    raise DomainError(f"unknown worklist tab '{tab}'")


@lru_cache(maxsize=128)
def _worklist_select(shape: _Shape) -> Select[Any]:
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
    source = _tasks.join(_patients, _patients.c.id == t.patient_id) if shape.search else _tasks
    page = (
        select(
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
        )
        .select_from(source)
        .where(_tab_predicate(shape.tab, b), *_filter_predicates(shape))
        # Overdue rows sort "oldest first" by the same due_at key as the rest.
        .order_by(has_open_alert.desc(), overdue.desc(), t.due_at.asc(), t.id.asc())
        .limit(bindparam("row_limit", type_=Integer))
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
def _counts_select(shape: _Shape) -> Select[Any]:
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


_Processor = Callable[[Any], Any]


def _processor_for(type_: TypeEngine[Any], dialect: Dialect) -> _Processor:
    """The result processor SQLAlchemy itself would apply to this type (identity if none)."""
    proc = type_.dialect_impl(dialect).result_processor(dialect, None)
    return proc if proc is not None else (lambda value: value)


def _sqlite_utc(value: str | None) -> datetime | None:
    """Stored naive-UTC text → aware UTC datetime.

    Same result as UtcDateTime's processor, ~5x cheaper (no Python-level
    ``replace(tzinfo=...)``): per-row conversion is what separates us from the
    raw-sqlite3 baseline on small tabs.
    """
    return None if value is None else _fromisoformat(value + "+00:00")


def _sqlite_date(value: str | None) -> date | None:
    return None if value is None else _date_fromisoformat(value)


_fromisoformat = datetime.fromisoformat
_date_fromisoformat = date.fromisoformat


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled for one dialect: SQL text plus how to make its parameters."""

    sql: str
    positional: bool
    names: tuple[str, ...]
    defaults: Mapping[str, object]  # constants (status codes …) already in driver form
    binders: Mapping[str, _Processor | None]
    to_date: _Processor
    to_utc: _Processor

    def params(self, values: Mapping[str, object]) -> tuple[object, ...] | dict[str, object]:
        # Each value is converted once, however many placeholders repeat it.
        driver = dict(self.defaults)
        for name, value in values.items():
            binder = self.binders.get(name)
            driver[name] = value if binder is None or value is None else binder(value)
        if self.positional:
            return tuple(driver[name] for name in self.names)
        return {name: driver[name] for name in self.names}


def _prepare(stmt: Select[Any], dialect: Dialect) -> _Prepared:
    compiled = stmt.compile(dialect=dialect)
    names = tuple(compiled.positiontup) if compiled.positiontup else tuple(compiled.binds)
    # dialect_impl: the driver-level type, e.g. SQLite's DATETIME that renders the storage text.
    binders = {
        name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    }
    # Constants carried by the statement itself (status codes, OFFSET 0), in driver form.
    defaults: dict[str, object] = {}
    for name in names:
        value = compiled.binds[name].effective_value
        binder = binders[name]
        defaults[name] = binder(value) if binder is not None and value is not None else value
    return _Prepared(
        sql=compiled.string,
        positional=compiled.positional,
        names=names,
        defaults=defaults,
        binders=binders,
        # SQLite (and SQLCipher) hand back the stored text; other dialects get SQLAlchemy's processors.
        to_date=_sqlite_date if dialect.name == "sqlite" else _processor_for(Date(), dialect),
        to_utc=_sqlite_utc if dialect.name == "sqlite" else _processor_for(UtcDateTime(), dialect),
    )


@lru_cache(maxsize=256)
def _prepared(shape: _Shape, dialect: Dialect) -> _Prepared:
    stmt = _counts_select(shape) if shape.tab is None else _worklist_select(shape)
    return _prepare(stmt, dialect)


def _connection(conn_or_session: Connection | Session) -> Connection:
    if isinstance(conn_or_session, Session):
        return conn_or_session.connection()
    return conn_or_session


def _fetch_all(conn: Connection, sql: str, params: object) -> list[Any]:
    """Run pre-compiled SQL on the connection's own DBAPI connection (same transaction).

    ``exec_driver_sql`` would add ~30 µs of result-metadata set-up per call, a
    third of a small tab's whole query time; SQLAlchemy's echo/cursor events do
    not see these statements.
    """
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


# --------------------------------------------------------------------------- public API


def worklist(
    conn_or_session: Connection | Session,
    *,
    tab: WorklistTab | str,
    now: datetime,
    wards: str | Iterable[str] | None = None,
    nurse: str | None = None,
    plan: str | None = None,
    search: str | None = None,
    zone: str = DEFAULT_ZONE,
    limit: int = DEFAULT_LIMIT,
    upcoming_days: int = DEFAULT_UPCOMING_DAYS,
) -> list[WorklistRow]:
    """The rows of one worklist tab, in DESIGN order, at most ``limit`` of them.

    ``now`` must be timezone-aware; ``zone`` is the ward's IANA zone that defines
    "today". ``wards`` is one code or several (``None``: every ward in the cache;
    an empty list: none). ``search`` matches a name substring, an MRN prefix, or,
    when it is exactly 4 digits, also the phone's last 4 digits.
    """
    tab = WorklistTab(tab)
    filters = _Filters.of(wards, nurse, plan, search)
    values = _values(_day_bounds(now, zone, upcoming_days), filters, limit)
    conn = _connection(conn_or_session)
    prepared = _prepared(_Shape.of(tab, filters), conn.dialect)
    # The text is compiled once per shape, so a call is parameter values + one driver execute.
    rows = _fetch_all(conn, prepared.sql, prepared.params(values))
    to_date, to_utc = prepared.to_date, prepared.to_utc
    return [
        _row(
            (
                *r[:6],
                to_date(r[6]),
                *r[7:11],
                to_utc(r[11]),
                to_utc(r[12]),
                to_utc(r[13]),
                *r[14:18],
                bool(r[18]),
            )
        )
        for r in rows
    ]


def worklist_counts(
    conn_or_session: Connection | Session,
    *,
    now: datetime,
    wards: str | Iterable[str] | None = None,
    nurse: str | None = None,
    plan: str | None = None,
    search: str | None = None,
    zone: str = DEFAULT_ZONE,
    upcoming_days: int = DEFAULT_UPCOMING_DAYS,
) -> dict[WorklistTab, int]:
    """How many rows each tab holds under the same filters (one statement, no limit)."""
    filters = _Filters.of(wards, nurse, plan, search)
    values = _values(_day_bounds(now, zone, upcoming_days), filters)
    conn = _connection(conn_or_session)
    prepared = _prepared(_Shape.of(None, filters), conn.dialect)
    (row,) = _fetch_all(conn, prepared.sql, prepared.params(values))
    return {tab: int(count) for tab, count in zip(WorklistTab, row, strict=True)}


def worklist_statement(
    *,
    tab: WorklistTab | str,
    now: datetime,
    wards: str | Iterable[str] | None = None,
    nurse: str | None = None,
    plan: str | None = None,
    search: str | None = None,
    zone: str = DEFAULT_ZONE,
    limit: int = DEFAULT_LIMIT,
    upcoming_days: int = DEFAULT_UPCOMING_DAYS,
) -> Select[Any]:
    """The Core select behind :func:`worklist` with its values bound (columns in ``WorklistRow`` order)."""
    tab = WorklistTab(tab)
    filters = _Filters.of(wards, nurse, plan, search)
    values = _values(_day_bounds(now, zone, upcoming_days), filters, limit)
    return _worklist_select(_Shape.of(tab, filters)).params(values)


def worklist_sql(
    *,
    tab: WorklistTab | str,
    now: datetime,
    wards: str | Iterable[str] | None = None,
    nurse: str | None = None,
    plan: str | None = None,
    search: str | None = None,
    zone: str = DEFAULT_ZONE,
    limit: int = DEFAULT_LIMIT,
    upcoming_days: int = DEFAULT_UPCOMING_DAYS,
) -> tuple[str, tuple[object, ...]]:
    """``(sql, params)`` of :func:`worklist` for raw ``sqlite3``: ``connection.execute(sql, params)``.

    The text is exactly what :func:`worklist` sends to the driver (qmark style),
    the parameters are in driver form (times as naive-UTC text). Rows come back as
    tuples in ``WorklistRow`` field order, unconverted.
    """
    tab = WorklistTab(tab)
    filters = _Filters.of(wards, nurse, plan, search)
    values = _values(_day_bounds(now, zone, upcoming_days), filters, limit)
    prepared = _prepared(_Shape.of(tab, filters), _SQLITE)
    return prepared.sql, prepared.params(values)  # type: ignore[return-value]


def worklist_counts_sql(
    *,
    now: datetime,
    wards: str | Iterable[str] | None = None,
    nurse: str | None = None,
    plan: str | None = None,
    search: str | None = None,
    zone: str = DEFAULT_ZONE,
    upcoming_days: int = DEFAULT_UPCOMING_DAYS,
) -> tuple[str, tuple[object, ...]]:
    """``(sql, params)`` of :func:`worklist_counts` for raw ``sqlite3`` (one row: a count per tab)."""
    filters = _Filters.of(wards, nurse, plan, search)
    values = _values(_day_bounds(now, zone, upcoming_days), filters)
    prepared = _prepared(_Shape.of(None, filters), _SQLITE)
    return prepared.sql, prepared.params(values)  # type: ignore[return-value]
