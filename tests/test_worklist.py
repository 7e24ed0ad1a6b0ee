"""The nurse's worklist over the local cache: tab membership at the edges, order, filters, raw-SQL parity."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, insert
from sqlalchemy.orm import Session

from nurse_app.domain.errors import DomainError
from nurse_app.store.models import (
    AlertRow,
    Base,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseRow,
    TaskRow,
    WardRow,
)
from nurse_app.store.worklist import (
    WorklistRow,
    WorklistTab,
    worklist,
    worklist_counts,
    worklist_counts_sql,
    worklist_sql,
    worklist_statement,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAB = WorklistTab
OPEN_TABS = (TAB.DUE_NOW, TAB.OVERDUE, TAB.UPCOMING)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as the UTC instant the cache stores."""
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


NOW = local(2026, 3, 2, 10, 0)  # 02:00Z
TODAY_START = local(2026, 3, 2)  # 2026-03-01T16:00Z
DAY = timedelta(days=1)


class Cache:
    """A cache file with helpers that insert rows through the table objects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: Engine = create_engine(f"sqlite:///{path}")
        # A throwaway file needs no fsync; with it every DDL statement costs ~20 ms here.
        event.listen(self.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA synchronous=OFF"))
        Base.metadata.create_all(self.engine)
        self._n = 0
        self._conn: Connection | None = None
        with self.engine.begin() as conn:
            conn.execute(
                insert(WardRow.__table__),
                [{"code": code, "name": code, "department": "心内科"} for code in ("W1", "W2", "W3")],
            )

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Insert everything inside the block in one transaction (one fsync, not hundreds)."""
        with self.engine.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    def _write(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._conn) if self._conn is not None else self.engine.begin()

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:04d}"

    def patient(
        self,
        name: str = "张三",
        *,
        mrn: str | None = None,
        phone: str = "13800000000",
        sex: str = "female",
        birth_date: date = date(1958, 5, 1),
    ) -> str:
        pid = self._next("p")
        with self._write() as conn:
            conn.execute(
                insert(PatientRow.__table__),
                {
                    "id": pid,
                    "mrn": mrn or f"MRN{self._n:06d}",
                    "name": name,
                    "sex": sex,
                    "birth_date": birth_date,
                    "phone": phone,
                    "phone_last4": phone[-4:],
                },
            )
            conn.execute(
                insert(EncounterRow.__table__),
                {"id": f"e-{pid}", "patient_id": pid, "ward_code": "W1", "admitted_at": NOW - 10 * DAY},
            )
            conn.execute(
                insert(EnrollmentRow.__table__),
                {
                    "id": f"en-{pid}",
                    "patient_id": pid,
                    "encounter_id": f"e-{pid}",
                    "plan_code": "HF",
                    "plan_version": 1,
                    "source": "auto",
                    "status": "active",
                    "enrolled_at": NOW - 9 * DAY,
                },
            )
        return pid

    def task(
        self,
        patient_id: str | None = None,
        *,
        due_at: datetime,
        window_end: datetime | None = None,
        status: str = "pending",
        ward: str = "W1",
        assignee: str | None = "nurse_li",
        plan: str = "HF",
        next_attempt_at: datetime | None = None,
        completed_at: datetime | None = None,
        task_id: str | None = None,
        attempts: int = 0,
    ) -> str:
        patient_id = patient_id or self.patient()
        tid = task_id or self._next("t")
        with self._write() as conn:
            conn.execute(
                insert(TaskRow.__table__),
                {
                    "id": tid,
                    "enrollment_id": f"en-{patient_id}",
                    "patient_id": patient_id,
                    "encounter_id": f"e-{patient_id}",
                    "ward_code": ward,
                    "plan_code": plan,
                    "plan_version": 1,
                    "step_no": 1,
                    "due_at": due_at,
                    "window_end": window_end or due_at + 3 * DAY,
                    "assignee": assignee,
                    "status": status,
                    "attempts": attempts,
                    "next_attempt_at": next_attempt_at,
                    "completed_at": completed_at,
                },
            )
        return tid

    def alert(self, task_id: str, status: str = "open") -> None:
        with self._write() as conn:
            (patient_id, ward) = conn.execute(
                TaskRow.__table__.select()
                .with_only_columns(TaskRow.__table__.c.patient_id, TaskRow.__table__.c.ward_code)
                .where(TaskRow.__table__.c.id == task_id)
            ).one()
            rid = self._next("r")
            conn.execute(
                insert(ResponseRow.__table__),
                {
                    "id": rid,
                    "task_id": task_id,
                    "questionnaire_code": "VITALS",
                    "questionnaire_version": 1,
                    "submitted_by": "nurse_li",
                    "submitted_at": NOW - DAY,
                },
            )
            conn.execute(
                insert(AlertRow.__table__),
                {
                    "id": self._next("a"),
                    "response_id": rid,
                    "task_id": task_id,
                    "patient_id": patient_id,
                    "ward_code": ward,
                    "rule_code": "SBP_GE_180",
                    "severity": "critical",
                    "message": "收缩压 ≥ 180",
                    "raised_at": NOW - DAY,
                    "status": status,
                },
            )

    def rows(self, tab: WorklistTab, *, now: datetime = NOW, **kw: Any) -> list[WorklistRow]:
        with self.engine.connect() as conn:
            return worklist(conn, tab=tab, now=now, **kw)

    def ids(self, tab: WorklistTab, *, now: datetime = NOW, **kw: Any) -> list[str]:
        return [row.task_id for row in self.rows(tab, now=now, **kw)]

    def tabs_of(self, task_id: str, **kw: Any) -> list[WorklistTab]:
        """Every tab the task appears in (the open tabs must never share a task)."""
        return [tab for tab in WorklistTab if task_id in self.ids(tab, **kw)]

    def counts(self, *, now: datetime = NOW, **kw: Any) -> dict[WorklistTab, int]:
        with self.engine.connect() as conn:
            return worklist_counts(conn, now=now, **kw)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    c = Cache(tmp_path / "c.db")
    yield c
    c.engine.dispose()


