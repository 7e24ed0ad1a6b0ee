"""What every answer editor of a form shares: value in and out, change and "touched" signals.

Editors speak the engine's raw answer shapes (see ``nurse_app.domain.forms.values``):
bool, option code (or a list of codes when repeating), int/float, quantity dict,
str, ISO date / dateTime strings; ``None`` is "no answer".
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QWidget

from nurse_app.domain.forms import Item


class FieldEditor(QWidget):
    """Base of the per-type editors. Subclasses call ``_changed()`` / ``_touched()`` on user edits."""

    sig_changed = Signal()  # the user changed the value (never emitted by set_value)
    sig_touched = Signal()  # the user finished editing: inline problems may show from now on

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.lang = lang
        self._silent = False

    def value(self) -> object:
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        """Show ``value`` without emitting ``sig_changed`` (restoring drafts is not an edit)."""
        self._silent = True
        try:
            self._show_value(value)
        finally:
            self._silent = False

    def _show_value(self, value: object) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)

    def retranslate(self, lang: str) -> None:
        """Re-read the item's texts (options, units, hints) in ``lang``; the value is kept."""
        self.lang = lang

    def focus_target(self) -> QWidget:
        """The widget that takes the keyboard focus for this answer."""
        return self

    def _changed(self) -> None:
        if not self._silent:
            self.sig_changed.emit()

    def _touched(self) -> None:
        if not self._silent:
            self.sig_touched.emit()


class FocusOutWatcher(QObject):
    """Calls ``callback`` when the watched widget loses focus (for editors without editingFinished)."""

    def __init__(self, watched: QWidget, callback) -> None:
        super().__init__(watched)
        self._callback = callback
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


class QuietComboBox(QComboBox):
    """A combo box the mouse wheel scrolls past unless it has the focus (forms are long and scrolled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # let the scroll area have it
