"""Right side of the desk: the patient header above tabs for the call, the scale and the history."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTabWidget, QVBoxLayout, QWidget

from nurse_app.desk.calls import CallRecorded
from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import PatientFolder, open_task
from nurse_app.domain.model import CallOutcome, TaskStatus
from ui import theme
from ui.desk.busy import BusyTracker
from ui.desk.call_panel import CallPanel
from ui.desk.labels import OUTCOME_KEYS
from ui.desk.patient_panel import PatientPanel
from ui.desk.read_aloud import ReadAloud
from ui.desk.scale_host import ScaleHost
from ui.desk.timeline import build_timeline, format_moment
from ui.i18n import _, language_notifier


class PatientWorkspace(QWidget):
    sig_folder_opened = Signal(object)  # PatientFolder
    sig_worklist_changed = Signal()  # a call or a scale changed tasks: refresh the list

    def __init__(
        self, ctx: DeskContext, busy: BusyTracker, read_aloud: ReadAloud, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = busy
        self.folder: PatientFolder | None = None
        self.patient = PatientPanel(ctx, busy)
        self.call = CallPanel(ctx, busy, read_aloud)
        self.scale = ScaleHost()
        self.history = QListWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.call, "")
        self.tabs.addTab(self.scale, "")
        self.tabs.addTab(self.history, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.patient)
        layout.addWidget(self.tabs, 1)
        self.call.sig_call_recorded.connect(self._call_recorded)
        self.scale.sig_submitted.connect(lambda _task_id: self.sig_worklist_changed.emit())
        # Window-wide keys, so they work wherever the focus is (list, script, note).
        for outcome, key in OUTCOME_KEYS.items():
            shortcut = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda o=outcome: self.record(o))
        dial = QShortcut(QKeySequence("Ctrl+D"), self, context=Qt.ShortcutContext.WindowShortcut)
        dial.activated.connect(self.call.dial)
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self) -> None:
        self.tabs.setTabText(0, _("Call"))
        self.tabs.setTabText(1, _("Scale"))
        self.tabs.setTabText(2, _("History"))
        self.history.setAccessibleName(_("Follow-up history"))
        self._fill_history()

    # ------------------------------------------------------------------ opening

    def open(self, task_id: str) -> None:
        """Load the folder off the GUI thread; ``open_task`` writes the audit event."""
        ctx = self.ctx
        self.busy.run(lambda: open_task(ctx, task_id), self.show_folder, owner=self)

    def show_folder(self, folder: PatientFolder) -> None:
        same_task = self.folder is not None and self.folder.task.id == folder.task.id
        self.folder = folder
        self.patient.show_folder(folder, keep_revealed=same_task)
        self.call.show_folder(folder)
        self._fill_history()
        if not same_task:
            self.scale.clear()
            if folder.task.status is TaskStatus.IN_PROGRESS and folder.task.attempts and self._last_reached():
                # Reached earlier but the scale is not in yet: go straight back to it.
                self.scale.show_scale(self.ctx, folder.task)
            self.tabs.setCurrentWidget(self.call)
        self.sig_folder_opened.emit(folder)

    def _last_reached(self) -> bool:
        if self.folder is None:
            return False
        mine = [a for a in self.folder.attempts if a.task_id == self.folder.task.id]
        return bool(mine) and max(mine, key=lambda a: a.started_at).outcome is CallOutcome.REACHED

    def _fill_history(self) -> None:
        self.history.clear()
        if self.folder is None:
            return
        for entry in build_timeline(self.folder, self.ctx.zone):
            item = QListWidgetItem(f"{format_moment(entry.at, self.ctx.zone)}  {entry.text}")
            if entry.kind == "alert":
                item.setForeground(theme.ALERT_RED)
            self.history.addItem(item)
        if self.history.count() == 0:
            self.history.addItem(_("No earlier calls, scales or alerts."))

    # ------------------------------------------------------------------ calls

    def record(self, outcome: CallOutcome) -> None:
        if self.folder is None:
            return
        self.tabs.setCurrentWidget(self.call)
        self.call.record(outcome)

    def _call_recorded(self, recorded: CallRecorded) -> None:
        assert self.folder is not None
        # Update the open folder in place: re-opening it would write a second "read" audit event.
        changed = {task.id: task for task in recorded.changed}
        tasks = tuple(changed.get(t.id, t) for t in self.folder.tasks)
        self.folder = dataclasses.replace(
            self.folder, task=recorded.task, tasks=tasks, attempts=(*self.folder.attempts, recorded.attempt)
        )
        self.patient.show_folder(self.folder, keep_revealed=True)
        self.call.show_folder(self.folder)
        self._fill_history()
        if CallOutcome(recorded.attempt.outcome) is CallOutcome.REACHED:
            self.scale.show_scale(self.ctx, recorded.task)
            self.tabs.setCurrentWidget(self.scale)
        self.sig_worklist_changed.emit()

    def has_unsaved_changes(self) -> bool:
        return self.scale.has_unsaved_changes()