# --------------------------------------------------------------------------- tab edges


def test_due_at_local_midnight_is_due_now_and_a_minute_before_is_overdue(cache: Cache) -> None:
    at_midnight = cache.task(due_at=TODAY_START)  # 3/2 00:00 Shanghai = 3/1 16:00Z
    yesterday_2359 = cache.task(due_at=TODAY_START - timedelta(minutes=1))

    assert cache.tabs_of(at_midnight) == [TAB.DUE_NOW]
    assert cache.tabs_of(yesterday_2359) == [TAB.OVERDUE]
    (due,) = cache.rows(TAB.DUE_NOW)
    (late,) = cache.rows(TAB.OVERDUE)
    assert (due.overdue, late.overdue) == (False, True)


def test_due_now_runs_up_to_now_inclusive(cache: Cache) -> None:
    exactly_now = cache.task(due_at=NOW)
    a_second_later = cache.task(due_at=NOW + timedelta(seconds=1))
    later_today = cache.task(due_at=local(2026, 3, 2, 18, 0))

    assert cache.tabs_of(exactly_now) == [TAB.DUE_NOW]
    assert cache.tabs_of(a_second_later) == [TAB.UPCOMING]
    assert cache.tabs_of(later_today) == [TAB.UPCOMING]


def test_retry_not_yet_due_moves_the_task_to_upcoming(cache: Cache) -> None:
    waiting = cache.task(due_at=local(2026, 3, 2, 8, 0), next_attempt_at=NOW + timedelta(hours=2), attempts=1)
    retry_now = cache.task(due_at=local(2026, 3, 2, 8, 0), next_attempt_at=NOW, attempts=1)
    overdue_waiting = cache.task(due_at=TODAY_START - DAY, next_attempt_at=NOW + timedelta(hours=1))
    overdue_retry_due = cache.task(due_at=TODAY_START - DAY, next_attempt_at=NOW - timedelta(hours=1))

    assert cache.tabs_of(waiting) == [TAB.UPCOMING]
    assert cache.tabs_of(retry_now) == [TAB.DUE_NOW]
    assert cache.tabs_of(overdue_waiting) == [TAB.UPCOMING]
    assert cache.tabs_of(overdue_retry_due) == [TAB.OVERDUE]
    row = next(r for r in cache.rows(TAB.UPCOMING) if r.task_id == overdue_waiting)
    assert row.overdue is True
    assert row.next_attempt_at == NOW + timedelta(hours=1)


