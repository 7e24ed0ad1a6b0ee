"""The by-diagnosis tab (按病种) of the dashboard, on the hand-made ward of ``tests/diagnosis_world.py``.

Every number cell of every group — the one without a diagnosis included, which
the demo data lacks — lists rows that recount the number shown; the tab shows
the group names in either language.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from diagnosis_world import AS_OF, MONTH, diagnosis_engine
from sqlalchemy import Engine
from test_dashboard_drilldown import _assert_recounts, _line_numbers

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import Role, User
from nurse_app.reports.diagnosis import NO_DIAGNOSIS
from nurse_app.reports.scope import month_period
from ui.dashboard.behind import BREAKDOWN_KEYS, GroupFilter, drill
from ui.dashboard.loading import DashboardData, load_dashboard
from ui.i18n import set_language
from ui.operations import wait_for_all

WAIT = 20_000
MANAGER = User("hn", "护士长", Role.WARD_MANAGER, ("W1",))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from diagnosis_engine(tmp_path_factory.mktemp("dx-ui"))


@pytest.fixture(scope="module")
def ctx(engine: Engine) -> DeskContext:
    return DeskContext(engine, MANAGER, device="PC-DASH-DX", clock=lambda: AS_OF)


@pytest.fixture(scope="module")
def data(ctx: DeskContext) -> DashboardData:
    return load_dashboard(ctx, ["W1"], month_period(MONTH), label=MONTH)


def test_every_diagnosis_cell_lists_the_rows_of_its_group(engine: Engine, data: DashboardData) -> None:
    figures = data.figures
    assert [line.key for line in figures.by_diagnosis] == ["I10", "I50", NO_DIAGNOSIS]
    with engine.connect() as conn:
        for line in figures.by_diagnosis:
            for key in BREAKDOWN_KEYS:
                group = GroupFilter("diagnosis", line.key)
                result = drill(conn, ["W1"], figures.period, key, as_of=figures.as_of, group=group)
                _assert_recounts(result, key, _line_numbers(line, key))


def test_an_unknown_breakdown_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown breakdown"):
        GroupFilter("disease", "I50")


@pytest.fixture
def dashboard(qtbot, ctx):  # type: ignore[no-untyped-def]
    from ui.dashboard.window import DashboardWindow

    window = DashboardWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.period_combo.setCurrentIndex(window.period_combo.findData(MONTH))
    qtbot.waitUntil(lambda: window.data is not None and window.data.figures.label == MONTH, timeout=WAIT)
    yield window
    wait_for_all()


def _column(table, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_the_tab_names_every_group_and_drills_into_the_one_without_a_diagnosis(qtbot, dashboard) -> None:
    from PySide6.QtCore import Qt

    page = dashboard.breakdowns["diagnosis"]
    assert dashboard.tabs.tabText(dashboard.tabs.indexOf(page)) == "按病种"
    assert _column(page.table, 0) == ["I10 原发性高血压", "I50 心力衰竭", "未填诊断"]
    assert _column(page.table, 1) == ["50.0% (1/2)", "33.3% (1/3)", "50.0% (1/2)"]  # miss, by hand
    assert [bar.label for bar in page.chart.bars] == _column(page.table, 0)

    dashboard.tabs.setCurrentWidget(page)
    item = page.table.item(2, 1 + BREAKDOWN_KEYS.index("on_time"))
    qtbot.mouseClick(
        page.table.viewport(), Qt.MouseButton.LeftButton, pos=page.table.visualItemRect(item).center()
    )
    qtbot.waitUntil(lambda: dashboard.drill_dialog is not None, timeout=WAIT)
    dialog = dashboard.drill_dialog
    assert dialog.result.group == GroupFilter("diagnosis", NO_DIAGNOSIS)
    assert (dialog.result.counted, dialog.result.total) == (1, 2)
    assert dialog.windowTitle().endswith("— 未填诊断")

    set_language("en")
    assert dashboard.tabs.tabText(dashboard.tabs.indexOf(page)) == "By diagnosis group"
    assert _column(page.table, 0)[-1] == "No diagnosis"
    assert page.chart.bars[-1].label == "No diagnosis"
    dialog.close()
