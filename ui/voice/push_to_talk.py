"""Push-to-talk on a :class:`~ui.forms.form_view.ScaleFormView`: hold the 🎤 button or F9 on a field.

While held, the recogniser's live text shows in a small box under the field;
on release the final result fills that field (merged through
``set_answers``). A result below the confidence threshold is not filled: its
weak words are highlighted and the nurse confirms or discards it. ``[unk]``
or an answer the field cannot take fills nothing and says why. Esc cancels.
The model loads once in the background; until then (or when it cannot load)
the button is greyed with the reason, and the form works as before.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from nurse_app.voice import DictationResult, ModelStatus
from ui.forms.form_view import ScaleFormView
from ui.i18n import _, language_notifier
from ui.voice.bridge import VoiceBridge
from ui.voice.overlay import DictationOverlay, highlight_words
from ui.voice.voice_bar import VoiceBar
from ui.voice.whole_form import WholeFormDictation

#: Per linkId, per option code ("true"/"false" for a boolean): extra words the nurse may say.
Synonyms = Mapping[str, Mapping[str, Sequence[str]]]


class PushToTalk(QObject):
    """Dictation into the focused field of one form view; made by :func:`attach_push_to_talk`."""

    sig_filled = Signal(str, object)  # linkId, the value put into the field
    sig_not_filled = Signal(str, str)  # linkId, why nothing was filled
    sig_cancelled = Signal()

    def __init__(
        self,
        view: ScaleFormView,
        bridge: VoiceBridge,
        *,
        synonyms: Synonyms | None = None,
        hotkey: Qt.Key = Qt.Key.Key_F9,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.bridge = bridge
        self.synonyms = synonyms or {}
        self.hotkey = hotkey
        self.bar = VoiceBar(view)
        layout = view.layout()
        layout.insertWidget(0, self.bar)  # type: ignore[attr-defined]
        self.overlay = DictationOverlay(view)
        self.overlay.sig_confirmed.connect(self._confirm_suggestion)
        self.overlay.sig_dismissed.connect(self._dismiss_suggestion)
        self._held = False  # button or hotkey is down
        self._listening = False  # a dictation runs (until its result, error or cancel)
        self._link_id: str | None = None
        self._last_field: str | None = None
        self._pending: DictationResult | None = None  # the file ended before the release
        self._suggestion: tuple[str, object] | None = None

        self.bar.mic_button.pressed.connect(self.press)
        self.bar.mic_button.released.connect(self.release)
        bridge.sig_partial.connect(self._partial)
        bridge.sig_level.connect(self.bar.meter.set_level)
        bridge.sig_final.connect(self._final)
        bridge.sig_error.connect(self._error)
        bridge.sig_cancelled.connect(self._cancelled)
        bridge.sig_model_progress.connect(self._model_status)
        bridge.sig_model_done.connect(self._model_status)
        # Key and focus events of the form's own fields only: no application-wide filter.
        view.installEventFilter(self)
        for row in view.rows.values():
            for widget in (row.editor, *row.editor.findChildren(QWidget)):
                widget.installEventFilter(self)
        language_notifier().sig_language_changed.connect(self._retranslate)
        self.whole_form = WholeFormDictation(self)  # the "整表口述" toggle next to the mic
        self.bar.show_model(bridge.model_status())
        bridge.load_model()

    # --- public API --------------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._listening

    def current_field(self) -> str | None:
        """The field dictation goes to: the focused one, else the one focused last."""
        focused = self._field_of(QApplication.focusWidget())
        return focused or self._last_field

    def press(self, link_id: str | None = None) -> None:
        """Start listening for ``link_id`` (default: the focused field)."""
        if self._listening or self._held:
            return
        if not self.bridge.is_ready():
            self.bar.show_model(self.bridge.model_status())
            return
        link_id = link_id or self.whole_form.current_id or self.current_field()
        row = self.view.rows.get(link_id) if link_id else None
        if row is None:
            self.bar.set_status(_("Click the field to fill first, then hold to talk"))
            return
        if self.view.is_read_only() or row.item.read_only or row.isHidden():
            self.bar.set_status(_("This field cannot be filled now"), problem=True)
            return
        self._suggestion = None
        self._pending = None
        self._link_id = link_id
        self._held = True
        self._listening = True
        self.bar.mic_button.setDown(True)
        self.bar.set_status("")
        self._say(_("Listening… release to fill, Esc cancels"))
        extra = self.synonyms.get(link_id)
        if self.whole_form.active:
            started = self.whole_form.start_dictation(row.item, extra)
        else:
            started = self.bridge.start(row.item, extra)
        if not started:
            self._end()

    def release(self) -> None:
        """The nurse let go: the result (already here or still coming) fills the field."""
        if not self._held:
            return
        self._held = False
        self.bar.mic_button.setDown(False)
        if self._pending is not None:
            result, self._pending = self._pending, None
            self._apply(result)
        elif self._listening:
            self.bridge.stop()

    def cancel(self) -> None:
        """Esc: drop the utterance (nothing is filled), or dismiss a suggestion waiting for confirmation."""
        if not self._listening and self._pending is None:
            self._dismiss_suggestion()
            return
        self._pending = None
        self._held = False
        self.bar.mic_button.setDown(False)
        self.bridge.cancel()

    # --- events from the bridge --------------------------------------------------------------------

    def _partial(self, text: str) -> None:
        if self._listening and text:
            self._say(_("Heard: {text}").format(text=html.escape(text)))

    def _final(self, result: DictationResult) -> None:
        if not self._listening:
            return
        if self._held:
            self._pending = result  # a short file can end before the nurse lets go
            if result.recognition.text:
                self._say(_("Heard: {text}").format(text=html.escape(result.recognition.text)))
            return
        self._apply(result)

    def _error(self, message: str) -> None:
        link_id = self._link_id or ""
        self._end()
        self._say(_("Dictation failed: {reason}").format(reason=html.escape(message)), linger=True)
        self.sig_not_filled.emit(link_id, message)

    def _cancelled(self) -> None:
        self._end()
        self._say(_("Cancelled: nothing filled"), linger=True)
        self.sig_cancelled.emit()

    def _model_status(self, status: ModelStatus) -> None:
        self.bar.show_model(status)

    # --- filling -----------------------------------------------------------------------------------

    def _apply(self, result: DictationResult) -> None:
        link_id = result.link_id or self._link_id or ""
        self._end()
        if self.whole_form.active:
            self.whole_form.take_result(result)  # the walk decides: answer, command, or nothing
            return
        fill = result.fill
        if fill is None:
            return
        if fill.ok:
            self._fill(link_id, fill.value)
            self._say(_("Filled: {text}").format(text=html.escape(fill.text)), linger=True)
            return
        if fill.value is not None:
            # Heard something, but not surely enough for a medical record: the nurse decides.
            self._suggestion = (link_id, fill.value)
            self._say(
                _("Please confirm: {text}").format(text=highlight_words(fill.text, fill.low_confidence_words))
                + "<br>"
                + html.escape(fill.reason),
                confirm=True,
            )
            self.sig_not_filled.emit(link_id, fill.reason)
            return
        self._say(_("Nothing filled: {reason}").format(reason=html.escape(fill.reason)), linger=True)
        self.sig_not_filled.emit(link_id, fill.reason)

    def _fill(self, link_id: str, value: object) -> None:
        answers = self.view.answers()
        answers[link_id] = value
        self.view.set_answers(answers)
        # set_answers is "not an edit"; a dictated answer is one (autosave and scores must follow).
        self.view.sig_answers_changed.emit(self.view.answers())
        self.sig_filled.emit(link_id, value)

    def _confirm_suggestion(self) -> None:
        if self._suggestion is not None:
            link_id, value = self._suggestion
            self._suggestion = None
            self._fill(link_id, value)
        self.overlay.hide()

    def _dismiss_suggestion(self) -> None:
        self._suggestion = None
        self.overlay.hide()

    def _end(self) -> None:
        self._listening = False
        self._held = False
        self._pending = None
        self.bar.mic_button.setDown(False)
        self.bar.meter.clear_level()

    # --- showing -----------------------------------------------------------------------------------

    def _say(self, rich_text: str, *, confirm: bool = False, linger: bool = False) -> None:
        near = None
        if self._link_id and self._link_id in self.view.rows:
            near = self.view.rows[self._link_id].editor
        self.overlay.show_message(rich_text, near, confirm=confirm, linger=linger)

    def _retranslate(self, _language: str) -> None:
        self.bar.retranslate()

    # --- keys and focus ----------------------------------------------------------------------------

    def _field_of(self, widget: QWidget | None) -> str | None:
        if widget is None:
            return None
        for link_id, row in self.view.rows.items():
            if widget is row.editor or row.editor.isAncestorOf(widget):
                return link_id
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._last_field = self._field_of(watched) or self._last_field
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key == self.hotkey:
            if event.isAutoRepeat():
                return True  # holding F9 repeats the key: one dictation per hold
            if kind == QEvent.Type.KeyPress:
                self.press()
            else:
                self.release()
            return True
        busy = self._listening or self._pending is not None or self.overlay.isVisible()
        if self.whole_form.active and not self.overlay.asking():
            # In the walk, Esc drops a running utterance first, then leaves the mode.
            busy = self._listening or self._pending is not None
        if key == Qt.Key.Key_Escape and kind == QEvent.Type.KeyPress and busy:
            self.cancel()
            return True
        if key == Qt.Key.Key_Escape and kind == QEvent.Type.KeyPress and self.whole_form.active:
            self.whole_form.stop()
            return True
        return False


def attach_push_to_talk(
    view: ScaleFormView, bridge: VoiceBridge, *, synonyms: Synonyms | None = None
) -> PushToTalk:
    """Put the 🎤 bar on ``view`` and dictate into its fields through ``bridge``."""
    return PushToTalk(view, bridge, synonyms=synonyms)
