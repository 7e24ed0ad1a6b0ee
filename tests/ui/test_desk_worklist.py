"""The worklist: tabs with counts, search, alerts pinned on top, and a 10 000-row filter keystroke."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

from desk_fixtures import DESK_NOW
from PySide6.QtCore import Qt

from nurse_app.domain.model import Alert, AlertSeverity, Response
from nurse_app.store.worklist import WorklistRow, WorklistTab, worklist, worklist_counts
from ui import theme
from ui.desk.worklist_model import Column, WorklistModel

TAB_NAMES = {
    WorklistTab.DUE_NOW: "待随访",
    WorklistTab.OVERDUE: "已逾期",
    WorklistTab.UPCOMING: "即将到期",
    WorklistTab.DONE_TODAY: "今日完成",
}


def _store_counts(ctx):
    with ctx.engine.connect() as conn:
        return worklist_counts(conn, now=DESK_NOW, wards=["CARD1"], zone=ctx.zone)


def _show_tab(qtbot, window, tab):
    loaded = window.worklist.page
    window.worklist.set_tab(tab)
    qtbot.waitUntil(lambda: window.worklist.page is not loaded and window.worklist.page.query.tab is tab)


def test_tabs_show_chinese_titles_with_the_cache_counts(qtbot, desk_window, desk_ctx):
    counts = _store_counts(desk_ctx)
    assert sum(counts.values()) > 0
    tabs = desk_window.worklist.tabs
    for number, tab in enumerate(TAB_NAMES):
        assert tabs.tabText(number) == f"{TAB_NAMES[tab]} ({counts[tab]})"
    for tab in (WorklistTab.UPCOMING, WorklistTab.OVERDUE):
        _show_tab(qtbot, desk_window, tab)
        assert desk_window.worklist.model.rowCount() == counts[tab]


def test_search_by_name_and_by_phone_last4(qtbot, desk_window, desk_ctx):
    _show_tab(qtbot, desk_window, WorklistTab.UPCOMING)
    model = desk_window.worklist.model
    target = model.row_at(model.rowCount() - 1)
    search = desk_window.worklist.search
    search.setFocus()
    search.insert(target.patient_name)  # as an input method commits Chinese text (QTest types ASCII only)
    qtbot.waitUntil(
        lambda: (
            model.rowCount() >= 1
            and all(target.patient_name in model.row_at(i).patient_name for i in range(model.rowCount()))
        )
    )
    assert model.row_of_task(target.task_id) >= 0
    search.clear()
    qtbot.keyClicks(search, target.phone_last4)
    qtbot.waitUntil(lambda: model.row_of_task(target.task_id) >= 0 and model.rowCount() < 5)
    # Counts follow the search too (the cache is asked after the debounce).
    qtbot.waitUntil(lambda: desk_window.worklist.page.query.search == target.phone_last4)
    assert "即将到期 (" in desk_window.worklist.tabs.tabText(2)


def test_task_with_an_open_alert_is_pinned_on_top_in_red(qtbot, desk_window, desk_ctx):
    _show_tab(qtbot, desk_window, WorklistTab.UPCOMING)
    model = desk_window.worklist.model
    assert model.rowCount() >= 2
    last = model.row_at(model.rowCount() - 1)
    with desk_ctx.unit_of_work() as (repo, _session):
        response = Response(last.task_id, "heart_failure", 1, (), "N1001", DESK_NOW - timedelta(days=1))
        repo.add_response(response)
        repo.add_alert(
            Alert(
                response.id,
                last.task_id,
                last.patient_id,
                "CARD1",
                "SBP_HIGH",
                AlertSeverity.CRITICAL,
                "收缩压 ≥ 180 mmHg",
                DESK_NOW - timedelta(days=1),
            )
        )
    desk_window.worklist.refresh()
    qtbot.waitUntil(lambda: model.row_at(0) is not None and model.row_at(0).task_id == last.task_id)
    marker = model.index(0, Column.MARKER)
    assert "危急" in marker.data()
    assert marker.data(Qt.ItemDataRole.ForegroundRole) == theme.ALERT_RED
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.BackgroundRole) == theme.ALERT_BACKGROUND


def test_overdue_rows_are_marked(qtbot, desk_window, desk_ctx):
    _show_tab(qtbot, desk_window, WorklistTab.OVERDUE)
    model = desk_window.worklist.model
    assert model.rowCount() >= 1
    assert model.index(0, Column.MARKER).data() == "已逾期"
    assert model.index(0, Column.DUE).data(Qt.ItemDataRole.ForegroundRole) == theme.OVERDUE_ORANGE


def _ten_thousand_rows(ctx) -> list[WorklistRow]:
    with ctx.engine.connect() as conn:
        seeds = [r for tab in WorklistTab for r in worklist(conn, tab=tab, now=DESK_NOW, wards=None)]
    rows = []
    for number in range(10_000):
        seed = seeds[number % len(seeds)]
        rows.append(
            replace(
                seed,
                task_id=f"t{number}",
                patient_name=seed.patient_name + str(number % 97),
                mrn=f"ZY{30_000_000 + number}",
                phone_last4=f"{number % 10_000:04d}",
            )
        )
    return rows


def test_filter_keystroke_over_ten_thousand_rows_is_fast(qtbot, desk_ctx):
    model = WorklistModel()
    model.set_context(zone=desk_ctx.zone, today=date(2026, 11, 28), plan_names={})
    model.set_rows(_ten_thousand_rows(desk_ctx))
    assert model.rowCount() == 10_000
    timings = []
    for text in ("王", "王1", "ZY3000", "0042", "", "李"):
        started = time.perf_counter()
        model.set_search(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    median = timings[len(timings) // 2]
    print(f"\n10k-row filter keystroke: median {median:.2f} ms, worst {timings[-1]:.2f} ms")
    assert median < 100
    model.set_search("0042")
    assert model.row_of_task("t42") >= 0
