"""Opening a patient (audited), revealing the phone (audited), and recording calls with the keyboard."""

from __future__ import annotations

from desk_fixtures import DESK_NOW
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from sqlalchemy import select

from nurse_app.domain.model import AuditAction, TaskStatus
from nurse_app.store.models import AuditEventRow, TaskRow
from nurse_app.store.worklist import WorklistTab
from ui.desk.worklist_model import Column


def _audits(ctx, patient_id: str, action: AuditAction) -> list[str]:
    with ctx.engine.connect() as conn:
        return list(
            conn.scalars(
                select(AuditEventRow.detail).where(
                    AuditEventRow.entity_id == patient_id, AuditEventRow.action == action.value
                )
            )
        )


def _open_first_row(qtbot, window, tab: WorklistTab):
    panel = window.worklist
    if panel.current_tab() is not tab:
        loaded = panel.page
        panel.set_tab(tab)
        qtbot.waitUntil(lambda: panel.page is not loaded and panel.page.query.tab is tab)
    row = panel.model.row_at(0)
    assert row is not None, f"the demo cache must hold work in {tab}"
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(0, Column.NAME))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.workspace.folder is not None and window.workspace.folder.task.id == row.task_id
    )
    return row


def test_opening_a_patient_shows_the_folder_and_is_audited(qtbot, desk_window, desk_ctx):
    row = _open_first_row(qtbot, desk_window, WorklistTab.UPCOMING)
    patient = desk_window.workspace.patient
    assert patient.name.text() == row.patient_name
    assert "*" in patient.values["phone"].text()
    assert row.phone_last4 in patient.values["phone"].text()
    assert any(row.task_id in detail for detail in _audits(desk_ctx, row.patient_id, AuditAction.READ))
    script = desk_window.workspace.call.script.toPlainText()
    assert row.patient_name in script and "{" not in script


def test_revealing_the_phone_is_audited(qtbot, desk_window, desk_ctx):
    row = _open_first_row(qtbot, desk_window, WorklistTab.UPCOMING)
    before = _audits(desk_ctx, row.patient_id, AuditAction.REVEAL).count("phone")
    patient = desk_window.workspace.patient
    qtbot.mouseClick(patient.reveal_buttons["phone"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "*" not in patient.values["phone"].text())
    assert patient.values["phone"].text().endswith(row.phone_last4)
    assert _audits(desk_ctx, row.patient_id, AuditAction.REVEAL).count("phone") == before + 1


def test_no_answer_shows_the_retry_time_and_moves_the_task_to_upcoming(qtbot, desk_window, desk_ctx):
    row = _open_first_row(qtbot, desk_window, WorklistTab.DUE_NOW)
    call = desk_window.workspace.call
    qtbot.keyClick(desk_window, Qt.Key.Key_F2)  # no answer
    qtbot.waitUntil(lambda: "下次拨打" in call.result.text(), timeout=5000)
    panel = desk_window.worklist
    qtbot.waitUntil(lambda: panel.model.row_of_task(row.task_id) < 0)  # left "due now"
    loaded = panel.page
    panel.set_tab(WorklistTab.UPCOMING)
    qtbot.waitUntil(lambda: panel.page is not loaded and panel.page.query.tab is WorklistTab.UPCOMING)
    assert panel.model.row_of_task(row.task_id) >= 0
    moved = panel.model.row_at(panel.model.row_of_task(row.task_id))
    assert moved.attempts == row.attempts + 1 and moved.next_attempt_at > DESK_NOW
    assert "重拨" in panel.model.index(panel.model.row_of_task(row.task_id), Column.DUE).data()


def test_reached_shows_the_scale_panel_or_its_placeholder(qtbot, desk_window, desk_ctx):
    row = _open_first_row(qtbot, desk_window, WorklistTab.OVERDUE)
    workspace = desk_window.workspace
    qtbot.keyClick(desk_window, Qt.Key.Key_F1)  # reached
    qtbot.waitUntil(lambda: workspace.tabs.currentWidget() is workspace.scale, timeout=5000)
    host = workspace.scale
    if host.panel is None:
        assert host.placeholder.text() == "量表模块加载中"
    else:
        assert type(host.panel).__name__ == "ScalePanel"
    with desk_ctx.engine.connect() as conn:
        status = conn.scalar(select(TaskRow.status).where(TaskRow.id == row.task_id))
    assert status == TaskStatus.IN_PROGRESS.value


def test_dial_copies_the_number_and_starts_the_timer(qtbot, desk_window, desk_ctx):
    _open_first_row(qtbot, desk_window, WorklistTab.UPCOMING)
    call = desk_window.workspace.call
    qtbot.keyClick(desk_window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: call.call_started_at is not None, timeout=5000)
    phone = QApplication.clipboard().text()
    assert phone.isdigit() and len(phone) == 11
    assert f"tel:{phone}" in call.tel_link.text()
    assert call.timer_label.text().startswith("通话中")
    assert call.call_started_at == DESK_NOW


def test_ctrl_n_opens_the_next_patient(qtbot, desk_window):
    panel = desk_window.worklist
    loaded = panel.page
    panel.set_tab(WorklistTab.UPCOMING)
    qtbot.waitUntil(lambda: panel.page is not loaded and panel.page.query.tab is WorklistTab.UPCOMING)
    first, second = panel.model.row_at(0), panel.model.row_at(1)
    qtbot.keyClick(desk_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: desk_window.workspace.folder is not None)
    assert desk_window.workspace.folder.task.id == first.task_id
    qtbot.keyClick(desk_window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: desk_window.workspace.folder.task.id == second.task_id)
    assert panel.selected_task_id() == second.task_id


def test_every_button_has_an_accessible_name(desk_window):
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    unnamed = [
        widget.text() if hasattr(widget, "text") else type(widget).__name__
        for widget in desk_window.findChildren(QAbstractButton) + desk_window.findChildren(QLineEdit)
        if widget.isVisible() and not widget.accessibleName() and not getattr(widget, "text", lambda: "")()
    ]
    assert not unnamed
    assert not [label for label in desk_window.findChildren(QLabel) if "{" in label.text()]
