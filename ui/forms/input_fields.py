"""Editors for typed answers: integer, decimal, quantity, string and multi-line text.

Numbers are plain line edits, not spin boxes: a spin box changes its value when
the mouse wheel scrolls the form past it, and its clamping would hide an
out-of-range reading the nurse should see flagged. The range is shown as a
placeholder and checked by the form engine, in the nurse's language.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from nurse_app.domain.forms import Item, ItemType
from ui.forms.field_base import FieldEditor, FocusOutWatcher
from ui.forms.texts import AT_LEAST, AT_MOST, MAX_CHARS, RANGE, number_text, tr

# Full-width digits and the Chinese full stop come from Chinese input methods; they are normalised.
_DIGITS = "0-9０-９"
_INTEGER_PATTERN = f"[-+－]?[{_DIGITS}]*"
_DECIMAL_PATTERN = f"[-+－]?[{_DIGITS}]*([.．。][{_DIGITS}]*)?"


def parse_number(text: str, integer: bool) -> object:
    """The number typed, or the text itself when it is not one (the engine then reports the type)."""
    clean = unicodedata.normalize("NFKC", text).replace("。", ".").strip()
    if not clean:
        return None
    try:
        if integer and "." not in clean:
            return int(clean)
        number = float(clean)
    except ValueError:
        return clean
    # An integer item given "37.0" is 37; "37.5" stays a float and is reported as not a whole number.
    return int(number) if integer and number.is_integer() else number


def range_hint(item: Item, lang: str) -> str:
    low, high = item.min_value, item.max_value
    if low is not None and high is not None:
        return tr(RANGE, lang, min=number_text(low), max=number_text(high))
    if low is not None:
        return tr(AT_LEAST, lang, min=number_text(low))
    if high is not None:
        return tr(AT_MOST, lang, max=number_text(high))
    return ""


class NumberField(FieldEditor):
    """Integer, decimal or quantity (number + the item's unit)."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.integer = item.type == ItemType.INTEGER
        self.quantity = item.type == ItemType.QUANTITY
        self._given_unit: str | None = None  # a stored quantity's own unit, kept so it round-trips
        self.edit = QLineEdit(self)
        self.edit.setFixedWidth(self.edit.fontMetrics().horizontalAdvance("0") * 12 + 16)
        pattern = _INTEGER_PATTERN if self.integer else _DECIMAL_PATTERN
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.edit))
        self.edit.textEdited.connect(lambda _text: self._changed())
        self.edit.editingFinished.connect(self._touched)
        self.unit_label = QLabel(item.unit or "", self)
        self.unit_label.setVisible(bool(item.unit))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.unit_label)
        layout.addStretch(1)
        self.retranslate(lang)

    def value(self) -> object:
        number = parse_number(self.edit.text(), self.integer)
        if not self.quantity or number is None:
            return number
        unit = self._given_unit or self.item.unit
        return {"value": number, "unit": unit} if unit else {"value": number}

    def _show_value(self, value: object) -> None:
        if self.quantity and isinstance(value, dict):
            self._given_unit = value.get("unit") if isinstance(value.get("unit"), str) else None
            value = value.get("value")
        self.edit.setText("" if value is None else number_text(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        hint = range_hint(self.item, lang)
        self.edit.setPlaceholderText(hint)
        self.edit.setToolTip(hint)

    def focus_target(self) -> QWidget:
        return self.edit


class StringField(FieldEditor):
    """One line of free text."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.edit = QLineEdit(self)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 40)
        self.edit.textEdited.connect(lambda _text: self._changed())
        self.edit.editingFinished.connect(self._touched)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        self.retranslate(lang)

    def value(self) -> object:
        return self.edit.text() or None

    def _show_value(self, value: object) -> None:
        self.edit.setText("" if value is None else str(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        limit = self.item.max_length
        self.edit.setPlaceholderText(tr(MAX_CHARS, lang, max=limit) if limit else "")

    def focus_target(self) -> QWidget:
        return self.edit


class TextField(FieldEditor):
    """Several lines of free text; Tab moves on to the next question instead of typing a tab."""

    VISIBLE_LINES = 3

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setTabChangesFocus(True)
        line = self.edit.fontMetrics().lineSpacing()
        self.edit.setFixedHeight(line * self.VISIBLE_LINES + 14)
        self.edit.textChanged.connect(self._changed)
        FocusOutWatcher(self.edit, self._touched)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        self.retranslate(lang)

    def value(self) -> object:
        return self.edit.toPlainText() or None

    def _show_value(self, value: object) -> None:
        self.edit.setPlainText("" if value is None else str(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        limit = self.item.max_length
        self.edit.setPlaceholderText(tr(MAX_CHARS, lang, max=limit) if limit else "")

    def focus_target(self) -> QWidget:
        return self.edit