def test_closed_window_leaves_every_open_tab(cache: Cache) -> None:
    closed = cache.task(due_at=TODAY_START - 2 * DAY, window_end=NOW - timedelta(microseconds=1))
    closes_now = cache.task(due_at=TODAY_START - 2 * DAY, window_end=NOW)
    closed_today = cache.task(due_at=local(2026, 3, 2, 8), window_end=NOW - timedelta(minutes=1))
    retry_after_close = cache.task(
        due_at=TODAY_START - DAY, window_end=NOW - timedelta(minutes=1), next_attempt_at=NOW + DAY
    )

    assert cache.tabs_of(closed) == []
    assert cache.tabs_of(closes_now) == [TAB.OVERDUE]
    assert cache.tabs_of(closed_today) == []
    assert cache.tabs_of(retry_after_close) == []


def test_only_pending_and_in_progress_are_open(cache: Cache) -> None:
    due = local(2026, 3, 2, 9, 0)
    in_progress = cache.task(due_at=due, status="in_progress")
    others = [cache.task(due_at=due, status=s) for s in ("paused", "missed", "cancelled", "completed")]

    assert cache.ids(TAB.DUE_NOW) == [in_progress]
    for tid in others:
        assert cache.tabs_of(tid) == []


def test_upcoming_ends_with_the_seventh_local_day_after_today(cache: Cache) -> None:
    last_in = cache.task(due_at=local(2026, 3, 9, 23, 59))
    first_out = cache.task(due_at=local(2026, 3, 10, 0, 0))
    retry_out = cache.task(due_at=local(2026, 3, 2, 9), next_attempt_at=local(2026, 3, 10, 0, 0))

    assert cache.ids(TAB.UPCOMING) == [last_in]
    assert cache.tabs_of(first_out) == []
    assert cache.tabs_of(retry_out) == []
    # upcoming_days=0: only the rest of today.
    tonight = cache.task(due_at=local(2026, 3, 2, 18, 0))
    assert cache.ids(TAB.UPCOMING, upcoming_days=0) == [tonight]


def test_done_today_is_the_local_calendar_day(cache: Cache) -> None:
    due = TODAY_START - 3 * DAY
    after_local_midnight = cache.task(
        due_at=due, status="completed", completed_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    )  # 3/2 00:30 in Shanghai
    before_local_midnight = cache.task(
        due_at=due, status="completed", completed_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    )  # 3/1 23:30 in Shanghai
    missed_today = cache.task(due_at=due, status="missed", completed_at=NOW - timedelta(hours=1))

    assert cache.ids(TAB.DONE_TODAY) == [after_local_midnight]
    assert cache.tabs_of(before_local_midnight) == []
    assert cache.tabs_of(missed_today) == []
    (row,) = cache.rows(TAB.DONE_TODAY)
    assert row.overdue is False  # a finished task is never overdue


