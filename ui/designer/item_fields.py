"""The scalar properties of the selected item: type, linkId, texts, flags, limits, unit, initial value.

Each field commits one undoable edit when the author finishes it (Enter,
leaving the field, ticking a box); rows that do not apply to the item's type
are hidden rather than disabled, so the form stays short.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from nurse_app.domain.forms import Item, ItemType, LocalText
from nurse_app.domain.forms.definition import CHOICE_TYPES, DATE_TYPES, NON_QUESTION_TYPES, NUMERIC_TYPES
from ui.designer.document import DesignDocument
from ui.designer.labels import item_type_name
from ui.designer.tree_ops import (
    Path,
    item_at,
    link_ids,
    rename_references,
    replace_at,
    walk_paths,
    with_items,
)
from ui.designer.value_text import parse_int, parse_list, parse_number, show
from ui.i18n import N_, _

_LENGTH_TYPES = {ItemType.STRING, ItemType.TEXT, ItemType.OPEN_CHOICE}


class ItemFields(QWidget):
    """The form of one item's scalar properties; ``show_item(path)`` loads it, edits commit at once."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._path: Path | None = None
        self._loading = False
        self.type_combo = QComboBox(self)
        for item_type in ItemType:
            self.type_combo.addItem("", item_type.value)
        self.link_id = QLineEdit(self)
        self.text_zh = QLineEdit(self)
        self.text_en = QLineEdit(self)
        self.required = QCheckBox(self)
        self.repeats = QCheckBox(self)
        self.read_only = QCheckBox(self)
        self.satisfaction = QCheckBox(self)
        self.min_value, self.max_value = QLineEdit(self), QLineEdit(self)
        self.min_length, self.max_length = QLineEdit(self), QLineEdit(self)
        self.regex = QLineEdit(self)
        self.unit = QLineEdit(self)
        self.initial = QLineEdit(self)

        flags = QGridLayout()
        flags.setContentsMargins(0, 0, 0, 0)
        for n, box in enumerate((self.required, self.repeats, self.read_only, self.satisfaction)):
            flags.addWidget(box, n // 2, n % 2)
        self.flags = QWidget(self)
        self.flags.setLayout(flags)
        self.value_range = _pair(self, self.min_value, self.max_value)
        self.length_range = _pair(self, self.min_length, self.max_length)

        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self._labels: dict[QWidget, tuple[QLabel, str]] = {}
        for widget, msgid in (
            (self.type_combo, N_("Type")),
            (self.link_id, "linkId"),
            (self.text_zh, N_("Text (Chinese)")),
            (self.text_en, N_("Text (English)")),
            (self.flags, N_("Flags")),
            (self.value_range, N_("Value range")),
            (self.length_range, N_("Length")),
            (self.regex, N_("Pattern (regex)")),
            (self.unit, N_("Unit")),
            (self.initial, N_("Initial value")),
        ):
            label = QLabel(self)
            self._labels[widget] = (label, msgid)
            self.form.addRow(label, widget)

        self.type_combo.currentIndexChanged.connect(self._on_type)
        self.link_id.editingFinished.connect(self._on_link_id)
        self._bind_text(self.text_zh, lambda item, t: LocalText(t, item.text.en), N_("Edit text"))
        self._bind_text(self.text_en, lambda item, t: LocalText(item.text.zh, t), N_("Edit text"))
        for box, name in (
            (self.required, "required"),
            (self.repeats, "repeats"),
            (self.read_only, "read_only"),
            (self.satisfaction, "satisfaction"),
        ):
            box.toggled.connect(lambda checked, name=name: self._set(_("Edit item"), **{name: checked}))
        for edit, name in ((self.min_value, "min_value"), (self.max_value, "max_value")):
            edit.editingFinished.connect(lambda name=name, edit=edit: self._on_bound(name, edit.text()))
        for edit, name in ((self.min_length, "min_length"), (self.max_length, "max_length")):
            edit.editingFinished.connect(
                lambda name=name, edit=edit: self._set(_("Edit item"), **{name: parse_int(edit.text())})
            )
        self.regex.editingFinished.connect(lambda: self._set(_("Edit item"), regex=self.regex.text() or None))
        self.unit.editingFinished.connect(lambda: self._set(_("Edit item"), unit=self.unit.text() or None))
        self.initial.editingFinished.connect(self._on_initial)
        self.retranslate()

    def retranslate(self) -> None:
        for label, msgid in self._labels.values():
            label.setText(_(msgid) if msgid != "linkId" else msgid)
        for row in range(self.type_combo.count()):
            self.type_combo.setItemText(row, item_type_name(self.type_combo.itemData(row)))
        self.required.setText(_("Required"))
        self.repeats.setText(_("Repeats"))
        self.read_only.setText(_("Read-only"))
        self.satisfaction.setText(_("Satisfaction item"))
        self.min_value.setPlaceholderText(_("min"))
        self.max_value.setPlaceholderText(_("max"))
        self.min_length.setPlaceholderText(_("min"))
        self.max_length.setPlaceholderText(_("max"))
        self.unit.setPlaceholderText(_("e.g. mmHg"))
        self.initial.setPlaceholderText(_("several values: separate with commas"))

    # -- loading ------------------------------------------------------------------------------
    def show_item(self, path: Path | None) -> None:
        self._path = path
        item = self._item()
        if item is None:
            return
        self._loading = True
        try:
            self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(str(item.type))))
            show_text(self.link_id, item.link_id)
            show_text(self.text_zh, item.text.zh)
            show_text(self.text_en, item.text.en)
            self.required.setChecked(item.required)
            self.repeats.setChecked(item.repeats)
            self.read_only.setChecked(item.read_only)
            self.satisfaction.setChecked(item.satisfaction)
            show_text(self.min_value, show(item.min_value))
            show_text(self.max_value, show(item.max_value))
            show_text(self.min_length, show(item.min_length))
            show_text(self.max_length, show(item.max_length))
            show_text(self.regex, item.regex or "")
            show_text(self.unit, item.unit or "")
            show_text(self.initial, show(item.initial))
        finally:
            self._loading = False
        self._show_rows_for(item.type)
        for widget in self._labels:
            widget.setEnabled(not self._document.read_only)

    def _show_rows_for(self, kind: object) -> None:
        question = kind not in NON_QUESTION_TYPES
        self.form.setRowVisible(self.value_range, kind in NUMERIC_TYPES or kind in DATE_TYPES)
        self.form.setRowVisible(self.length_range, kind in _LENGTH_TYPES)
        self.form.setRowVisible(self.regex, kind in _LENGTH_TYPES)
        self.form.setRowVisible(self.unit, kind == ItemType.QUANTITY)
        self.form.setRowVisible(self.initial, question)
        self.required.setVisible(kind != ItemType.DISPLAY)
        self.repeats.setVisible(question)
        self.read_only.setVisible(question)
        self.satisfaction.setVisible(kind == ItemType.CHOICE)

    def _item(self) -> Item | None:
        if self._path is None:
            return None
        try:
            return item_at(self._document.definition.items, self._path)
        except IndexError:
            return None

    # -- edits --------------------------------------------------------------------------------
    def _commit(self, new: Item, text: str) -> None:
        if self._loading or self._path is None or self._document.read_only:
            return
        defn = self._document.definition
        after = with_items(defn, replace_at(defn.items, self._path, new))
        self._document.apply(after, text, select_after=self._path, select_before=self._path)

    def _set(self, undo_text: str, /, **changes: object) -> None:
        item = self._item()
        if item is not None and not self._loading:
            self._commit(dataclasses.replace(item, **changes), undo_text)  # type: ignore[arg-type]

    def _bind_text(self, edit: QLineEdit, make: Callable[[Item, str], LocalText], msgid: str) -> None:
        def commit() -> None:
            item = self._item()
            if item is not None:
                self._set(_(msgid), text=make(item, edit.text()))

        edit.editingFinished.connect(commit)

    def _on_type(self) -> None:
        item = self._item()
        kind = ItemType(self.type_combo.currentData())
        if item is None or self._loading or kind == item.type:
            return
        changes: dict[str, object] = {"type": kind}
        if kind not in CHOICE_TYPES:
            changes["answer_options"] = ()  # options of another type are noise the author would delete
            changes["satisfaction"] = False
        if kind != ItemType.QUANTITY:
            changes["unit"] = None
        self._set(_("Change type"), **changes)
        self._show_rows_for(kind)

    def _on_link_id(self) -> None:
        item = self._item()
        new_id = self.link_id.text().strip()
        if item is None or self._loading or self._path is None or new_id == item.link_id:
            return
        if self._document.read_only:
            return
        defn = self._document.definition
        after = with_items(
            defn, replace_at(defn.items, self._path, dataclasses.replace(item, link_id=new_id))
        )
        holders = [p for p, i in walk_paths(defn.items) if i.link_id == item.link_id]
        if len(holders) == 1 and new_id and new_id not in link_ids(defn):
            # A unique linkId renamed: conditions, scores and rules follow it.
            after = rename_references(after, item.link_id, new_id)
        self._document.apply(after, _("Rename linkId"), select_after=self._path, select_before=self._path)

    def _on_bound(self, name: str, text: str) -> None:
        item = self._item()
        if item is None:
            return
        value = text.strip() or None if item.type in DATE_TYPES else parse_number(text)
        self._set(_("Edit item"), **{name: value})

    def _on_initial(self) -> None:
        item = self._item()
        if item is not None:
            self._set(_("Edit item"), initial=parse_list(self.initial.text(), item.type))


def show_text(edit: QLineEdit, text: str) -> None:
    """Show ``text`` from the start (not scrolled to its end); a field already showing it is left alone."""
    if edit.text() != text:  # so the cursor of a field being typed in is not reset
        edit.setText(text)
        if not edit.hasFocus():
            edit.setCursorPosition(0)


def _pair(parent: QWidget, first: QWidget, second: QWidget) -> QWidget:
    box = QWidget(parent)
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(first)
    layout.addWidget(QLabel("–", box))
    layout.addWidget(second)
    return box
