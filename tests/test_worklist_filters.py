"""The nurse's worklist: search and filters, counts per tab, raw-SQL parity and query plan."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from worklist_cache import DAY, NOW, OPEN_TABS, TAB, TODAY_START, Cache, local

from nurse_app.domain.errors import DomainError
from nurse_app.store.worklist import (
    WorklistTab,
    worklist,
    worklist_counts,
    worklist_counts_sql,
    worklist_sql,
    worklist_statement,
)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    c = Cache(tmp_path / "c.db")
    yield c
    c.engine.dispose()


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
