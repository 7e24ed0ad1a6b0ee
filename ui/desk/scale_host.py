"""Where the scale form appears after "reached": the forms feature's ScalePanel, loaded lazily.

The forms feature is built alongside this one; until ``ui.forms.scale_panel``
exists, a placeholder says the module is still loading instead of failing.
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import FollowUpTask
from ui.i18n import _, language_notifier

log = logging.getLogger(__name__)


def _scale_panel_class() -> type | None:
    try:
        return importlib.import_module("ui.forms.scale_panel").ScalePanel
    except ImportError as error:
        log.info("scale form not available yet: %s", error)
        return None


class ScaleHost(QWidget):
    sig_submitted = Signal(str)  # task id
    sig_drafts_restored = Signal(str)  # task id whose drafts were put back into the form

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel: QWidget | None = None
        self.task_id: str | None = None
        self._restore_for: str | None = None  # task whose drafts to restore without asking again
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.placeholder)
        self._placeholder_text = "idle"
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self) -> None:
        texts = {
            "idle": _("The scale appears here once the patient is reached."),
            "loading": _("Scale module loading"),
        }
        self.placeholder.setText(texts[self._placeholder_text])
        if self.panel is not None and hasattr(self.panel, "retranslate"):
            self.panel.retranslate()

    def restore_drafts_of(self, task_id: str) -> None:
        """When the scale of ``task_id`` next loads, restore its drafts (the nurse chose so at start)."""
        self._restore_for = task_id
        if self.panel is not None and self.task_id == task_id and self.panel.is_loaded():
            self._restore_if_asked()

    def _restore_if_asked(self) -> None:
        panel = self.panel
        if panel is None or self._restore_for is None or self.task_id != self._restore_for:
            return
        self._restore_for = None
        if panel.draft_bar.isVisibleTo(panel):
            panel.draft_bar.restore_button.click()  # the same path as the nurse pressing "restore"
            self.sig_drafts_restored.emit(self.task_id)

    def clear(self) -> None:
        if self.panel is not None:
            # Switching patients must not lose the last seconds of typing: queue the draft now
            # (ordered before any later cache write on the single "db" worker).
            self.panel.save_drafts_now()
            self._layout.removeWidget(self.panel)
            self.panel.deleteLater()
            self.panel = None
        self.task_id = None
        self._placeholder_text = "idle"
        self.placeholder.show()
        self.retranslate()

    def show_scale(self, ctx: DeskContext, task: FollowUpTask) -> None:
        if self.task_id == task.id and self.panel is not None:
            return
        self.clear()
        self.task_id = task.id
        panel_class = _scale_panel_class()
        if panel_class is None:
            self._placeholder_text = "loading"
            self.retranslate()
            return
        self.placeholder.hide()
        self.panel = panel_class(ctx, task, self)
        self.panel.sig_submitted.connect(self.sig_submitted.emit)
        self.panel.sig_loaded.connect(self._restore_if_asked)
        self._layout.addWidget(self.panel)

    def has_unsaved_changes(self) -> bool:
        return bool(self.panel is not None and self.panel.has_unsaved_changes())
