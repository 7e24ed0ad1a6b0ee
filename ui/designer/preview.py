"""The live preview: the nurse's own form renderer (``ScaleFormView``) on the draft, refreshed on edits.

It must show exactly what the nurse will see, so there is no second renderer
here: the preview is rebuilt with ``ScaleFormView`` a moment after the last
edit (debounced, so typing a label does not rebuild per keystroke). Answers
given in the preview survive rebuilds, so an author can answer a question
and watch a conditional item appear. A definition the engine cannot run
(a forward enableWhen, a duplicate linkId…) keeps the last good preview under
a notice until it is fixed.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from nurse_app.domain.forms import FormDefinition, check_definition
from ui.designer.document import DesignDocument
from ui.i18n import LANGUAGES, _, current_language

log = logging.getLogger(__name__)
DEBOUNCE_MS = 300


class PreviewPane(QWidget):
    """Header (language of the preview, Clear answers) over the form view, or a notice."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._answers: dict[str, object] | None = None
        self.view: QWidget | None = None
        self.shown_definition: FormDefinition | None = None
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-weight: bold;")
        self.language = QComboBox(self)
        # "" means "follow the application" (never None: PySide6 6.12 mis-counts a None read back).
        self.language.addItem("", "")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.clear_button = QPushButton(self)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #fff4e5; color: #8a4b00; padding: 4px; border-radius: 3px;")
        self.notice.hide()
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.language)
        header.addWidget(self.clear_button)
        self._body = QVBoxLayout()
        self._body.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.notice)
        layout.addLayout(self._body, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh_now)
        document.sig_changed.connect(lambda _select: self.schedule())
        document.sig_reset.connect(self._forget_answers)
        self.language.currentIndexChanged.connect(lambda _i: self.refresh_now())
        self.clear_button.clicked.connect(self._clear_answers)
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(_("Preview (as the nurse sees it)"))
        self.language.setItemText(0, _("App language"))
        self.clear_button.setText(_("Clear answers"))
        self.schedule()

    def schedule(self) -> None:
        """Refresh shortly (restarts the wait on every call: one rebuild after a burst of edits)."""
        self._timer.start()

    def _forget_answers(self) -> None:
        self._answers = None

    def _clear_answers(self) -> None:
        self._answers = None
        self.refresh_now()

    def _lang(self) -> str:
        return self.language.currentData() or current_language()

    def _pinned_lang(self) -> str | None:
        return self.language.currentData() or None

    def refresh_now(self) -> None:
        """Rebuild the preview from the current definition (the debounce timer's target)."""
        self._timer.stop()
        defn = self._document.definition
        problems = check_definition(defn, self._lang())
        if problems:
            self._notify(
                _("The preview shows the last version without problems: fix the problems list first.")
            )
            return
        try:
            from ui.forms.form_view import (
                ScaleFormView,
            )  # the colleague's renderer; imported when first needed
        except ImportError as error:
            log.info("form renderer not available yet: %s", error)
            self._notify(_("The form renderer is not available in this build."))
            return
        if self.view is not None:
            self._answers = self.view.answers()  # type: ignore[attr-defined]
            scroll = self.view.scroll.verticalScrollBar().value()  # type: ignore[attr-defined]
            self.view.hide()
            self.view.deleteLater()
        else:
            scroll = 0
        view = ScaleFormView(defn, answers=self._answers, lang=self._pinned_lang(), parent=self)
        view.sig_answers_changed.connect(self._remember)
        self._body.addWidget(view, 1)
        self.view = view
        self.shown_definition = defn
        self.notice.hide()
        QTimer.singleShot(0, lambda: _restore_scroll(view, scroll))

    def _remember(self, answers: dict[str, object]) -> None:
        self._answers = answers

    def _notify(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()


def _restore_scroll(view: QWidget, value: int) -> None:
    if shiboken6.isValid(view):  # the view may have been replaced again before the event loop came round
        view.scroll.verticalScrollBar().setValue(value)  # type: ignore[attr-defined]
