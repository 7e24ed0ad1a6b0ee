"""The row above a form: the hold-to-talk button, the level meter and the model's state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from nurse_app.voice import ModelState, ModelStatus
from ui.i18n import _
from ui.voice.level_meter import LevelMeter

PROBLEM_COLOUR = "#c62828"


class VoiceBar(QWidget):
    """Shows whether dictation can be used and why not; the controller drives it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voiceBar")
        self.mic_button = QPushButton(self)
        self.mic_button.setObjectName("micButton")
        self.mic_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # pressing it must not take the field's focus
        self.mic_button.setEnabled(False)
        self.meter = LevelMeter(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(120)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 2, 12, 2)
        layout.addWidget(self.mic_button)
        layout.addWidget(self.meter)
        layout.addWidget(self.progress)
        layout.addWidget(self.status, 1)
        self._model: ModelStatus | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.mic_button.setText(_("🎤 Hold to talk"))
        if self._model is not None:
            self.show_model(self._model)
        else:
            self.mic_button.setToolTip(_("Hold the button or F9 on a field and speak; Esc cancels"))

    def show_model(self, status: ModelStatus) -> None:
        """Enable the microphone once the model is ready; otherwise grey it and say why."""
        self._model = status
        state = status.state
        ready = state is ModelState.READY
        self.mic_button.setEnabled(ready)
        self.progress.setVisible(state is ModelState.LOADING)
        if state is ModelState.LOADING:
            self.progress.setValue(int(status.progress * 100))
            self.set_status(_("Loading the speech model…"))
            self.mic_button.setToolTip(_("The speech model is still loading"))
        elif ready:
            self.set_status("")
            self.mic_button.setToolTip(_("Hold the button or F9 on a field and speak; Esc cancels"))
        elif state in (ModelState.FAILED, ModelState.INVALID, ModelState.NOT_CONFIGURED):
            reason = _("Dictation is unavailable: {reason}").format(reason=status.message or state.value)
            self.set_status(reason, problem=True)
            self.mic_button.setToolTip(reason)
        else:
            self.set_status("")

    def set_status(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {PROBLEM_COLOUR};" if problem else "")
        self.status.setVisible(bool(text))