def test_zone_defines_today(cache: Cache) -> None:
    tid = cache.task(due_at=datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # 3/2 04:00 Shanghai, 3/1 20:00 London

    assert cache.tabs_of(tid) == [TAB.DUE_NOW]
    assert cache.tabs_of(tid, zone="Europe/London") == [TAB.OVERDUE]
    assert cache.tabs_of(tid, zone="UTC") == [TAB.OVERDUE]


# --------------------------------------------------------------------------- order and row content


def test_order_alert_first_then_overdue_oldest_first_then_due_soonest(cache: Cache) -> None:
    # All in "upcoming": overdue tasks waiting for a retry mix with tasks due later.
    retry = NOW + timedelta(hours=1)
    with_alert = cache.task(due_at=NOW + 2 * DAY, task_id="t-alert")
    cache.alert(with_alert)
    cache.alert(with_alert)
    cache.alert(with_alert, status="acknowledged")
    only_closed_alert = cache.task(due_at=NOW + 3 * DAY, task_id="t-ack")
    cache.alert(only_closed_alert, status="resolved")
    overdue_1d = cache.task(due_at=TODAY_START - DAY, next_attempt_at=retry, task_id="t-od1")
    overdue_3d = cache.task(
        due_at=TODAY_START - 3 * DAY, window_end=NOW + DAY, next_attempt_at=retry, task_id="t-od3"
    )
    tomorrow_0900 = cache.task(due_at=local(2026, 3, 3, 9), task_id="t-0900")
    tomorrow_0800_b = cache.task(due_at=local(2026, 3, 3, 8), task_id="t-0800-b")
    tomorrow_0800_a = cache.task(due_at=local(2026, 3, 3, 8), task_id="t-0800-a")

    rows = cache.rows(TAB.UPCOMING)

    assert [r.task_id for r in rows] == [
        with_alert,
        overdue_3d,
        overdue_1d,
        tomorrow_0800_a,
        tomorrow_0800_b,
        tomorrow_0900,
        only_closed_alert,
    ]
    alerts = {r.task_id: r.open_alerts for r in rows}
    assert alerts[with_alert] == 2
    assert alerts[only_closed_alert] == 0


def test_overdue_tab_order(cache: Cache) -> None:
    old = cache.task(due_at=TODAY_START - 5 * DAY, window_end=NOW + DAY)
    older_with_alert = cache.task(due_at=TODAY_START - 2 * DAY)
    cache.alert(older_with_alert)
    recent = cache.task(due_at=TODAY_START - timedelta(hours=1))

    assert cache.ids(TAB.OVERDUE) == [older_with_alert, old, recent]


def test_row_carries_patient_and_task_fields(cache: Cache) -> None:
    pid = cache.patient(
        "王芳", mrn="ZY2026001", phone="13912345678", sex="female", birth_date=date(1949, 10, 1)
    )
    due = local(2026, 3, 2, 9, 30)
    tid = cache.task(
        pid, due_at=due, window_end=due + DAY, assignee="nurse_wang", attempts=2, status="in_progress"
    )

    (row,) = cache.rows(TAB.DUE_NOW)

    assert row == WorklistRow(
        task_id=tid,
        patient_id=pid,
        patient_name="王芳",
        mrn="ZY2026001",
        phone_last4="5678",
        sex="female",
        birth_date=date(1949, 10, 1),
        ward_code="W1",
        plan_code="HF",
        plan_version=1,
        step_no=1,
        due_at=due,
        window_end=due + DAY,
        next_attempt_at=None,
        status="in_progress",
        attempts=2,
        assignee="nurse_wang",
        open_alerts=0,
        overdue=False,
    )
    assert row.due_at.tzinfo is not None and row.due_at.utcoffset() == timedelta(0)
    with pytest.raises(FrozenInstanceError):
        row.status = "completed"  # type: ignore[misc]


def test_limit_keeps_the_first_rows(cache: Cache) -> None:
    tids = [cache.task(due_at=NOW - timedelta(minutes=m)) for m in range(5)]  # tids[4] is due first

    assert cache.ids(TAB.DUE_NOW, limit=2) == [tids[4], tids[3]]
    assert cache.counts()[TAB.DUE_NOW] == 5
    with pytest.raises(DomainError):
        cache.ids(TAB.DUE_NOW, limit=0)


# --------------------------------------------------------------------------- filters


@pytest.fixture
def people(cache: Cache) -> dict[str, str]:
    """Three patients with one due task each; returns name → task id."""
    due = local(2026, 3, 2, 9)
    zhang = cache.patient("张三丰", mrn="M0012345", phone="13800001234")
    li = cache.patient("李四", mrn="M0012", phone="13900005678")
    wang = cache.patient("王五", mrn="X999", phone="13700001234")
    pct = cache.patient("赵%六_", mrn="Q1", phone="13600009999")
    return {
        "zhang": cache.task(zhang, due_at=due, ward="W1", assignee="nurse_a", plan="HF"),
        "li": cache.task(li, due_at=due + timedelta(minutes=1), ward="W2", assignee="nurse_b", plan="HF"),
        "wang": cache.task(
            wang, due_at=due + timedelta(minutes=2), ward="W3", assignee="nurse_a", plan="COPD"
        ),
        "pct": cache.task(pct, due_at=due + timedelta(minutes=3), ward="W3", assignee=None, plan="COPD"),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("三", ["zhang"]),  # name substring
        ("张三丰", ["zhang"]),
        ("  李四 ", ["li"]),  # surrounding blanks ignored
        ("M0012", ["zhang", "li"]),  # exact MRN and MRN prefix
        ("M0012345", ["zhang"]),
        ("0012", []),  # not an MRN prefix; 4 digits but no phone ends in 0012
        ("1234", ["zhang", "wang"]),  # last 4 phone digits
        ("5678", ["li"]),
        ("123", []),  # the phone is matched on exactly 4 digits only
        ("%", ["pct"]),  # LIKE wildcards are literal
        ("_", ["pct"]),
        ("无此人", []),
        ("", ["zhang", "li", "wang", "pct"]),  # empty search = no filter
    ],
)
def test_search(cache: Cache, people: dict[str, str], search: str, expected: list[str]) -> None:
    assert cache.ids(TAB.DUE_NOW, search=search) == [people[name] for name in expected]
    assert cache.counts(search=search)[TAB.DUE_NOW] == len(expected)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"wards": "W1"}, ["zhang"]),
        ({"wards": ["W2", "W1"]}, ["zhang", "li"]),
        ({"wards": ("W3",)}, ["wang", "pct"]),
        ({"wards": []}, []),  # a user without wards sees nothing
        ({"wards": None}, ["zhang", "li", "wang", "pct"]),
        ({"nurse": "nurse_a"}, ["zhang", "wang"]),
        ({"nurse": "nurse_a", "wards": "W3"}, ["wang"]),
        ({"plan": "COPD"}, ["wang", "pct"]),
        ({"plan": "HF", "nurse": "nurse_b", "wards": ["W1", "W2"]}, ["li"]),
        ({"wards": "W9"}, []),
    ],
)
def test_ward_nurse_plan_filters(
    cache: Cache, people: dict[str, str], filters: dict[str, Any], expected: list[str]
) -> None:
    assert cache.ids(TAB.DUE_NOW, **filters) == [people[name] for name in expected]


