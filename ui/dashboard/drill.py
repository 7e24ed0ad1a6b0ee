"""The rows behind a number: a row per task (or call, survey, discharge); the selected task's attempts below.

"Open patient" asks the main window to open the task (``open_task``, which
writes the audit event); the dialog itself never reads a patient record.
Identifiers arrive masked (``nurse_app.reports.details.mask_name``).
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
from nurse_app.reports.labels import fmt_local
from ui.dashboard.behind import Detail, DrillResult
from ui.dashboard.texts import EXTRA_COLUMNS, drill_summary, figure_name, report_labels, result_word
from ui.desk.busy import while_alive
from ui.i18n import _, language_notifier

TASK_ID_ROLE = Qt.ItemDataRole.UserRole


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class DrillDialog(QDialog):
    """``sig_open_task(task_id)``: the manager wants the patient of the selected row (audited there)."""

    sig_open_task = Signal(str)

    def __init__(
        self, result: DrillResult, zone: str, group_label: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.result = result
        self.key = result.key
        self.rows: tuple[DrillRow, ...] = result.rows
        self.details: tuple[Detail, ...] = result.details
        self.zone = zone
        self.group_label = group_label  # e.g. the nurse of a breakdown cell; '' for the whole scope
        self.extra = EXTRA_COLUMNS.get(self.key, ())
        self.resize(1300, 640)  # every column of the widest list (on time) without scrolling at 1366 px
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.tasks = _table(9 + len(self.extra))
        self.attempts = _table(3)
        splitter.addWidget(self.tasks)
        splitter.addWidget(self.attempts)
        splitter.setSizes([400, 160])
        layout.addWidget(splitter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton()
        self.open_button.setEnabled(False)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.tasks.itemSelectionChanged.connect(self._selected)
        self.tasks.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        language_notifier().sig_language_changed.connect(while_alive(self, lambda _lang: self.retranslate()))
        self.retranslate()

    def retranslate(self) -> None:
        """Every text of the dialog in the current language; the selection is kept."""
        labels = report_labels()
        title = _("Tasks behind: {figure}").format(figure=figure_name(labels, self.key))
        self.setWindowTitle(f"{title} — {self.group_label}" if self.group_label else title)
        self.summary.setText(drill_summary(self.result))
        self.open_button.setText(_("Open patient"))
        self.close_button.setText(_("Close"))  # Qt's own word would stay English
        self.tasks.setHorizontalHeaderLabels(
            [
                _("ICD-10 category") if self.key == "diseases" else _("Result"),
                *(column.header(labels) for column in self.extra),
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
        self.attempts.setHorizontalHeaderLabels([_("Call started"), _("Nurse"), _("Outcome")])
        current = self.tasks.currentRow()
        self.tasks.setRowCount(len(self.rows))
        for index, (row, detail) in enumerate(zip(self.rows, self.details, strict=True)):
            cells = [
                result_word(self.key, row, detail),
                *(column.cell(detail, self.zone) for column in self.extra),
                row.patient,
                row.mrn,
                row.ward_code,
                f"{row.plan_code} / {row.step_no}",
                fmt_local(row.due_at, self.zone),
                fmt_local(row.window_end, self.zone),
                row.assignee or labels["unassigned"],
                str(len(row.attempts)) if row.attempts else labels["no_attempt"],
            ]
            self._fill_row(self.tasks, index, cells, row.task_id)
        if current >= 0:
            self.tasks.selectRow(current)
        self._selected()

    @staticmethod
    def _fill_row(table: QTableWidget, index: int, cells: Sequence[str], task_id: str | None = None) -> None:
        for column, text in enumerate(cells):
            item = table.item(index, column)
            if item is None:
                item = QTableWidgetItem()
                table.setItem(index, column, item)
            item.setText(text)
            if task_id is not None:
                item.setData(TASK_ID_ROLE, task_id)

    def selected_row(self) -> DrillRow | None:
        index = self.tasks.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _selected(self) -> None:
        row = self.selected_row()
        self.open_button.setEnabled(row is not None)
        notes = row.attempts if row is not None else ()
        labels = report_labels()
        self.attempts.setRowCount(len(notes))
        for index, note in enumerate(notes):
            cells = (fmt_local(note.started_at, self.zone), note.nurse, labels.outcome(note.outcome))
            self._fill_row(self.attempts, index, cells)

    def select(self, index: int) -> None:
        self.tasks.selectRow(index)

    def open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.sig_open_task.emit(row.task_id)
