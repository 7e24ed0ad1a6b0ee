"""Desk gaps: acknowledging a critical alert, drafts offered back at start, read-aloud stop/unavailable."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from itertools import count

import pytest
from desk_fixtures import DESK_NOW
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from nurse_app.desk.alerts import NoteRequired, acknowledge_alert, open_alerts_of_task
from nurse_app.desk.calls import record_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import discard_draft, load_drafts, save_draft
from nurse_app.desk.scales import scales_for_task
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import Alert, AlertSeverity, AlertStatus, FollowUpTask, TaskStatus
from nurse_app.store.models import AuditEventRow, OutboxRow, ResponseRow, TaskRow
from ui.desk.alert_dialog import AlertDialog
from ui.desk.busy import BusyTracker
from ui.desk.call_panel import CallPanel
from ui.desk.read_aloud import NoReadAloud
from ui.forms import ScalePanel
from ui.main_window import MainWindow
from ui.operations import wait_for_all

_taken = count()


def _pending_card1(ctx: DeskContext) -> str:
    with ctx.unit_of_work() as (_repo, session):
        ids = session.scalars(
            select(TaskRow.id)
            .where(TaskRow.ward_code == "CARD1", TaskRow.status == "pending")
            .order_by(TaskRow.id.desc())  # from the other end than the forms tests, to stay apart
        ).all()
    return ids[next(_taken)]


def _reached_task(ctx: DeskContext) -> FollowUpTask:
    """A CARD1 task with one scale (general follow-up), the patient reached: the scale shows on opening."""
    task_id = _pending_card1(ctx)
    with ctx.unit_of_work() as (repo, _session):
        task = repo.get_task(task_id)
        task.questionnaires = ("general_followup",)
        repo.save_tasks([task])
    recorded = record_call(
        ctx, task_id, "reached", started_at=DESK_NOW - timedelta(minutes=5), ended_at=DESK_NOW
    )
    assert recorded.task.status is TaskStatus.IN_PROGRESS
    return recorded.task


def _open_alert(ctx: DeskContext, task_id: str) -> Alert:
    with ctx.unit_of_work() as (repo, session):
        task = repo.get_task(task_id)
        response_id = session.scalars(select(ResponseRow.id).limit(1)).one()  # any stored response
        alert = Alert(
            response_id,
            task.id,
            task.patient_id,
            task.ward_code,
            "SBP_HIGH",
            AlertSeverity.CRITICAL,
            "收缩压 ≥ 180 mmHg",
            DESK_NOW - timedelta(hours=1),
        )
        repo.add_alert(alert)
    return alert


def _count(ctx: DeskContext, table, *where) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _window(qtbot, ctx, settings) -> MainWindow:
    window = MainWindow(ctx, settings, read_aloud=NoReadAloud())
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.worklist.page is not None, timeout=10_000)
    return window


def _open_alerts_in_list(window: MainWindow, task_id: str) -> int | None:
    row = next((r for r in window.worklist.page.rows if r.task_id == task_id), None)
    return None if row is None else row.open_alerts


# ---------------------------------------------------------------------------------------- alerts


def test_acknowledge_alert_refuses_other_without_note_and_foreign_wards(desk_ctx):
    task_id = _pending_card1(desk_ctx)
    alert = _open_alert(desk_ctx, task_id)
    assert [a.id for a in open_alerts_of_task(desk_ctx, task_id)] == [alert.id]
    with pytest.raises(NoteRequired):
        acknowledge_alert(desk_ctx, alert.id, "other", "  ")
    with pytest.raises(DomainError):
        acknowledge_alert(desk_ctx, alert.id, "phoned_a_friend", "")
    stranger = dataclasses.replace(desk_ctx, user=dataclasses.replace(desk_ctx.user, wards=("ONC1",)))
    with pytest.raises(DomainError):
        acknowledge_alert(stranger, alert.id, "contacted_doctor", "")
    assert [a.id for a in open_alerts_of_task(desk_ctx, task_id)] == [alert.id]  # nothing changed

    done = acknowledge_alert(desk_ctx, alert.id, "other", "患者已自行前往社区医院")
    assert done.status is AlertStatus.ACKNOWLEDGED and open_alerts_of_task(desk_ctx, task_id) == []
    with pytest.raises(DomainError):
        acknowledge_alert(desk_ctx, alert.id, "contacted_doctor", "")  # already acknowledged


def test_acknowledge_from_the_desk_updates_alert_audit_outbox_and_pin(qtbot, desk_window, desk_ctx):
    window = desk_window
    task_id = window.worklist.page.rows[-1].task_id
    alert = _open_alert(desk_ctx, task_id)
    window.worklist.refresh()
    qtbot.waitUntil(lambda: _open_alerts_in_list(window, task_id) == 1, timeout=10_000)

    window.open_task(task_id)
    call = window.workspace.call
    qtbot.waitUntil(lambda: alert.id in call.alert_rows, timeout=10_000)
    button = call.alert_rows[alert.id]
    assert button.text() == "确认处理"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = call.findChild(AlertDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.radios["advised_ed_visit"].text() == "已建议急诊就医"

    # "Other" with no note: refused with a message, nothing stored.
    dialog.radios["other"].setChecked(True)
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and not dialog.error.isHidden()
    assert dialog.error.text() == "请在备注中说明做了哪些处理。"
    assert [a.id for a in open_alerts_of_task(desk_ctx, task_id)] == [alert.id]

    dialog.radios["contacted_doctor"].setChecked(True)
    dialog.note.setText("已通知主管医生")
    with qtbot.waitSignal(call.sig_alert_acknowledged, timeout=10_000):
        dialog.submit()

    with desk_ctx.unit_of_work() as (repo, _session):
        stored = repo.get_alert(alert.id)
    assert stored.status is AlertStatus.ACKNOWLEDGED
    assert stored.acknowledged_by == desk_ctx.user.username and stored.acknowledged_at == DESK_NOW
    assert _count(desk_ctx, OutboxRow, OutboxRow.entity == "alert", OutboxRow.entity_id == alert.id) == 1
    assert (
        _count(
            desk_ctx,
            AuditEventRow,
            AuditEventRow.entity == "alert",
            AuditEventRow.entity_id == alert.id,
            AuditEventRow.detail == "contacted_doctor: 已通知主管医生",
        )
        == 1
    )
    assert alert.id not in call.alert_rows  # the red line with its button is gone
    qtbot.waitUntil(lambda: _open_alerts_in_list(window, task_id) == 0, timeout=10_000)
    history = window.workspace.history
    texts = [history.item(i).text() for i in range(history.count())]
    assert any("（acknowledged）：收缩压" in t for t in texts) and not any("（open）" in t for t in texts)


# ---------------------------------------------------------------------------------------- drafts


def test_saved_draft_is_offered_at_start_and_restores_into_the_panel(qtbot, desk_ctx, desk_settings):
    task = _reached_task(desk_ctx)
    definition = scales_for_task(desk_ctx, task).definitions["general_followup"]
    save_draft(desk_ctx, task.id, definition, {"systolic_bp": 176, "pain_nrs": 3})
    try:
        window = _window(qtbot, desk_ctx, desk_settings)
        qtbot.waitUntil(lambda: window.draft_recovery is not None, timeout=10_000)
        offer = window.draft_recovery
        assert offer.isVisible()
        assert offer.message.text().startswith("发现 ") and "份未提交的量表草稿" in offer.message.text()
        rows = [offer.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(offer.list.count())]
        assert task.id in rows
        offer.list.setCurrentRow(rows.index(task.id))
        qtbot.mouseClick(offer.open_button, Qt.MouseButton.LeftButton)

        host = window.workspace.scale
        qtbot.waitUntil(lambda: host.panel is not None and host.panel.is_loaded(), timeout=10_000)
        panel = host.panel
        qtbot.waitUntil(lambda: panel.view("general_followup").answers() != {}, timeout=5_000)
        assert panel.view("general_followup").answers() == {"systolic_bp": 176, "pain_nrs": 3}
        assert panel.draft_bar.isHidden()  # chosen at start: not asked a second time
        assert window.workspace.tabs.currentWidget() is host
        assert window.worklist.selected_task_id() in (task.id, None)  # selected when on the current tab
    finally:
        wait_for_all()
        discard_draft(desk_ctx, task.id, "general_followup")


def test_switching_patient_saves_the_draft_at_once(qtbot, desk_window, desk_ctx, monkeypatch):
    monkeypatch.setattr(ScalePanel, "AUTOSAVE_MS", 60_000)  # the switch must save, not the timer
    monkeypatch.setattr(QMessageBox, "question", lambda *_args, **_kw: QMessageBox.StandardButton.Yes)
    window = desk_window
    task = _reached_task(desk_ctx)
    other = _pending_card1(desk_ctx)
    window.open_task(task.id)
    host = window.workspace.scale
    qtbot.waitUntil(lambda: host.panel is not None and host.panel.is_loaded(), timeout=10_000)
    edit = host.panel.view("general_followup").rows["systolic_bp"].editor.edit
    qtbot.keyClicks(edit, "188")
    assert host.panel.has_unsaved_changes()
    assert load_drafts(desk_ctx, task.id) == {}

    window.open_task(other)
    qtbot.waitUntil(lambda: window.workspace.folder.task.id == other, timeout=10_000)
    wait_for_all()
    assert load_drafts(desk_ctx, task.id)["general_followup"].answers == {"systolic_bp": 188}
    discard_draft(desk_ctx, task.id, "general_followup")


# ---------------------------------------------------------------------------------------- read-aloud


def test_read_aloud_stop_button_or_reason_when_unavailable(qtbot, desk_ctx):
    from ui.voice.read_aloud import VoiceReadAloud

    read_aloud = VoiceReadAloud()
    panel = CallPanel(desk_ctx, BusyTracker(), read_aloud)
    qtbot.addWidget(panel)
    panel.show()
    answered: list[bool] = []
    read_aloud.sig_available.connect(answered.append)
    try:
        read_aloud.probe()
        qtbot.waitUntil(lambda: bool(answered), timeout=20_000)
        assert panel.stop_button.isHidden()
        if answered[0]:
            assert not panel.read_button.isHidden() and panel.read_unavailable.isHidden()
            panel.script.setPlainText("您好，这里是心内科随访。")
            qtbot.mouseClick(panel.read_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not panel.stop_button.isHidden(), timeout=10_000)
            assert panel.stop_button.text() == "停止"
            qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(panel.stop_button.isHidden, timeout=10_000)
        else:
            assert panel.read_button.isHidden()
            assert not panel.read_unavailable.isHidden() and not panel.read_unavailable.isEnabled()
            assert read_aloud.reason and read_aloud.reason in panel.read_unavailable.toolTip()
            assert panel.read_unavailable.toolTip().startswith("本机无法使用朗读")
    finally:
        read_aloud.close()