# --------------------------------------------------------------------------- counts and raw SQL


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    """A few hundred tasks spread over every edge the tabs care about."""
    cache = Cache(tmp_path_factory.mktemp("mixed") / "c.db")
    with cache.batch():
        _fill_mixed(cache)
    yield cache
    cache.engine.dispose()


def _fill_mixed(cache: Cache) -> None:
    rnd = random.Random(20260302)
    offsets = [
        -10 * DAY,
        -DAY,
        -timedelta(minutes=1),
        timedelta(0),
        timedelta(hours=5),
        timedelta(hours=11),
        DAY,
        7 * DAY,
        8 * DAY,
    ]
    patients = [cache.patient(f"患者{i}", phone=f"1380000{i:04d}") for i in range(12)]
    for _ in range(240):
        due = TODAY_START + rnd.choice(offsets)
        status = rnd.choice(["pending", "pending", "in_progress", "completed", "missed", "paused"])
        completed_at = NOW - timedelta(hours=rnd.choice([1, 9, 11, 30])) if status == "completed" else None
        tid = cache.task(
            rnd.choice(patients),
            due_at=due,
            window_end=NOW + rnd.choice([-DAY, -timedelta(seconds=1), timedelta(0), DAY, 9 * DAY]),
            status=status,
            ward=rnd.choice(["W1", "W2", "W3"]),
            assignee=rnd.choice(["nurse_a", "nurse_b", None]),
            plan=rnd.choice(["HF", "COPD"]),
            next_attempt_at=rnd.choice([None, None, NOW - DAY, NOW, NOW + timedelta(hours=3), NOW + 9 * DAY]),
            completed_at=completed_at,
        )
        if rnd.random() < 0.15:
            cache.alert(tid, status=rnd.choice(["open", "open", "acknowledged"]))


