"""Editors for choice, open-choice and yes/no items.

Option buttons form one keyboard stop per question (not one per option): a
nurse tabs from question to question and presses 1…9 to pick an option, 0 or
Backspace to clear it. Clicking the chosen radio again clears it, because an
optional question must be able to go back to "no answer".
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QFrame, QHBoxLayout, QRadioButton, QWidget

from nurse_app.domain.forms import Item
from ui.forms.field_base import FieldEditor, FocusOutWatcher, QuietComboBox
from ui.forms.flow_layout import FlowLayout
from ui.forms.texts import CHOOSE_BY_NUMBER, NO, SELECT, YES, tr

#: Up to this many options a single choice shows radio buttons; beyond, a drop-down list.
MAX_RADIO_OPTIONS = 6

_CLEAR_KEYS = {Qt.Key.Key_0, Qt.Key.Key_Backspace, Qt.Key.Key_Delete}


class ChoiceButtons(FieldEditor):
    """Radio buttons (one answer) or check boxes (``item.repeats``) in a wrapping row."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.multiple = item.repeats
        self._frame = QFrame(self)
        self._frame.setObjectName("choiceGroup")
        self._frame.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._frame.keyPressEvent = self._key_pressed  # type: ignore[method-assign]
        # A visible focus ring on the group, since the buttons themselves never take focus.
        self._frame.setStyleSheet(
            "#choiceGroup { border: 1px solid transparent; border-radius: 3px; }"
            "#choiceGroup:focus { border: 1px solid palette(highlight); }"
        )
        flow = FlowLayout(self._frame)
        flow.setContentsMargins(4, 0, 4, 2)  # top 0: options line up with the question beside them
        self._buttons: list[QAbstractButton] = []
        for index in range(len(self._values())):
            button: QAbstractButton = QCheckBox(self._frame) if self.multiple else QRadioButton(self._frame)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoExclusive(False)  # exclusivity is ours, so a second click can clear
            button.clicked.connect(lambda checked, i=index: self._clicked(i, checked))
            flow.addWidget(button)
            self._buttons.append(button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._frame)
        self.retranslate(lang)

    # --- what the options are (yes/no overrides these) -----------------------------------------

    def _values(self) -> list[object]:
        return [option.code for option in self.item.answer_options]

    def _labels(self, lang: str) -> list[str]:
        return [option.display.get(lang) for option in self.item.answer_options]

    # --- FieldEditor ------------------------------------------------------------------------------

    def value(self) -> object:
        chosen = [v for v, b in zip(self._values(), self._buttons, strict=True) if b.isChecked()]
        if self.multiple:
            return chosen or None
        return chosen[0] if chosen else None

    def _show_value(self, value: object) -> None:
        wanted = value if isinstance(value, (list, tuple)) else [value]
        for option_value, button in zip(self._values(), self._buttons, strict=True):
            # `is` for bools: True == 1 must not tick the option coded 1.
            button.setChecked(any(_same(option_value, w) for w in wanted))

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        for button, label in zip(self._buttons, self._labels(lang), strict=True):
            button.setText(label)
        count = min(len(self._buttons), 9)
        self._frame.setToolTip(tr(CHOOSE_BY_NUMBER, lang, count=count))

    def focus_target(self) -> QWidget:
        return self._frame

    # --- user input -------------------------------------------------------------------------------

    def _clicked(self, index: int, checked: bool) -> None:
        if checked and not self.multiple:
            for other, button in enumerate(self._buttons):
                if other != index:
                    button.setChecked(False)
        self._frame.setFocus(Qt.FocusReason.MouseFocusReason)
        self._changed()
        self._touched()

    def _key_pressed(self, event: QKeyEvent) -> None:
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and key - Qt.Key.Key_1 < len(self._buttons):
            index = key - Qt.Key.Key_1
            button = self._buttons[index]
            button.setChecked(not button.isChecked() if self.multiple else True)
            self._clicked(index, button.isChecked())
        elif key in _CLEAR_KEYS and any(b.isChecked() for b in self._buttons):
            for button in self._buttons:
                button.setChecked(False)
            self._changed()
            self._touched()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Right, Qt.Key.Key_Down) and not self.multiple:
            self._step(-1 if key in (Qt.Key.Key_Left, Qt.Key.Key_Up) else 1)
        else:
            QFrame.keyPressEvent(self._frame, event)

    def _step(self, delta: int) -> None:
        current = next((i for i, b in enumerate(self._buttons) if b.isChecked()), -1)
        index = max(0, min(len(self._buttons) - 1, current + delta if current >= 0 else 0))
        self._buttons[index].setChecked(True)
        self._clicked(index, True)


class BooleanButtons(ChoiceButtons):
    """是 / 否 as two radio buttons (keys 1 / 2, or Y / N)."""

    def _values(self) -> list[object]:
        return [True, False]

    def _labels(self, lang: str) -> list[str]:
        return [tr(YES, lang), tr(NO, lang)]

    def _key_pressed(self, event: QKeyEvent) -> None:
        letters = {Qt.Key.Key_Y: 0, Qt.Key.Key_N: 1}
        if event.key() in letters:
            index = letters[event.key()]
            self._buttons[index].setChecked(True)
            self._clicked(index, True)
            return
        super()._key_pressed(event)


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


class ChoiceCombo(FieldEditor):
    """A drop-down list for a single choice with many options; the first entry means "no answer"."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.combo = QuietComboBox(self)
        self.combo.setSizeAdjustPolicy(QuietComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(self._index_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.retranslate(lang)

    def value(self) -> object:
        return self.combo.currentData()

    def _show_value(self, value: object) -> None:
        index = self.combo.findData(value) if isinstance(value, str) else -1
        self.combo.setCurrentIndex(max(index, 0))

    def retranslate(self, lang: str) -> None:
        super().retranslate(lang)
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(tr(SELECT, lang), None)
        for option in self.item.answer_options:
            self.combo.addItem(option.display.get(lang), option.code)
        self.combo.setCurrentIndex(max(self.combo.findData(current), 0) if current is not None else 0)
        self.combo.blockSignals(False)

    def focus_target(self) -> QWidget:
        return self.combo

    def _index_changed(self, _index: int) -> None:
        self._changed()
        self._touched()


class OpenChoiceCombo(FieldEditor):
    """An editable drop-down: a listed option (stored as its code) or free text (stored as typed)."""

    def __init__(self, item: Item, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(item, lang, parent)
        self.combo = QuietComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QuietComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(16)
        self.combo.editTextChanged.connect(lambda _text: self._changed())
        self.combo.lineEdit().editingFinished.connect(self._touched)
        FocusOutWatcher(self.combo, self._touched)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.retranslate(lang)

    def value(self) -> object:
        text = self.combo.currentText().strip()
        if not text:
            return None
        for option in self.item.answer_options:
            # Either language's wording (or the code) means the option: the text may come from voice input.
            if text in (option.display.zh, option.display.en, option.code):
                return option.code
        return text

    def _show_value(self, value: object) -> None:
        if value is None:
            self.combo.setEditText("")
            return
        option = self.item.option(value) if isinstance(value, str) else None
        self.combo.setEditText(option.display.get(self.lang) if option else str(value))

    def retranslate(self, lang: str) -> None:
        current = self.value()
        super().retranslate(lang)
        self.combo.blockSignals(True)
        self.combo.clear()
        for option in self.item.answer_options:
            self.combo.addItem(option.display.get(lang), option.code)
        self.combo.blockSignals(False)
        self.set_value(current)
        self.combo.lineEdit().setPlaceholderText(tr(SELECT, lang))

    def focus_target(self) -> QWidget:
        return self.combo
