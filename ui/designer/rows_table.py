"""A small table of editable rows with Add / Remove / Up / Down, shared by the list editors.

Options, enableWhen conditions, score members and bands, and critical rules
are all "a list of rows with a few typed cells". Cells are either free text
(edited in place) or a combo box of ``(label, value)`` choices, whose choices
may depend on the other cells of the row (an enableWhen answer depends on its
question). The table reports every committed edit with ``sig_edited``; the
owner turns the rows into a definition edit, and the document change comes
back through :meth:`set_rows`, which leaves the table alone when nothing
differs so the cell being edited keeps its focus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import _

Choices = list[tuple[str, object]]
Row = list[object]


@dataclass(frozen=True)
class Column:
    """``title`` is an English msgid (translated when shown); ``choices`` makes the cell a combo box."""

    title: str
    choices: Callable[[Row], Choices] | None = None
    editable_combo: bool = False  # a combo that also takes free text (e.g. an answer not in the list)
    stretch: bool = False
    width: int = 80


class RowsTable(QWidget):
    """Rows of cells plus Add / Remove / Up / Down; ``new_row()`` makes the row Add appends."""

    sig_edited = Signal()

    def __init__(
        self,
        columns: Sequence[Column],
        new_row: Callable[[], Row | None],
        parent: QWidget | None = None,
        visible_rows: int = 3,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._new_row = new_row
        self._loading = False
        self._read_only = False
        self.table = QTableWidget(0, len(columns), self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        for col, spec in enumerate(self._columns):
            if spec.stretch:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(col, spec.width)
        self.table.setMinimumHeight(28 + 26 * visible_rows)
        self.table.itemChanged.connect(self._on_item_changed)

        self.add_button = QPushButton(self)
        self.remove_button = QPushButton(self)
        self.up_button = QPushButton("↑", self)
        self.down_button = QPushButton("↓", self)
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(32)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._shift(-1))
        self.down_button.clicked.connect(lambda: self._shift(1))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([_(c.title) for c in self._columns])
        self.add_button.setText(_("Add"))
        self.remove_button.setText(_("Remove"))
        self.up_button.setToolTip(_("Move up"))
        self.down_button.setToolTip(_("Move down"))
        if self.table.rowCount():
            rows = self.rows()
            self._fill(rows)  # combo labels are translated too

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setEnabled(not read_only)
        triggers = (
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.AllEditTriggers & ~QAbstractItemView.EditTrigger.CurrentChanged
        )
        self.table.setEditTriggers(triggers)
        for row in range(self.table.rowCount()):
            for col in range(len(self._columns)):
                widget = self.table.cellWidget(row, col)
                if widget is not None:
                    widget.setEnabled(not read_only)

    # -- rows in and out ----------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (no-op when they equal what is shown, so an open editor survives)."""
        rows = [list(r) for r in rows]
        if rows == self.rows() and self._choices_unchanged(rows):
            return
        self._fill(rows)

    def _choices_unchanged(self, rows: list[Row]) -> bool:
        for row, values in enumerate(rows):
            for col, spec in enumerate(self._columns):
                if spec.choices is None:
                    continue
                combo = self.table.cellWidget(row, col)
                wanted = spec.choices(values)
                shown = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
                if shown != wanted:
                    return False
        return True

    def _fill(self, rows: list[Row]) -> None:
        self._loading = True
        current = self.table.currentRow()
        try:
            self._drop_cell_widgets()
            self.table.setRowCount(len(rows))
            for row, values in enumerate(rows):
                for col, spec in enumerate(self._columns):
                    self._set_cell(row, col, spec, values)
            if 0 <= current < len(rows):
                self.table.selectRow(current)
        finally:
            self._loading = False
        self.set_read_only(self._read_only)

    def _drop_cell_widgets(self) -> None:
        # Replacing a cell's item detaches its combo without deleting it: the old combos would stay
        # on screen at the top left of the table, so every refill deletes them explicitly.
        for row in range(self.table.rowCount()):
            for col in range(len(self._columns)):
                widget = self.table.cellWidget(row, col)
                if widget is not None:
                    self.table.removeCellWidget(row, col)
                    if shiboken6.isValid(widget):
                        widget.hide()
                        widget.deleteLater()

    def _set_cell(self, row: int, col: int, spec: Column, values: Row) -> None:
        value = values[col] if col < len(values) else ""
        if spec.choices is None:
            self.table.setItem(row, col, QTableWidgetItem("" if value is None else str(value)))
            return
        self.table.setItem(row, col, QTableWidgetItem(""))
        combo = QComboBox()
        combo.setEditable(spec.editable_combo)
        for label, data in spec.choices(values):
            combo.addItem(label, data)
        found = next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)
        if found >= 0:
            combo.setCurrentIndex(found)
        elif spec.editable_combo:
            combo.setEditText("" if value is None else str(value))
        else:
            combo.setCurrentIndex(-1)
        combo.currentIndexChanged.connect(self._on_widget_changed)
        if spec.editable_combo and combo.lineEdit() is not None:
            combo.lineEdit().editingFinished.connect(self._on_widget_changed)
        self.table.setCellWidget(row, col, combo)

    def rows(self) -> list[Row]:
        """The rows as shown: text cells as ``str``, combo cells as the chosen value (or typed text)."""
        out: list[Row] = []
        for row in range(self.table.rowCount()):
            values: Row = []
            for col, spec in enumerate(self._columns):
                if spec.choices is None:
                    cell = self.table.item(row, col)
                    values.append(cell.text() if cell is not None else "")
                    continue
                combo = self.table.cellWidget(row, col)
                if combo is None:
                    values.append(None)
                    continue
                index = combo.currentIndex()
                typed = combo.currentText() if spec.editable_combo else None
                if index >= 0 and (typed is None or typed == combo.itemText(index)):
                    values.append(combo.itemData(index))
                else:
                    values.append(typed)
            out.append(values)
        return out

    # -- edits --------------------------------------------------------------------------------
    def _on_item_changed(self, _item: QTableWidgetItem) -> None:
        if not self._loading:
            self.sig_edited.emit()

    def _on_widget_changed(self, *_args: object) -> None:
        if not self._loading:
            self.sig_edited.emit()

    def _add(self) -> None:
        values = self._new_row()
        if values is None:
            return
        self._fill([*self.rows(), values])
        self.table.selectRow(self.table.rowCount() - 1)
        self.sig_edited.emit()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        rows = self.rows()
        del rows[row]
        self._fill(rows)
        self.sig_edited.emit()

    def _shift(self, step: int) -> None:
        row = self.table.currentRow()
        rows = self.rows()
        other = row + step
        if row < 0 or not 0 <= other < len(rows):
            return
        rows[row], rows[other] = rows[other], rows[row]
        self._fill(rows)
        self.table.selectRow(other)
        self.sig_edited.emit()

    def set_cell_text(self, row: int, col: int, text: str) -> None:
        """Type ``text`` into a text cell as a user would (commits, like finishing an edit)."""
        self.table.item(row, col).setText(text)

    def set_cell_value(self, row: int, col: int, value: object) -> None:
        """Choose ``value`` in a combo cell as a user would."""
        combo = self.table.cellWidget(row, col)
        found = next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)
        if found >= 0:
            combo.setCurrentIndex(found)
        else:
            combo.setEditText(str(value))
            combo.lineEdit().editingFinished.emit()
