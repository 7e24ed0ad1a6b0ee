"""The ward manager's quality dashboard (质量看板) on the demo cache, offscreen.

Its numbers are ``nurse_app.reports``' numbers; the miss-rate drill-down lists
exactly the missed tasks and opening one is audited; a nurse gets neither the
menu nor the data; the PDF export writes a file off the GUI thread.
"""

from __future__ import annotations

import pytest
from desk_fixtures import DESK_NOW, demo_context, show_dashboard, task_audits

from nurse_app.demo.generate import DEMO_MANAGER, DEMO_NURSE
from nurse_app.desk.context import DeskContext
from nurse_app.reports.details import missed_follow_ups
from nurse_app.reports.headline import headline
from nurse_app.reports.labels import fmt_value
from nurse_app.reports.records import load_records
from nurse_app.reports.scope import WardNotPermitted, check_scope, month_period
from ui.dashboard.loading import load_dashboard
from ui.operations import wait_for_all

MANAGER_WARDS = ("CARD1", "CARD2")
MONTH = "2026-11"  # DESK_NOW is 2026-11-28: the dashboard opens on this month
WAIT = 20_000


def _ctx(engine, username: str) -> DeskContext:
    return demo_context(engine, username, "PC-DASH-TEST")


@pytest.fixture
def manager_ctx(desk_engine) -> DeskContext:
    return _ctx(desk_engine, DEMO_MANAGER)


@pytest.fixture
def dashboard(qtbot, manager_ctx):
    return show_dashboard(qtbot, manager_ctx, WAIT)


def test_headline_numbers_are_the_reports_numbers(dashboard, manager_ctx):
    assert dashboard.scope() == MANAGER_WARDS
    assert dashboard.period_combo.currentData() == MONTH
    with manager_ctx.unit_of_work() as (_repo, session):
        expected = headline(session, MANAGER_WARDS, month_period(MONTH), as_of=DESK_NOW)
    assert expected.has_data
    shown = dashboard.data.figures.headline
    for figure in expected.figures:
        got = getattr(shown, figure.key)
        assert (got.value, got.previous, got.status) == (figure.value, figure.previous, figure.status), (
            figure.key
        )
        card = dashboard.cards[figure.key]
        assert fmt_value(figure.kind, figure.value) in card.value.text()
    assert "本地数据" in dashboard.as_of_label.text()  # the demo cache never synced


def test_miss_rate_drill_down_lists_the_missed_tasks_and_opening_one_is_audited(
    qtbot, desk_engine, manager_ctx, desk_settings
):
    from ui.desk.read_aloud import NoReadAloud
    from ui.main_window import MainWindow

    main = MainWindow(manager_ctx, desk_settings, read_aloud=NoReadAloud())
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    assert main.dashboard_menu is not None and main.dashboard_menu.title() == "质量看板(&Q)"
    main.dashboard_action.trigger()
    dashboard = main.dashboard
    qtbot.waitUntil(lambda: dashboard.data is not None, timeout=WAIT)

    dashboard.cards["miss"].sig_clicked.emit("miss")
    qtbot.waitUntil(lambda: dashboard.drill_dialog is not None, timeout=WAIT)
    dialog = dashboard.drill_dialog
    period = month_period(MONTH)
    with manager_ctx.unit_of_work() as (_repo, session):
        records = load_records(session, MANAGER_WARDS, period, with_patients=True)
    missed = missed_follow_ups(records, MANAGER_WARDS, period, DESK_NOW)
    figure = dashboard.data.figures.headline.miss
    assert len(dialog.rows) == figure.numerator == len(missed) > 0
    assert sorted((r.mrn, r.window_end) for r in dialog.rows) == sorted((m.mrn, m.window_end) for m in missed)
    assert all(r.counted for r in dialog.rows)

    with_attempts = next(i for i, r in enumerate(dialog.rows) if r.attempts)
    dialog.select(with_attempts)
    row = dialog.rows[with_attempts]
    assert dialog.attempts.rowCount() == len(row.attempts)
    assert dialog.attempts.item(0, 1).text() == row.attempts[0].nurse

    def audits() -> int:
        return task_audits(manager_ctx, DEMO_MANAGER, row.task_id)

    before = audits()
    dialog.open_button.click()
    qtbot.waitUntil(lambda: audits() == before + 1, timeout=WAIT)
    qtbot.waitUntil(
        lambda: main.workspace.folder is not None and main.workspace.folder.task.id == row.task_id,
        timeout=WAIT,
    )
    wait_for_all()


def test_a_nurse_has_no_dashboard(qtbot, desk_engine, desk_settings):
    from ui.desk.read_aloud import NoReadAloud
    from ui.main_window import MainWindow

    nurse = _ctx(desk_engine, DEMO_NURSE)
    main = MainWindow(nurse, desk_settings, read_aloud=NoReadAloud())
    qtbot.addWidget(main)
    assert main.dashboard_menu is None
    assert "质量看板" not in [a.text() for a in main.menuBar().actions()]
    with pytest.raises(WardNotPermitted):
        load_dashboard(nurse, ["CARD1"], month_period(MONTH))
    wait_for_all()


def test_a_manager_cannot_ask_for_another_ward(manager_ctx):
    with pytest.raises(WardNotPermitted):
        check_scope(manager_ctx.user, ["CARD1", "NEURO1"])
    with pytest.raises(WardNotPermitted):
        load_dashboard(manager_ctx, ["NEURO1"], month_period(MONTH))


def test_pdf_export_writes_a_file(qtbot, dashboard, tmp_path):
    dashboard.quiet_export = True
    target = tmp_path / "报告.pdf"
    with qtbot.waitSignal(dashboard.sig_exported, timeout=60_000) as signal:
        dashboard.export("pdf", target)
        assert dashboard.progress.isVisible()
    assert signal.args[0] == target
    assert target.read_bytes().startswith(b"%PDF")
    assert not dashboard.progress.isVisible()
