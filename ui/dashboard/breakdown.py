"""One breakdown tab (by ward / nurse / plan / diagnosis group): miss-rate bars beside a table whose
every number drills down.

Clicking a number cell emits ``sig_cell_clicked(figure_key, group_key)``: the
dashboard then lists the rows behind that figure for that ward, nurse, plan or diagnosis group.
The group's name column carries no figure and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
)

from ui.dashboard.behind import BREAKDOWN_KEYS
from ui.dashboard.charts import Bar, BarChart
from ui.i18n import _

GROUP_KEY_ROLE = Qt.ItemDataRole.UserRole


def wrapped(header: str, width: int = 14) -> str:
    """A long header on two lines, broken at the space nearest its middle ('On-time rate\n(24 h)').

    Chinese headers have no spaces and stay on one line: they are short already. Two
    lines keep the by-nurse table's seven columns visible beside the chart at 1366 px.
    """
    if len(header) <= width or " " not in header:
        return header
    middle = len(header) / 2
    cut = min((i for i, ch in enumerate(header) if ch == " "), key=lambda i: (abs(i - middle), -i))
    return f"{header[:cut]}\n{header[cut + 1 :]}"


@dataclass(frozen=True, slots=True)
class GroupRow:
    label: str  # shown: ward name, "name (username)", "plan name (code)", "I50 心力衰竭", or "unassigned"
    key: str  # what the figures group by: ward code, username ('' = unassigned), plan code, ICD-10 category
    cells: tuple[str, ...]  # one text per BREAKDOWN_KEYS figure


class BreakdownPage(QSplitter):
    sig_cell_clicked = Signal(str, str)  # figure key, group key

    def __init__(self, name: str) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.name = name
        self.chart = BarChart()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chart)
        self.table = QTableWidget(0, 1 + len(BREAKDOWN_KEYS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMouseTracking(True)
        self.addWidget(scroll)
        self.addWidget(self.table)
        self.setSizes([520, 800])
        self.table.cellClicked.connect(self._clicked)
        # Keyboard: Enter on a cell opens it too (a click already did for the mouse).
        self.table.itemActivated.connect(lambda item: self._clicked(item.row(), item.column()))

    def fill(
        self,
        title: str,
        chart_title: str,
        headers: Sequence[str],
        rows: Sequence[GroupRow],
        bars: Sequence[Bar],
        target: float | None,
    ) -> None:
        self.chart.set_data(chart_title, bars, target, False)
        self.table.setHorizontalHeaderLabels([title, *(wrapped(h) for h in headers)])
        for column, header in enumerate(headers, start=1):
            self.table.horizontalHeaderItem(column).setToolTip(header)
        self.table.setRowCount(len(rows))
        tip = _("Click to see the tasks behind this number")
        for index, row in enumerate(rows):
            for column, text in enumerate([row.label, *row.cells]):
                item = QTableWidgetItem(text)
                item.setData(GROUP_KEY_ROLE, row.key)
                if column:
                    item.setToolTip(tip)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(index, column, item)

    def figure_at(self, column: int) -> str | None:
        return BREAKDOWN_KEYS[column - 1] if 1 <= column <= len(BREAKDOWN_KEYS) else None

    def _clicked(self, row: int, column: int) -> None:
        key = self.figure_at(column)
        item = self.table.item(row, column)
        if key is None or item is None or item.text() in ("", "-", "0"):
            return  # the name column, or a figure without a population in this group
        self.sig_cell_clicked.emit(key, item.data(GROUP_KEY_ROLE))
