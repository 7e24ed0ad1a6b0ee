"""Date and date-time editors with a calendar pop-up and a real "no answer" state.

Qt's date edits always hold a date, so the empty state is the edit's minimum
(1900-01-01) shown as a dash; the pop-up then opens on today's month instead
of January 1900. A date-time answer keeps the UTC offset it was given (or the
PC's own), so a stored value reads back unchanged.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, Qt, QTime
from PySide6.QtGui import QKeySequence, QShortcut, QWheelEvent
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QHBoxLayout, QToolButton, QWidget

from nurse_app.domain.forms import Item, ItemType
from nurse_app.domain.forms.values import INVALID, parse_date, parse_datetime
from ui.forms.field_base import FieldEditor
from ui.forms.texts import CLEAR, tr

EMPTY_DATE = QDate(1900, 1, 1)
EMPTY_TEXT = "—"


class _QuietDateEdit(QDateEdit):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the form scrolls; the date stays


class _QuietDateTimeEdit(QDateTimeEdit):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


def _local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


class DateField(FieldEditor):
    """``date`` (YYYY-MM-DD) or ``dateTime`` (ISO 8601 with offset) answers."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.with_time = item.type == ItemType.DATETIME
        self._zone: tzinfo = _local_zone()
        self.edit: QDateTimeEdit = _QuietDateTimeEdit(self) if self.with_time else _QuietDateEdit(self)
        self.edit.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm" if self.with_time else "yyyy-MM-dd")
        self.edit.setCalendarPopup(True)
        self.edit.setMinimumDateTime(QDateTime(EMPTY_DATE, QTime(0, 0)))
        self.edit.setSpecialValueText(EMPTY_TEXT)
        self.edit.setDateTime(self.edit.minimumDateTime())
        self.edit.dateTimeChanged.connect(lambda _moment: self._changed())
        self.edit.editingFinished.connect(self._touched)
        self.edit.calendarWidget().installEventFilter(self)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("×")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Delete in the field does the same
        self.clear_button.clicked.connect(self._clear_clicked)
        clear_keys = QShortcut(QKeySequence("Ctrl+Delete"), self.edit)  # the keyboard's way to "no answer"
        clear_keys.setContext(Qt.ShortcutContext.WidgetShortcut)
        clear_keys.activated.connect(self._clear_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self.retranslate(lang)

    def is_empty(self) -> bool:
        return self.edit.dateTime() <= self.edit.minimumDateTime()

    def value(self) -> object:
        if self.is_empty():
            return None
        if not self.with_time:
            return self.edit.date().toString("yyyy-MM-dd")
        wall = self.edit.dateTime().toPython().replace(microsecond=0)
        return wall.replace(tzinfo=self._zone).isoformat(timespec="seconds")

    def _show_value(self, value: object) -> None:
        if self.with_time:
            moment = parse_datetime(value) if value is not None else INVALID
            if moment is INVALID:
                self.edit.setDateTime(self.edit.minimumDateTime())
                return
            self._zone = moment.tzinfo or self._zone
            self.edit.setDateTime(
                QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute))
            )
            return
        day = parse_date(value) if value is not None else INVALID
        self.edit.setDate(EMPTY_DATE if day is INVALID else QDate(day.year, day.month, day.day))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.clear_button.setEnabled(not read_only)

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        self.clear_button.setToolTip(tr(CLEAR, lang))

    def focus_target(self) -> QWidget:
        return self.edit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.is_empty():
            today = QDate.currentDate()
            self.edit.calendarWidget().setCurrentPage(today.year(), today.month())
        return False

    def _clear_clicked(self) -> None:
        if not self.is_empty():
            self.edit.setDateTime(self.edit.minimumDateTime())
            self._touched()
