"""The nurse's worklist over the local cache: tab membership at the edges, order and row content."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from worklist_cache import DAY, NOW, TAB, TODAY_START, Cache, local

from nurse_app.domain.errors import DomainError
from nurse_app.store.worklist import (
    WorklistRow,
)


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
