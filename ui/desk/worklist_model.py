"""The worklist as a QAbstractTableModel: rows in DESIGN order, alerts pinned, local search filter.

No per-row widgets: every cell is drawn by the view from ``data()``, so a tab of
10 000 rows stays smooth. Search keys are prepared once per load, so a
keystroke filters 10 000 rows in a few milliseconds.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.store.worklist import WorklistRow
from ui import theme
from ui.desk.labels import sex_label
from ui.i18n import N_, _

TASK_ID_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    # What the nurse scans first comes first: the flag, who, when, how often tried.
    MARKER = 0
    NAME = 1
    SEX_AGE = 2
    DUE = 3
    ATTEMPTS = 4
    PHONE = 5
    STEP = 6
    MRN = 7


COLUMN_TITLES = {
    Column.MARKER: N_("Flag"),
    Column.NAME: N_("Name"),
    Column.SEX_AGE: N_("Sex/Age"),
    Column.MRN: N_("MRN"),
    Column.PHONE: N_("Phone"),
    Column.STEP: N_("Follow-up step"),
    Column.DUE: N_("Due"),
    Column.ATTEMPTS: N_("Calls"),
}


def _search_key(row: WorklistRow) -> tuple[str, str, str]:
    return (row.patient_name.casefold(), row.mrn.casefold(), row.phone_last4)


def matches(key: tuple[str, str, str], text: str) -> bool:
    """Same rule as the cache query: name substring, MRN prefix, or exactly the phone's last 4 digits."""
    name, mrn, last4 = key
    return text in name or mrn.startswith(text) or (len(text) == 4 and text.isdigit() and text == last4)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class WorklistModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[WorklistRow] = []
        self._keys: list[tuple[str, str, str]] = []
        self._visible: list[WorklistRow] = []
        self._search = ""
        self._zone = ZoneInfo(DEFAULT_ZONE)
        self._today = date.today()
        self._plan_names: dict[str, str] = {}
        self._step_names: dict[tuple[str, int], str] = {}

    # ----------------------------------------------------------------- loading and filtering

    def set_context(
        self,
        *,
        zone: str,
        today: date,
        plan_names: dict[str, str],
        step_names: dict[tuple[str, int], str] | None = None,
    ) -> None:
        self._zone = ZoneInfo(zone)
        self._today = today
        self._plan_names = dict(plan_names)
        self._step_names = dict(step_names or {})

    def set_rows(self, rows: list[WorklistRow], search: str = "") -> None:
        self.beginResetModel()
        self._all = rows
        self._keys = [_search_key(row) for row in rows]
        self._search = search.strip().casefold()
        self._visible = self._filtered()
        self.endResetModel()

    def set_search(self, text: str) -> None:
        """Filter the loaded rows in memory (the panel also asks the cache when a tab is incomplete)."""
        text = text.strip().casefold()
        if text == self._search:
            return
        self.beginResetModel()
        self._search = text
        self._visible = self._filtered()
        self.endResetModel()

    def _filtered(self) -> list[WorklistRow]:
        text = self._search
        if not text:
            return list(self._all)
        return [row for row, key in zip(self._all, self._keys, strict=True) if matches(key, text)]

    def task_ids(self) -> list[str]:
        return [row.task_id for row in self._visible]

    def row_of_task(self, task_id: str) -> int:
        for number, row in enumerate(self._visible):
            if row.task_id == task_id:
                return number
        return -1

    def row_at(self, number: int) -> WorklistRow | None:
        return self._visible[number] if 0 <= number < len(self._visible) else None

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        if self._visible:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._visible) - 1, len(Column) - 1))

    # ----------------------------------------------------------------- Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMN_TITLES[Column(section)])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._visible[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == TASK_ID_ROLE:
            return row.task_id
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.open_alerts:
                return theme.ALERT_RED
            if row.overdue and column in (Column.MARKER, Column.DUE):
                return theme.OVERDUE_ORANGE
            return None
        if role == Qt.ItemDataRole.BackgroundRole and row.open_alerts:
            return theme.ALERT_BACKGROUND
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.STEP:
                return self._plan_names.get(row.plan_code, row.plan_code)
            return self._marker_tooltip(row) if column == Column.MARKER else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self._marker_tooltip(row)} {self._display(row, column)}".strip()
        return None

    def _local(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self._zone).strftime("%m-%d %H:%M")

    def _display(self, row: WorklistRow, column: Column) -> str:
        if column == Column.MARKER:
            if row.open_alerts:
                return "●" + _("Alert")
            return _("Overdue") if row.overdue else ""
        if column == Column.NAME:
            return row.patient_name
        if column == Column.SEX_AGE:
            return f"{sex_label(row.sex)} {age_on(row.birth_date, self._today)}"
        if column == Column.MRN:
            return row.mrn
        if column == Column.PHONE:
            return f"****{row.phone_last4}" if row.phone_last4 else ""
        if column == Column.STEP:
            # The step's own name ("出院7天随访") says more than the ward's one or two plan names.
            name = self._step_names.get((row.plan_code, row.step_no))
            return name or _("{plan} · step {step}").format(plan=row.plan_code, step=row.step_no)
        if column == Column.DUE:
            if row.next_attempt_at is not None and row.next_attempt_at > row.due_at:
                return _("retry {time}").format(time=self._local(row.next_attempt_at))
            return self._local(row.due_at)
        if column == Column.ATTEMPTS:
            return str(row.attempts)
        return ""

    def _marker_tooltip(self, row: WorklistRow) -> str:
        parts = []
        if row.open_alerts:
            parts.append(_("{count} open critical alert(s)").format(count=row.open_alerts))
        if row.overdue:
            parts.append(_("Overdue"))
        return ", ".join(parts)
