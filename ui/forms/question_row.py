"""One item on screen: a question (label, editor, inline problem), a display text, or a titled group."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from nurse_app.domain.forms import Item, ItemType
from ui.forms.choice_fields import (
    MAX_RADIO_OPTIONS,
    BooleanButtons,
    ChoiceButtons,
    ChoiceCombo,
    OpenChoiceCombo,
)
from ui.forms.date_fields import DateField
from ui.forms.field_base import FieldEditor
from ui.forms.input_fields import NumberField, StringField, TextField
from ui.forms.texts import REQUIRED_MARK_TIP, tr

PROBLEM_COLOUR = "#c62828"


def editor_for(item: Item, lang: str, parent: QWidget | None = None) -> FieldEditor:
    """The editor widget for a question item, by type (FHIR R4 item types)."""
    kind = item.type
    if kind == ItemType.BOOLEAN:
        return BooleanButtons(item, lang, parent)
    if kind == ItemType.CHOICE:
        if item.repeats or len(item.answer_options) <= MAX_RADIO_OPTIONS:
            return ChoiceButtons(item, lang, parent)
        return ChoiceCombo(item, lang, parent)
    if kind == ItemType.OPEN_CHOICE:
        return OpenChoiceCombo(item, lang, parent)
    if kind in (ItemType.INTEGER, ItemType.DECIMAL, ItemType.QUANTITY):
        return NumberField(item, lang, parent)
    if kind == ItemType.TEXT:
        return TextField(item, lang, parent)
    if kind in (ItemType.DATE, ItemType.DATETIME):
        return DateField(item, lang, parent)
    return StringField(item, lang, parent)


def _problem_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {PROBLEM_COLOUR};")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    label.hide()
    return label


class ItemWidget:
    """What the form view needs of every item on screen (questions, display texts and groups)."""

    item: Item
    widget: QWidget

    def retranslate(self, lang: str) -> None:
        raise NotImplementedError

    def show_problem(self, text: str) -> None:
        pass


class QuestionRow(QWidget, ItemWidget):
    """Label (with the red * of a required item) beside the editor, the inline problem under the editor.

    Side by side on a wide screen, so a 1366-pixel ward PC shows more of the
    scale; stacked when narrow (the designer's preview pane).
    """

    SIDE_BY_SIDE_MIN_WIDTH = 720

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.widget = self
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        answer = QWidget(self)
        self.editor = editor_for(item, lang, answer)
        self.label.setBuddy(self.editor.focus_target())
        self.problem = _problem_label(answer)
        answer_layout = QVBoxLayout(answer)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_layout.setSpacing(2)
        answer_layout.addWidget(self.editor)
        answer_layout.addWidget(self.problem)
        self._layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._layout.setContentsMargins(0, 4, 0, 4)
        self._layout.setSpacing(3)
        self._layout.addWidget(self.label, 2)
        self._layout.addWidget(answer, 3)
        if item.read_only:
            self.editor.set_read_only(True)
        self.retranslate(lang)

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= self.SIDE_BY_SIDE_MIN_WIDTH
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
            self._layout.setSpacing(16 if wide else 3)
        super().resizeEvent(event)

    def retranslate(self, lang: str) -> None:
        text = html.escape(self.item.text.get(lang) or self.item.link_id)
        if self.item.required:
            tip = html.escape(tr(REQUIRED_MARK_TIP, lang))
            text += f' <span style="color:{PROBLEM_COLOUR}" title="{tip}">*</span>'
        self.label.setText(text)
        self.editor.retranslate(lang)

    def show_problem(self, text: str) -> None:
        if text == self.problem.text() and self.problem.isHidden() == (not text):
            return  # nothing to redo: this runs for every item on every keystroke
        self.problem.setText(text)
        self.problem.setHidden(not text)


class DisplayText(QLabel, ItemWidget):
    """A display item: text shown between the questions, nothing to answer."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.widget = self
        self.setWordWrap(True)
        self.setStyleSheet("color: palette(dark); padding: 2px 0;")
        self.retranslate(lang)

    def retranslate(self, lang: str) -> None:
        self.setText(self.item.text.get(lang))


class GroupFrame(QGroupBox, ItemWidget):
    """A group item: a titled frame holding its children (groups nest)."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.widget = self
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(10, 6, 10, 8)
        self.body.setSpacing(2)
        self.problem = _problem_label(self)
        self.body.addWidget(self.problem)
        self.setStyleSheet("QGroupBox { font-weight: bold; } QGroupBox * { font-weight: normal; }")
        self.retranslate(lang)

    def add_child(self, child: QWidget) -> None:
        self.body.addWidget(child)

    def retranslate(self, lang: str) -> None:
        title = self.item.text.get(lang) or self.item.link_id
        self.setTitle(title + (" *" if self.item.required else ""))

    def show_problem(self, text: str) -> None:
        if text != self.problem.text():
            self.problem.setText(text)
        self.problem.setHidden(not text)
