"""The small box under the dictated field: live text, the result, low-confidence words to confirm."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.i18n import _

LOW_CONFIDENCE_COLOUR = "#e65100"
LOW_CONFIDENCE_STYLE = f"background:#fff3e0; color:{LOW_CONFIDENCE_COLOUR}; font-weight:bold;"
HIDE_AFTER_MS = 2500


def highlight_words(text: str, low: Sequence[str]) -> str:
    """``text`` as rich text with each low-confidence word marked for the nurse to check."""
    weak = set(low)
    parts = []
    for word in text.split(" "):
        shown = html.escape(word)
        if word in weak:
            shown = f'<span style="{LOW_CONFIDENCE_STYLE}"><u>{shown}</u></span>'
        parts.append(shown)
    return " ".join(parts)


class DictationOverlay(QFrame):
    """A child of the form placed just under the field; hides itself after a result."""

    sig_confirmed = Signal()  # the nurse accepts a low-confidence suggestion
    sig_dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dictationOverlay")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#dictationOverlay { background: #fffde7; border: 1px solid #fbc02d; border-radius: 4px; }"
        )
        self.text = QLabel(self)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(220)
        self.confirm_button = QPushButton(_("Use it"), self)
        self.confirm_button.clicked.connect(self.sig_confirmed)
        self.dismiss_button = QPushButton(_("Discard"), self)
        self.dismiss_button.clicked.connect(self.sig_dismissed)
        for button in (self.confirm_button, self.dismiss_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the cursor stays in the field
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(HIDE_AFTER_MS)
        self._hide_timer.timeout.connect(self.hide)
        self.hide()

    def plain_text(self) -> str:
        return self.text.text()

    def asking(self) -> bool:
        """True while a suggestion waits for the nurse's confirmation."""
        return self.isVisible() and self.confirm_button.isVisible()

    def show_message(
        self, rich_text: str, near: QWidget | None, *, confirm: bool = False, linger: bool = False
    ) -> None:
        """Show ``rich_text`` under ``near``; ``confirm`` adds Use it / Discard; ``linger`` hides it later."""
        self._hide_timer.stop()
        self.text.setText(rich_text)
        self.confirm_button.setVisible(confirm)
        self.dismiss_button.setVisible(confirm)
        self.adjustSize()
        self._place(near)
        self.show()
        self.raise_()
        if linger:
            self._hide_timer.start()

    def _place(self, near: QWidget | None) -> None:
        parent = self.parentWidget()
        if near is None or parent is None:
            return
        below = near.mapTo(parent, QPoint(0, near.height() + 2))
        x = max(0, min(below.x(), parent.width() - self.width()))
        y = (
            below.y()
            if below.y() + self.height() <= parent.height()
            else near.mapTo(parent, QPoint(0, 0)).y() - self.height() - 2
        )
        self.move(x, max(0, y))
