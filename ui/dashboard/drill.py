"""The tasks behind a number: one row per task; the selected task's attempts (who, when, outcome) below.

"Open patient" asks the main window to open the task (``open_task``, which
writes the audit event); the dialog itself never reads a patient record.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nurse_app.reports.drilldown import DrillRow
from nurse_app.reports.labels import Labels, fmt_local
from ui.i18n import _

TASK_ID_ROLE = Qt.ItemDataRole.UserRole


def counted_word(key: str, counted: bool) -> str:
    if key == "reach":
        return _("Reached") if counted else _("Not reached")
    if key == "miss":
        return _("Missed")
    if key == "completed":
        return _("Completed")
    return _("Open alert")


def _table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class DrillDialog(QDialog):
    sig_open_task = Signal(str)

    def __init__(
        self,
        title: str,
        key: str,
        rows: Sequence[DrillRow],
        labels: Labels,
        zone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.rows = tuple(rows)
        self.labels = labels
        self.zone = zone
        self.setWindowTitle(title)
        self.resize(1100, 620)
        layout = QVBoxLayout(self)
        self.summary = QLabel(_("{count} tasks").format(count=len(self.rows)))
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.tasks = _table(
            [
                _("Result"),
                _("Patient"),
                _("MRN"),
                _("Ward"),
                _("Plan / step"),
                _("Due"),
                _("Window end"),
                _("Assigned nurse"),
                _("Attempts"),
            ]
        )
        for row in self.rows:
            index = self.tasks.rowCount()
            self.tasks.insertRow(index)
            cells = [
                counted_word(key, row.counted),
                row.patient,
                row.mrn,
                row.ward_code,
                f"{row.plan_code} / {row.step_no}",
                fmt_local(row.due_at, zone),
                fmt_local(row.window_end, zone),
                row.assignee or labels["unassigned"],
                str(len(row.attempts)) if row.attempts else labels["no_attempt"],
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(TASK_ID_ROLE, row.task_id)
                self.tasks.setItem(index, column, item)
        self.attempts = _table([_("Call started"), _("Nurse"), _("Outcome")])
        splitter.addWidget(self.tasks)
        splitter.addWidget(self.attempts)
        splitter.setSizes([400, 160])
        layout.addWidget(splitter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton(_("Open patient"))
        self.open_button.setEnabled(False)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.tasks.itemSelectionChanged.connect(self._selected)
        self.tasks.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)

    def selected_row(self) -> DrillRow | None:
        index = self.tasks.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _selected(self) -> None:
        row = self.selected_row()
        self.open_button.setEnabled(row is not None)
        self.attempts.setRowCount(0)
        if row is None:
            return
        for note in row.attempts:
            index = self.attempts.rowCount()
            self.attempts.insertRow(index)
            for column, text in enumerate(
                (fmt_local(note.started_at, self.zone), note.nurse, self.labels.outcome(note.outcome))
            ):
                self.attempts.setItem(index, column, QTableWidgetItem(text))

    def select(self, index: int) -> None:
        self.tasks.selectRow(index)

    def open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.sig_open_task.emit(row.task_id)
