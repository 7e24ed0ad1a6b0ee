"""Whole-form dictation ("整表口述") on a :class:`~ui.voice.push_to_talk.PushToTalk`.

The toggle next to the 🎤 button starts a walk (:class:`~nurse_app.voice.FormWalker`)
at the focused field, else at the first enabled unanswered one. Each utterance
(hold the button or F9, as for one field) goes through the walker: an answer
fills the current field — merged through ``set_answers`` and announced with
``sig_answers_changed`` so autosave and scores follow — and the focus moves to
the next *enabled* item (enableWhen re-checked after every answer). 下一项 /
上一项 move, 撤销 takes back the last answer, 完成 ends the mode and puts the
focus on the submit button. The current item is highlighted; Esc leaves.

:meth:`WholeFormDictation.handle_text` is the one entry for recognised text: the
bridge's final result comes through it, and so can typed or injected text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from nurse_app.domain.forms import Item
from nurse_app.voice import Command, DictationResult, FieldFill, FormWalker, WalkStep, Word
from nurse_app.voice.phrases import COMMANDS, normalize_text
from ui.i18n import _, language_notifier

if TYPE_CHECKING:
    from ui.voice.push_to_talk import PushToTalk

#: The current item's row while the walk is on it.
HIGHLIGHT = "QuestionRow { background: #fff8e1; border-left: 3px solid #f9a825; }"
#: Command words understood whatever the dictation language (typed, or a model that hears them).
COMMAND_LANGS = ("zh_CN", "en")


class WholeFormDictation(QObject):
    """The "dictate whole form" mode of one form's push-to-talk; made by ``PushToTalk``."""

    sig_started = Signal(str)  # the first item's linkId
    sig_step = Signal(object)  # WalkStep, after the view shows it
    sig_ended = Signal(bool)  # True: finished with 完成/done; False: left (Esc or the toggle)

    def __init__(self, ptt: PushToTalk) -> None:
        super().__init__(ptt)
        self.ptt = ptt
        self.view = ptt.view
        self.walker: FormWalker | None = None
        #: Where 完成 puts the focus; default: the ``submit_button`` of an enclosing widget (ScalePanel).
        self.submit_button: QWidget | None = None
        self._highlighted: str | None = None
        self.button = QPushButton(ptt.bar)
        self.button.setObjectName("wholeFormButton")
        self.button.setCheckable(True)
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # toggling must not take the field's focus
        ptt.bar.layout().insertWidget(1, self.button)  # type: ignore[union-attr]
        self.button.toggled.connect(self._toggled)
        self.view.sig_answers_changed.connect(self._view_edited)
        # A bound method, not a lambda: Qt drops the connection when this object goes with its form.
        language_notifier().sig_language_changed.connect(self._language_changed)
        self.retranslate()

    # --- public API --------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.walker is not None

    @property
    def current_id(self) -> str | None:
        return self.walker.current_id if self.walker is not None else None

    def highlighted(self) -> str | None:
        """The linkId of the highlighted row (the walk's current item), if any."""
        return self._highlighted

    def retranslate(self) -> None:
        self.button.setText(_("Dictate whole form"))
        self.button.setToolTip(_("Item by item, hold to talk; say 下一项, 上一项, 撤销 or 完成; Esc leaves"))

    def start(self, link_id: str | None = None) -> bool:
        """Start the walk at ``link_id``, else the focused field, else the first enabled unanswered item."""
        if self.active:
            return True
        if self.view.is_read_only():
            self._set_checked(False)
            self.ptt._say(html.escape(_("This form cannot be filled now")), linger=True)
            return False
        focused = link_id or self.ptt._field_of(QApplication.focusWidget())
        walker = FormWalker(
            self.view.definition,
            self.view.answers(),
            lang=self.ptt.bridge.lang,
            threshold=self.ptt.bridge.voice.settings.confidence_threshold,
            extras=self.ptt.synonyms,
        )
        enabled = walker.enabled_ids()
        if focused is not None and focused in enabled and focused in self.view.rows:
            walker.current_id = focused
        elif walker.current_id is None:
            walker.next()  # everything answered: start at the first enabled item
        if walker.current_id is None:
            self._set_checked(False)
            self.ptt._say(html.escape(_("No item to dictate")), linger=True)
            return False
        self.walker = walker
        self._set_checked(True)
        self._go_to(walker.current_id)
        self._say_current()
        self.sig_started.emit(walker.current_id)
        return True

    def stop(self, *, finished: bool = False) -> None:
        """Leave the mode (a running utterance is dropped); ``finished`` focuses the submit button."""
        if not self.active:
            return
        if self.ptt.listening:
            self.ptt.cancel()
        self.walker = None
        self._set_checked(False)
        self._highlight(None)
        if finished:
            submit = self._submit_button()
            if submit is not None:
                submit.setFocus(Qt.FocusReason.OtherFocusReason)
            self.ptt._say(html.escape(_("Whole-form dictation finished")), linger=True)
        else:
            self.ptt._say(html.escape(_("Left whole-form dictation")), linger=True)
        self.sig_ended.emit(finished)

    def handle_text(self, text: str, words: Sequence[Word] = (), *, unknown: bool = False) -> WalkStep | None:
        """One recognised utterance: a command or the current item's answer; ``None`` when not active."""
        walker = self.walker
        if walker is None:
            return None
        command = self._command(text)
        if command is not None:
            step = walker.apply(FieldFill(None, text, None, (), True, "", (), command))
        else:
            step = walker.handle_text(text, words, unknown=unknown)
        self._show(step)
        return step

    def take_result(self, result: DictationResult) -> WalkStep | None:
        """The bridge's final result of a push-to-talk utterance in this mode."""
        recognition = result.recognition
        if recognition is None:  # a result made elsewhere: only its fill is known
            if self.walker is None or result.fill is None:
                return None
            step = self.walker.apply(result.fill)
            self._show(step)
            return step
        return self.handle_text(recognition.text, recognition.words, unknown=recognition.unknown)

    def start_dictation(self, item: Item, extra: Mapping[str, Sequence[str]] | None) -> bool:
        """Start one utterance for ``item``, with the walker's spoken commands in the grammar."""
        return self.ptt.bridge.start(item, extra, commands=True)

    # --- showing a step ----------------------------------------------------------------------------

    def _show(self, step: WalkStep) -> None:
        walker = self.walker
        assert walker is not None
        action = step.action
        if action == "filled":
            self._sync(step.filled)
            for link_id in step.filled:
                self.ptt.sig_filled.emit(link_id, walker.answers.get(link_id))
            text = html.escape(step.fill.text if step.fill else "")
            if step.current is None:
                # The last item: stay on it, so 撤销 or 完成 can still be said.
                walker.current_id = step.filled[-1] if step.filled else step.link_id
                walker.done = False
                self._go_to(walker.current_id)
                self.ptt._say(
                    _("Filled: {text}").format(text=text)
                    + "<br>"
                    + html.escape(_("Last item filled: say 完成 to finish, or press Esc")),
                )
            else:
                self._go_to(step.current)
                self.ptt._say(_("Filled: {text}").format(text=text) + "<br>" + self._current_text())
        elif action == "rejected":
            reason = step.fill.reason if step.fill else ""
            self.ptt._say(_("Nothing filled: {reason}").format(reason=html.escape(reason)))
            self.ptt.sig_not_filled.emit(step.link_id or "", reason)
        elif action == "moved":
            self._go_to(step.current)
            self._say_current()
        elif action == "undone":
            self._sync(step.filled)
            self._go_to(step.current)
            self.ptt._say(
                html.escape(_("Undone: {item}").format(item=self._item_text(step.current)))
                + "<br>"
                + self._current_text()
            )
        elif action == "done":
            self.sig_step.emit(step)
            self.stop(finished=True)
            return
        else:
            self.ptt._say(html.escape(_("Nothing to do there")))
        self.sig_step.emit(step)

    def _sync(self, link_ids: Sequence[str]) -> None:
        """Put the walker's values of ``link_ids`` into the view: an edit (autosave and scores follow)."""
        assert self.walker is not None
        answers = self.view.answers()
        for link_id in link_ids:
            if link_id in self.walker.answers:
                answers[link_id] = self.walker.answers[link_id]
            else:
                answers.pop(link_id, None)
        self.view.set_answers(answers)
        self.view.sig_answers_changed.emit(self.view.answers())

    def _go_to(self, link_id: str | None) -> None:
        row = self.view.rows.get(link_id) if link_id else None
        if row is None:
            return
        self._highlight(link_id)
        self.ptt._link_id = link_id  # the overlay shows under the current item
        self.ptt._last_field = link_id
        self.view.scroll.ensureWidgetVisible(row, 0, 40)
        row.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def _highlight(self, link_id: str | None) -> None:
        if self._highlighted == link_id:
            return
        old = self.view.rows.get(self._highlighted) if self._highlighted else None
        if old is not None:
            old.setStyleSheet("")
            old.setProperty("voiceCurrent", False)
        self._highlighted = link_id
        row = self.view.rows.get(link_id) if link_id else None
        if row is not None:
            row.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
            row.setStyleSheet(HIGHLIGHT)
            row.setProperty("voiceCurrent", True)

    def _item_text(self, link_id: str | None) -> str:
        item = self.view.definition.find(link_id) if link_id else None
        return item.text.get(self.view.lang) if item is not None else ""

    def _current_text(self) -> str:
        return html.escape(
            _("Whole-form dictation: {item} — hold to talk").format(item=self._item_text(self.current_id))
        )

    def _say_current(self) -> None:
        self.ptt._say(self._current_text())

    # --- helpers -----------------------------------------------------------------------------------

    def _command(self, text: str) -> Command | None:
        """A whole-utterance command in any UI language (the walker also knows its own language's)."""
        for lang in COMMAND_LANGS:
            said = normalize_text(text, lang)
            for phrase, command in COMMANDS.get(lang, {}).items():
                if said and said == normalize_text(phrase, lang):
                    return command
        return None

    def _submit_button(self) -> QWidget | None:
        if self.submit_button is not None:
            return self.submit_button
        widget = self.view.parentWidget()
        while widget is not None:
            button = getattr(widget, "submit_button", None)
            if isinstance(button, QWidget):
                return button
            widget = widget.parentWidget()
        return None

    def _language_changed(self, _language: str) -> None:
        self.retranslate()

    def _set_checked(self, checked: bool) -> None:
        blocked = self.button.blockSignals(True)
        self.button.setChecked(checked)
        self.button.blockSignals(blocked)

    def _toggled(self, checked: bool) -> None:
        if checked:
            self.start()
        else:
            self.stop()

    def _view_edited(self, answers: dict) -> None:
        """A hand edit during the walk: the walker decides enableWhen on what the form shows."""
        if self.walker is not None:
            self.walker.answers = dict(answers)
