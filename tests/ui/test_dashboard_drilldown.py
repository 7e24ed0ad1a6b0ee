"""Every number of the quality dashboard opens the rows behind it, and those rows recount the number.

The headline cards (all ten) and every number cell of the ward / nurse / plan /
diagnosis-group tables: the rows the drill-down lists give back exactly the numerator and
population (or median, mean, count of categories) shown, on the demo cache.
Opening a patient from any list goes through the main window (audited).
"""

from __future__ import annotations

import statistics

import pytest
from desk_fixtures import demo_context, show_dashboard, task_audits

from nurse_app.demo.generate import DEMO_MANAGER, DEMO_NURSE
from nurse_app.desk.context import DeskContext
from nurse_app.reports.headline import FIGURE_KEYS, Figure
from nurse_app.reports.scope import WardNotPermitted, month_period
from ui.dashboard.behind import BREAKDOWN_KEYS, DrillResult, GroupFilter
from ui.dashboard.loading import DashboardData, load_dashboard, load_drill
from ui.operations import wait_for_all

MANAGER_WARDS = ("CARD1", "CARD2")
MONTH = "2026-11"
WAIT = 20_000


def _ctx(engine, username: str) -> DeskContext:
    return demo_context(engine, username, "PC-DASH-DRILL")


@pytest.fixture(scope="module")
def manager(desk_engine) -> DeskContext:
    return _ctx(desk_engine, DEMO_MANAGER)


@pytest.fixture(scope="module")
def data(manager) -> DashboardData:
    return load_dashboard(manager, MANAGER_WARDS, month_period(MONTH), label=MONTH)


def _drill(ctx: DeskContext, data: DashboardData, key: str, group: GroupFilter | None = None) -> DrillResult:
    figures = data.figures
    return load_drill(ctx, figures.ward_codes, figures.period, key, as_of=figures.as_of, group=group)


def _assert_recounts(result: DrillResult, key: str, numbers) -> None:  # type: ignore[no-untyped-def]
    """``numbers``: (numerator, denominator) of a rate, Durations of a duration, or a plain count."""
    if key == "miss":  # only the missed tasks are listed (the rest need no review)
        assert result.counted == result.total == numbers.numerator, key
    elif key in ("on_time", "reach", "satisfaction"):
        assert (result.counted, result.total) == (numbers.numerator, numbers.denominator), key
    elif key in ("duration_median", "duration_mean"):
        seconds = result.seconds
        assert len(seconds) == numbers.count, key
        if seconds:
            assert statistics.median(seconds) == pytest.approx(numbers.median_s), key
            assert statistics.fmean(seconds) == pytest.approx(numbers.mean_s), key
    elif key == "diseases":
        assert len(result.groups) == numbers, key
    else:
        assert len(result.rows) == numbers, key


def _headline_numbers(figure: Figure, data: DashboardData):  # type: ignore[no-untyped-def]
    tally = data.figures.headline.current
    if figure.key in ("miss", "on_time", "reach", "satisfaction"):
        return getattr(tally, figure.key)
    if figure.key in ("duration_median", "duration_mean"):
        return tally.durations
    if figure.key == "diseases":
        return len(tally.diseases)
    return getattr(tally, figure.key)


@pytest.mark.parametrize("key", FIGURE_KEYS)
def test_every_headline_number_lists_the_rows_that_make_it(manager, data, key):
    figure = getattr(data.figures.headline, key)
    result = _drill(manager, data, key)
    assert result.key == key and len(result.details) == len(result.rows)
    _assert_recounts(result, key, _headline_numbers(figure, data))
    if key != "open_critical":  # the demo month has no open critical alert: that list is empty
        assert result.rows, f"{key}: the demo month has data behind every other figure"
    assert all(r.ward_code in MANAGER_WARDS for r in result.rows)
    # Identifiers are masked, as in the report's lists.
    assert all("*" in r.patient for r in result.rows if r.patient)


def test_a_discharge_shows_its_first_contact_whichever_step_it_was_on(manager, data):
    result = _drill(manager, data, "on_time")
    for row, detail in zip(result.rows, result.details, strict=True):
        assert detail.discharged_at is not None
        if detail.first_call_at is None:
            assert not row.attempts and not row.counted
        else:
            # The attempts below the list are the discharge's, so the first one is the first contact.
            assert row.attempts[0].started_at == detail.first_call_at
    late = [d for r, d in zip(result.rows, result.details, strict=True) if not r.counted and d.first_call_at]
    assert late, "the demo month has discharges first called after 24 h"
    assert all((d.first_call_at - d.discharged_at).total_seconds() > 24 * 3600 for d in late)


def _line_numbers(line, key: str):  # type: ignore[no-untyped-def]
    rates = line.rates
    if key == "completed":
        return line.completed
    if key == "duration_median":
        return rates.durations
    return getattr(rates, key)


def _ward_numbers(headline, key: str):  # type: ignore[no-untyped-def]
    tally = headline.current
    if key == "duration_median":
        return tally.durations
    return getattr(tally, key)