FILTER_CASES: list[dict[str, Any]] = [
    {},
    {"wards": "W1"},
    {"wards": ["W1", "W3"]},
    {"nurse": "nurse_a"},
    {"wards": "W2", "nurse": "nurse_b", "plan": "HF"},
    {"search": "患者1"},
    {"search": "0007"},
    {"zone": "Europe/London"},
]


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_counts_equal_the_rows_of_each_tab(mixed: Cache, filters: dict[str, Any]) -> None:
    counts = mixed.counts(**filters)
    assert set(counts) == set(WorklistTab)
    for tab in WorklistTab:
        assert counts[tab] == len(mixed.ids(tab, limit=10_000, **filters)), tab
    open_ids = [set(mixed.ids(tab, limit=10_000, **filters)) for tab in OPEN_TABS]
    assert sum(map(len, open_ids)) == len(set().union(*open_ids)), "open tabs must be disjoint"
    assert sum(counts.values()) > 0 or filters


@pytest.mark.parametrize("filters", FILTER_CASES)
def test_worklist_sql_through_raw_sqlite3_gives_the_same_rows(mixed: Cache, filters: dict[str, Any]) -> None:
    raw = sqlite3.connect(mixed.path)
    try:
        for tab in WorklistTab:
            sql, params = worklist_sql(tab=tab, now=NOW, **filters)
            raw_rows = raw.execute(sql, params).fetchall()
            rows = mixed.rows(tab, **filters)
            assert [r[0] for r in raw_rows] == [r.task_id for r in rows], tab
            assert [(r[17], bool(r[18])) for r in raw_rows] == [(r.open_alerts, r.overdue) for r in rows]
        sql, params = worklist_counts_sql(now=NOW, **filters)
        (raw_counts,) = raw.execute(sql, params).fetchall()
        assert dict(zip(WorklistTab, raw_counts, strict=True)) == mixed.counts(**filters)
    finally:
        raw.close()


def test_statement_and_session_give_the_same_rows(mixed: Cache) -> None:
    expected = mixed.ids(TAB.UPCOMING, wards=["W1", "W2"])
    with Session(mixed.engine) as session:
        assert [r.task_id for r in worklist(session, tab="upcoming", now=NOW, wards=["W1", "W2"])] == expected
        assert worklist_counts(session, now=NOW, wards=["W1", "W2"])[TAB.UPCOMING] == len(expected)
    with mixed.engine.connect() as conn:
        stmt = worklist_statement(tab=TAB.UPCOMING, now=NOW, wards=["W1", "W2"])
        assert [r[0] for r in conn.execute(stmt)] == expected


def test_sql_binds_times_as_stored_naive_utc_text() -> None:
    _, params = worklist_sql(tab=TAB.DUE_NOW, now=NOW, wards="W1")
    assert "2026-03-01 16:00:00.000000" in params  # today's local start, in UTC
    assert "2026-03-02 02:00:00.000000" in params  # now
    assert not any(isinstance(p, datetime) for p in params)


@pytest.mark.parametrize(
    ("tab", "index"),
    [
        (TAB.DUE_NOW, "ix_tasks_ward_status_due"),
        (TAB.OVERDUE, "ix_tasks_ward_status_due"),
        (TAB.UPCOMING, "ix_tasks_ward_status_due"),
        (TAB.DONE_TODAY, "ix_tasks_ward_status_completed"),
    ],
)
@pytest.mark.parametrize("wards", ["W1", ["W1", "W2"], None])
def test_query_plan_searches_the_ward_index(
    cache: Cache, tab: WorklistTab, index: str, wards: str | list[str] | None
) -> None:
    sql, params = worklist_sql(tab=tab, now=NOW, wards=wards)
    raw = sqlite3.connect(cache.path)
    try:
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        raw.close()
    assert any(step.startswith(f"SEARCH tasks USING INDEX {index} (ward_code=") for step in plan), plan
    assert not any(step.startswith("SCAN tasks") for step in plan), plan


def test_naive_now_and_unknown_zone_are_refused(cache: Cache) -> None:
    with pytest.raises(DomainError):
        cache.ids(TAB.DUE_NOW, now=datetime(2026, 3, 2, 10, 0))
    with pytest.raises(DomainError):
        cache.ids(TAB.DUE_NOW, zone="Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        cache.ids("tomorrow")  # type: ignore[arg-type]
