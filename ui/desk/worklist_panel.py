"""Left side of the desk: worklist tabs with counts, plan/nurse filters, search, and the table."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nurse_app.desk.context import DeskContext
from nurse_app.store.worklist import WorklistTab
from ui.desk.busy import BusyTracker
from ui.desk.labels import tab_title
from ui.desk.worklist_model import TASK_ID_ROLE, Column, WorklistModel
from ui.desk.worklist_source import DeskSetup, WorklistPage, WorklistQuery, load_page
from ui.i18n import _, language_notifier

SEARCH_DEBOUNCE_MS = 150
MAX_COLUMN_WIDTH = 170
TABS = tuple(WorklistTab)
_ALL = ""  # item data of the "all plans" / "all nurses" entries


class WorklistPanel(QWidget):
    """Emits ``sig_task_activated(task_id)`` when the nurse opens a row (Enter or double-click)."""

    sig_task_activated = Signal(str)
    sig_page_loaded = Signal()

    def __init__(self, ctx: DeskContext, busy: BusyTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = busy
        self.setup: DeskSetup | None = None
        self.page: WorklistPage | None = None
        self._generation = 0  # drops results of loads overtaken by a newer one
        self._selected_task: str | None = None

        self.tabs = QTabBar()
        for tab in TABS:
            self.tabs.addTab(tab_title(tab))
        self.tabs.currentChanged.connect(lambda _index: self.refresh())

        self.plan_filter = QComboBox()
        self.nurse_filter = QComboBox()
        for combo in (self.plan_filter, self.nurse_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(lambda _index: self.refresh())
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_typed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply_search)

        self.model = WorklistModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights: the view never measures 10 000 rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.plan_filter, 1)
        filters.addWidget(self.nurse_filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        self.setTabOrder(self.tabs, self.search)
        self.setTabOrder(self.search, self.plan_filter)
        self.setTabOrder(self.plan_filter, self.nurse_filter)
        self.setTabOrder(self.nurse_filter, self.table)
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ setup and texts

    def apply_setup(self, setup: DeskSetup) -> None:
        self.setup = setup
        today = self.ctx.now().astimezone(ZoneInfo(self.ctx.zone)).date()
        self.model.set_context(
            zone=self.ctx.zone, today=today, plan_names=setup.plan_names, step_names=setup.step_names
        )
        self._fill_filters()
        self.refresh()

    def _fill_filters(self) -> None:
        plans = self.setup.plans if self.setup else []
        nurses = self.setup.nurses if self.setup else []
        for combo, entries, all_text in (
            (self.plan_filter, plans, _("All plans")),
            (self.nurse_filter, nurses, _("All nurses")),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(all_text, _ALL)
            for code, name in entries:
                combo.addItem(name, code)
            found = combo.findData(current)
            combo.setCurrentIndex(max(found, 0))
            combo.blockSignals(False)

    def retranslate(self) -> None:
        self._update_tab_titles()
        self.search.setPlaceholderText(_("Search name, MRN or phone last 4 (Ctrl+F)"))
        self.search.setAccessibleName(_("Search the worklist"))
        self.plan_filter.setAccessibleName(_("Filter by plan"))
        self.nurse_filter.setAccessibleName(_("Filter by nurse"))
        self.table.setAccessibleName(_("Worklist"))
        self.tabs.setAccessibleName(_("Worklist tabs"))
        self._fill_filters()
        self.model.retranslate()
        self._update_empty_label()

    def _update_tab_titles(self) -> None:
        counts = self.page.counts if self.page else {}
        for number, tab in enumerate(TABS):
            count = counts.get(tab)
            title = tab_title(tab) if count is None else f"{tab_title(tab)} ({count})"
            self.tabs.setTabText(number, title)

    def _update_empty_label(self) -> None:
        empty = self.page is not None and self.model.rowCount() == 0
        self.empty_label.setText(_("No follow-ups here") if empty else "")
        self.empty_label.setVisible(empty)

    # ------------------------------------------------------------------ loading

    def current_tab(self) -> WorklistTab:
        return TABS[max(self.tabs.currentIndex(), 0)]

    def set_tab(self, tab: WorklistTab) -> None:
        self.tabs.setCurrentIndex(TABS.index(tab))

    def query(self) -> WorklistQuery:
        return WorklistQuery(
            tab=self.current_tab(),
            wards=self.setup.wards if self.setup else tuple(self.ctx.user.wards) or None,
            plan=self.plan_filter.currentData() or None,
            nurse=self.nurse_filter.currentData() or None,
            search=self.search.text().strip(),
        )

    def refresh(self) -> None:
        """Reload the current tab and the counts off the GUI thread; the selection is kept."""
        self._generation += 1
        generation = self._generation
        query = self.query()
        ctx = self.ctx
        self.busy.run(lambda: load_page(ctx, query), lambda page: self._loaded(generation, page), owner=self)

    def _loaded(self, generation: int, page: WorklistPage) -> None:
        if generation != self._generation:
            return
        keep = self._selected_task or self.selected_task_id()
        # Equal rows (every field): nothing to redraw, and the view keeps its scroll position.
        unchanged = self.page is not None and page.rows == self.page.rows
        self.page = page
        if not unchanged:
            self.model.set_rows(page.rows, page.query.search)
            self._fit_columns()
        self._update_tab_titles()
        self._update_empty_label()
        if keep:
            self.select_task(keep)
        self.sig_page_loaded.emit()

    def _fit_columns(self) -> None:
        # Sized from the visible rows only (resizeColumnsToContents would measure all 10 000).
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        sample = [self.model.index(r, 0) for r in range(min(self.model.rowCount(), 50))]
        for column in range(self.model.columnCount()):
            texts = [str(self.model.headerData(column, Qt.Orientation.Horizontal) or "")]
            texts += [str(index.siblingAtColumn(column).data() or "") for index in sample]
            width = max(metrics.horizontalAdvance(text) for text in texts) + 16
            header.resizeSection(column, min(width, MAX_COLUMN_WIDTH))

    # ------------------------------------------------------------------ search

    def _search_typed(self, _text: str) -> None:
        self._debounce.start()

    def _apply_search(self) -> None:
        # Filter the rows in memory at once; ask the cache too, for the counts of every tab
        # and for tabs larger than what the model holds.
        self.model.set_search(self.search.text())
        self._update_empty_label()
        self.refresh()

    # ------------------------------------------------------------------ selection

    def selected_task_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(TASK_ID_ROLE) if index.isValid() else None

    def select_task(self, task_id: str) -> bool:
        number = self.model.row_of_task(task_id)
        if number < 0:
            return False
        self.table.setCurrentIndex(self.model.index(number, Column.NAME))
        self.table.scrollTo(self.model.index(number, 0))
        return True

    def mark_open(self, task_id: str | None) -> None:
        """Remember the open task, so refreshes keep it selected while it stays in the list."""
        self._selected_task = task_id

    def next_task_id(self, after: str | None) -> str | None:
        """The row after ``after`` in the current view (the first row when ``after`` is not shown)."""
        ids = self.model.task_ids()
        if not ids:
            return None
        if after in ids:
            position = ids.index(after) + 1
            return ids[position] if position < len(ids) else None
        return ids[0]

    def _activated(self, index: QModelIndex) -> None:
        task_id = index.data(TASK_ID_ROLE)
        if task_id:
            self.sig_task_activated.emit(task_id)