def test_every_breakdown_cell_lists_the_rows_of_its_group(manager, data):
    checked = 0
    for code, headline in data.by_ward.items():
        for key in BREAKDOWN_KEYS:
            result = _drill(manager, data, key, GroupFilter("ward", code))
            assert {r.ward_code for r in result.rows} <= {code}
            _assert_recounts(result, key, _ward_numbers(headline, key))
            checked += 1
    for by, lines in (
        ("nurse", data.figures.by_nurse),
        ("plan", data.figures.by_plan),
        ("diagnosis", data.figures.by_diagnosis),
    ):
        assert lines
        for line in lines:
            for key in BREAKDOWN_KEYS:
                result = _drill(manager, data, key, GroupFilter(by, line.key))
                _assert_recounts(result, key, _line_numbers(line, key))
                checked += 1
    assert checked > 30


def test_a_diagnosis_cell_lists_only_its_category(manager, data):
    line = max(data.figures.by_diagnosis, key=lambda line: line.rates.reach.denominator)
    for key in ("reach", "diseases"):
        result = _drill(manager, data, key, GroupFilter("diagnosis", line.key))
        assert result.rows and len(result.rows) < len(_drill(manager, data, key).rows)
    # The diseases list names each row's category: all of them are the cell's.
    assert result.groups == {line.key}


def test_a_nurse_cannot_drill(desk_engine, data):
    nurse = _ctx(desk_engine, DEMO_NURSE)
    figures = data.figures
    with pytest.raises(WardNotPermitted):
        load_drill(nurse, ["CARD1"], figures.period, "miss", as_of=figures.as_of)


@pytest.fixture
def dashboard(qtbot, manager):
    yield show_dashboard(qtbot, manager, WAIT)
    wait_for_all()


def test_every_card_with_a_population_is_clickable(qtbot, dashboard):
    for key, card in dashboard.cards.items():
        figure = card.figure
        assert figure is not None
        has_population = bool(figure.denominator) if figure.denominator is not None else bool(figure.value)
        assert card.drillable == has_population, key
    # The demo month: everything but the open critical alerts (none) has something behind it.
    assert [k for k, c in dashboard.cards.items() if not c.drillable] == ["open_critical"]


@pytest.mark.parametrize("key", ["on_time", "duration_median", "satisfaction", "responses", "diseases"])
def test_clicking_a_card_opens_its_list(qtbot, dashboard, key):
    from PySide6.QtCore import QPoint, Qt

    card = dashboard.cards[key]
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    qtbot.waitUntil(
        lambda: dashboard.drill_dialog is not None and dashboard.drill_dialog.key == key, timeout=WAIT
    )
    dialog = dashboard.drill_dialog
    assert dialog.tasks.rowCount() == len(dialog.rows) > 0
    headers = [dialog.tasks.horizontalHeaderItem(c).text() for c in range(dialog.tasks.columnCount())]
    assert "住院号" in headers and headers[0] == ("ICD-10 类目" if key == "diseases" else "结果")
    assert len(headers) > 9  # the figure's own columns (discharge, call, survey, category…)
    assert dialog.summary.text()


def test_clicking_a_table_cell_drills_into_that_group(qtbot, dashboard):
    page = dashboard.breakdowns["nurse"]
    table = page.table
    column = 1 + BREAKDOWN_KEYS.index("miss")
    row = next(r for r in range(table.rowCount()) if table.item(r, column).text() not in ("-", ""))
    line_key = table.item(row, column).data(0x0100)
    rect = table.visualItemRect(table.item(row, column))
    from PySide6.QtCore import Qt

    dashboard.tabs.setCurrentWidget(page)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: dashboard.drill_dialog is not None, timeout=WAIT)
    dialog = dashboard.drill_dialog
    assert dialog.key == "miss" and dialog.result.group == GroupFilter("nurse", line_key)
    line = next(line for line in dashboard.data.figures.by_nurse if line.key == line_key)
    assert dialog.result.counted == len(dialog.rows) == line.rates.miss.numerator
    assert all(r.assignee == line_key for r in dialog.rows)
    assert line.label in dialog.windowTitle() or "未分配" in dialog.windowTitle()
    # The name column carries no figure.
    name_rect = table.visualItemRect(table.item(row, 0))
    dialog.close()
    dashboard.drill_dialog = None
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=name_rect.center())
    qtbot.wait(200)
    assert dashboard.drill_dialog is None


def test_opening_a_patient_from_a_duration_list_is_audited(qtbot, desk_engine, manager, desk_settings):
    from ui.desk.read_aloud import NoReadAloud
    from ui.main_window import MainWindow

    main = MainWindow(manager, desk_settings, read_aloud=NoReadAloud())
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    main.dashboard_action.trigger()
    dashboard = main.dashboard
    qtbot.waitUntil(lambda: dashboard.data is not None, timeout=WAIT)
    dashboard.drill("duration_mean")
    qtbot.waitUntil(lambda: dashboard.drill_dialog is not None, timeout=WAIT)
    dialog = dashboard.drill_dialog
    dialog.select(0)
    row = dialog.rows[0]
    assert dialog.details[0].call_seconds == max(dialog.result.seconds)  # longest call first

    def audits() -> int:
        return task_audits(manager, DEMO_MANAGER, row.task_id)

    before = audits()
    dialog.open_button.click()
    qtbot.waitUntil(lambda: audits() == before + 1, timeout=WAIT)
    qtbot.waitUntil(
        lambda: main.workspace.folder is not None and main.workspace.folder.task.id == row.task_id,
        timeout=WAIT,
    )
    wait_for_all()
