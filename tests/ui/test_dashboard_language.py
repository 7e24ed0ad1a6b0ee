"""The quality dashboard follows a language switch at run time (zh_CN ↔ en), like the rest of the desk.

Every text a manager reads — labels, buttons, the export menu, tabs, card titles
and their previous / target lines, chart titles and legends, table headers, the
"data as of" stamp, the scope button and an open drill-down list — changes
without reloading, and switching back restores the Chinese texts exactly.
"""

from __future__ import annotations

import pytest
from desk_fixtures import demo_context, show_dashboard

from nurse_app.demo.generate import DEMO_MANAGER
from ui.i18n import set_language
from ui.operations import wait_for_all

WAIT = 20_000


@pytest.fixture
def dashboard(qtbot, desk_engine):
    yield show_dashboard(qtbot, demo_context(desk_engine, DEMO_MANAGER, "PC-DASH-LANG"), WAIT)
    wait_for_all()


def _headers(table) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def visible_texts(window) -> dict[str, object]:  # type: ignore[no-untyped-def]
    texts: dict[str, object] = {
        "title": window.windowTitle(),
        "period": window.period_label.text(),
        "wards": window.wards_label.text(),
        "custom": window.period_combo.itemText(window.period_combo.count() - 1),
        "scope": window.scope_button.text(),
        "refresh": window.refresh_button.text(),
        "export": window.export_button.text(),
        "export_menu": [a.text() for a in window.export_actions.values()],
        "tabs": [window.tabs.tabText(i) for i in range(window.tabs.count())],
        "as_of": window.as_of_label.text(),
    }
    for key, card in window.cards.items():
        texts[f"card {key}"] = (card.name.text(), card.value.text(), card.previous.text(), card.target.text())
        texts[f"tip {key}"] = card.toolTip()
    for name, chart in (
        ("weekly miss", window.weekly_miss),
        ("weekly rates", window.weekly_rates),
        ("monthly", window.monthly_chart),
    ):
        texts[f"chart {name}"] = (chart.title, chart.target_text, [s.name for s in chart.series])
    for name, page in window.breakdowns.items():
        texts[f"bars {name}"] = page.chart.title
        texts[f"table {name}"] = _headers(page.table)
    return texts


# Texts that are the same in both languages: numbers, and ward names (data, not words).
SAME_IN_BOTH = {"scope"}


def test_switching_language_rewrites_every_dashboard_text(qtbot, dashboard):
    chinese = visible_texts(dashboard)
    assert chinese["title"] == "质量看板" and chinese["refresh"] == "刷新"
    assert chinese["card miss"][0] == "漏访率" and chinese["card miss"][2].startswith("上期")
    assert chinese["as_of"].startswith("数据截至")
    assert chinese["table nurse"][0] == "护士"
    assert chinese["tabs"][-1] == "按病种" and chinese["bars diagnosis"] == "漏访率（按病种）"
    assert chinese["table diagnosis"][0] == "病种（ICD-10 类目）"
    assert "、" in chinese["scope"]  # two wards, joined the Chinese way

    set_language("en")
    english = visible_texts(dashboard)
    assert english["title"] == "Quality dashboard"
    assert english["period"] == "Period" and english["wards"] == "Wards"
    assert english["custom"] == "Custom…"
    assert english["refresh"] == "Refresh" and english["export"] == "Export report"
    assert english["export_menu"] == ["PDF report…", "CSV tables…", "Excel workbook…"]
    assert english["tabs"] == ["Trend", "By ward", "By nurse", "By plan", "By diagnosis group"]
    assert english["as_of"] == "Data as of: local data (never synced)"
    assert english["card miss"][0] == "Miss rate"
    assert english["card miss"][2].startswith("Previous ")
    assert english["card miss"][3].startswith("Target ≤ ")
    assert english["card duration_median"][1].endswith(" s")
    assert english["card open_critical"][0] == "Open critical alerts"
    assert english["chart weekly miss"] == ("Miss rate by week", "target", ["Miss rate"])
    assert english["chart monthly"][0] == "By month"
    assert english["bars nurse"] == "Miss rate by nurse"
    assert english["table ward"][:3] == ["Ward", "Miss rate", "On-time rate\n(24 h)"]  # two lines
    assert english["table nurse"][0] == "Nurse" and english["table plan"][0] == "Plan"
    assert english["table diagnosis"][0] == "Diagnosis group (ICD-10)"
    assert english["bars diagnosis"] == "Miss rate by diagnosis group"
    assert ", " in english["scope"] and "、" not in english["scope"]
    for key, text in chinese.items():
        if key in SAME_IN_BOTH:
            continue
        if key.startswith("card "):  # the value line is a number in both languages
            assert text[0] != english[key][0] and text[2] != english[key][2], key
        else:
            assert text != english[key], key

    set_language("zh_CN")
    assert visible_texts(dashboard) == chinese


def test_an_open_drill_down_list_follows_the_switch(qtbot, dashboard):
    dashboard.drill("on_time")
    qtbot.waitUntil(lambda: dashboard.drill_dialog is not None, timeout=WAIT)
    dialog = dashboard.drill_dialog
    dialog.select(0)
    before = (dialog.windowTitle(), _headers(dialog.tasks), _headers(dialog.attempts), dialog.summary.text())
    cells = [dialog.tasks.item(0, c).text() for c in range(dialog.tasks.columnCount())]
    assert before[0] == "明细任务：24小时及时率"
    set_language("en")
    assert dialog.windowTitle() == "Tasks behind: On-time rate (24 h)"
    headers = _headers(dialog.tasks)
    assert headers[:3] == ["Result", "Discharged", "First call"] and "MRN" in headers
    assert _headers(dialog.attempts) == ["Call started", "Nurse", "Outcome"]
    assert "discharges first called within 24 h" in dialog.summary.text()
    assert dialog.tasks.item(0, 0).text() in ("Within 24 h", "Late", "Not called")
    assert dialog.tasks.currentRow() == 0  # the selection survives the switch
    assert dialog.open_button.text() == "Open patient"
    set_language("zh_CN")
    assert (
        dialog.windowTitle(),
        _headers(dialog.tasks),
        _headers(dialog.attempts),
        dialog.summary.text(),
    ) == before
    assert [dialog.tasks.item(0, c).text() for c in range(dialog.tasks.columnCount())] == cells


def test_a_message_follows_the_switch(qtbot, dashboard):
    dashboard.set_scope([])
    assert dashboard.message.text() == "请至少选择一个病区。"
    assert dashboard.scope_button.text() == "未选病区"
    set_language("en")
    assert dashboard.message.text() == "Choose at least one ward."
    assert dashboard.scope_button.text() == "No ward"
