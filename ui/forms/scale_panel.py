"""``ScalePanel``: the scales of one follow-up task, filled during the call and submitted.

One tab per scale of the task. Everything that touches the cache runs on the
single "db" worker (``ui.operations``), so the GUI never waits on SQLite and
the writes keep their order: an autosave queued before a submit lands before
it, and the submit's job deletes the draft right after storing the response.
Drafts are saved every 3 s while something changed and offered back when the
task is opened again (after a crash, a power cut, or simply another patient).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget
from shiboken6 import isValid

from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import discard_draft, save_draft
from nurse_app.desk.scales import ScaleSet, scales_for_task
from nurse_app.desk.submit import FormInvalid, Submitted, submit_response
from nurse_app.domain.forms import FormDefinition
from nurse_app.domain.model import FollowUpTask
from ui.forms.draft_bar import DraftBar
from ui.forms.form_view import ScaleFormView
from ui.i18n import _, current_language, language_notifier
from ui.operations import Operation

DONE_MARK = "✓ "


@dataclass(eq=False)
class _ScaleTab:
    """One scale of the task and how far it got."""

    code: str
    definition: FormDefinition
    view: ScaleFormView
    edits: int = 0  # user edits so far
    saved_edits: int = 0  # edits already in the stored draft
    saving: bool = False
    submitting: bool = False
    done: bool = False

    @property
    def unsaved(self) -> bool:
        return not self.done and self.edits != self.saved_edits


def submit_and_forget_draft(
    ctx: DeskContext,
    task_id: str,
    definition: FormDefinition,
    answers: Mapping[str, object],
    lang: str,
    overrides: Mapping[str, object],
) -> Submitted:
    """Store the response, then delete its draft (a crash in between leaves a draft that is dropped later)."""
    submitted = submit_response(ctx, task_id, definition, answers, lang=lang, overrides=overrides)
    discard_draft(ctx, task_id, definition.code)
    return submitted


class ScalePanel(QWidget):
    """The scales of ``task`` in tabs, with drafts, autosave and off-thread submission."""

    sig_loaded = Signal()
    sig_scale_submitted = Signal(str, object)  # scale code, nurse_app.desk.submit.Submitted
    sig_submitted = Signal(str)  # task id, once every scale of the task is in
    sig_critical = Signal(str, list)  # scale code, its raised alerts (RaisedAlert) whenever they change

    AUTOSAVE_MS = 3000

    def __init__(self, ctx: DeskContext, task: FollowUpTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task = task
        self.tabs_by_code: dict[str, _ScaleTab] = {}
        self._scale_set: ScaleSet | None = None
        self._awaiting_draft_choice = False
        self._status: tuple[Callable[[], str], bool] | None = None

        self.draft_bar = DraftBar(self)
        self.draft_bar.sig_restore.connect(self._restore_drafts)
        self.draft_bar.sig_discard.connect(self._discard_drafts)
        self.tabs = QTabWidget(self)
        self.tabs.currentChanged.connect(lambda _index: self._update_submit_button())
        self.loading = QLabel(self)
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.submit_button = QPushButton(self)
        self.submit_button.setDefault(True)
        self.submit_button.setEnabled(False)
        self.submit_button.clicked.connect(self.submit_current)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.submit_current)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.draft_bar)
        layout.addWidget(self.loading)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.tabs.hide()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(self.AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.save_drafts_now)
        language_notifier().sig_language_changed.connect(self._app_language_changed)
        self.retranslate()
        task_ctx, task_ = ctx, task
        Operation(lambda: scales_for_task(task_ctx, task_)).success(self._loaded).failure(
            self._load_failed
        ).run_in("db")

    # --- public API ------------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        return self._scale_set is not None

    def view(self, code: str) -> ScaleFormView:
        """The form of scale ``code`` (KeyError before loading or for a scale that failed to load)."""
        return self.tabs_by_code[code].view

    def is_done(self, code: str) -> bool:
        return self.tabs_by_code[code].done

    def all_submitted(self) -> bool:
        return bool(self.tabs_by_code) and all(t.done for t in self.tabs_by_code.values())

    def has_unsaved_changes(self) -> bool:
        """True while an answer typed is in no stored draft yet (autosave pending or in flight)."""
        return any(t.unsaved for t in self.tabs_by_code.values())

    def has_unsubmitted_answers(self) -> bool:
        """True when some scale not yet submitted has answers (saved as a draft or not)."""
        return any(not t.done and t.view.answers() for t in self.tabs_by_code.values())

    def save_drafts_now(self) -> None:
        """Queue a draft save of every changed scale (the timer calls this; so should closing the task)."""
        if self._awaiting_draft_choice:
            return  # saving now would overwrite the draft the nurse has not decided about
        for tab in self.tabs_by_code.values():
            if tab.unsaved and not tab.saving and not tab.submitting:
                self._save_draft(tab)

    def submit_current(self) -> None:
        """Submit the scale of the current tab (Ctrl+Enter)."""
        tab = self._current_tab()
        if tab is None or tab.done or tab.submitting:
            return
        if not tab.view.evaluation().ok:
            tab.view.focus_first_problem()
            self._set_status(lambda: _("Please correct the marked answers."), error=True)
            return
        tab.submitting = True
        self._update_submit_button()
        self._set_status(lambda: _("Submitting…"))
        ctx, task_id, definition = self.ctx, self.task.id, tab.definition
        answers, lang = tab.view.answers(), tab.view.lang
        overrides = self._scale_set.overrides if self._scale_set else {}
        Operation(
            lambda: submit_and_forget_draft(ctx, task_id, definition, answers, lang, overrides)
        ).success(lambda submitted: self._submitted(tab, submitted)).failure(
            lambda error: self._submit_failed(tab, error)
        ).run_in("db")

    def retranslate(self) -> None:
        self.loading.setText(_("Loading scales…"))
        self.submit_button.setText(_("Submit"))
        self.submit_button.setToolTip(_("Submit this scale (Ctrl+Enter)"))
        for tab in self.tabs_by_code.values():
            self._title_tab(tab)
        self.draft_bar.retranslate()
        self._render_status()

    def _app_language_changed(self, _language: str) -> None:
        self.retranslate()

    # --- loading and drafts ----------------------------------------------------------------------

    def _loaded(self, scale_set: ScaleSet) -> None:
        if not isValid(self):
            return
        self._scale_set = scale_set
        self.loading.hide()
        self.tabs.show()
        for code in self.task.questionnaires:
            definition = scale_set.definitions.get(code)
            if definition is None:
                problem = QLabel(
                    _("This scale cannot be shown: {error}").format(error=scale_set.errors[code])
                )
                problem.setWordWrap(True)
                self.tabs.addTab(problem, code)
                continue
            view = ScaleFormView(definition, overrides=scale_set.overrides, show_title=False, parent=self)
            tab = _ScaleTab(code, definition, view, done=code in scale_set.answered)
            view.sig_answers_changed.connect(lambda _answers, tab=tab: self._edited(tab))
            view.sig_critical.connect(lambda alerts, code=code: self.sig_critical.emit(code, alerts))
            view.set_read_only(tab.done)
            from ui.voice.service import attach_dictation  # lazy: voice is optional, loaded on demand

            attach_dictation(view)  # the 🎤 push-to-talk bar, when a speech model is configured
            self.tabs_by_code[code] = tab
            self.tabs.addTab(view, "")
            self._title_tab(tab)
        first_open = next((t for t in self.tabs_by_code.values() if not t.done), None)
        if first_open is not None:
            self.tabs.setCurrentWidget(first_open.view)
        if scale_set.drafts:
            self._awaiting_draft_choice = True
            titles = {c: t.definition.title.get(current_language()) for c, t in self.tabs_by_code.items()}
            self.draft_bar.offer(list(scale_set.drafts.values()), titles, self.ctx.zone)
        self._update_submit_button()
        self.autosave_timer.start()
        self.sig_loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        if isValid(self):
            self.loading.setText(_("Could not load the scales: {error}").format(error=error))

    def _restore_drafts(self) -> None:
        assert self._scale_set is not None
        for code, draft in self._scale_set.drafts.items():
            tab = self.tabs_by_code.get(code)
            if tab is not None and not tab.done:
                tab.view.set_answers(draft.answers)
        self._draft_choice_made()

    def _discard_drafts(self) -> None:
        assert self._scale_set is not None
        ctx, task_id, codes = self.ctx, self.task.id, list(self._scale_set.drafts)
        Operation(lambda: [discard_draft(ctx, task_id, code) for code in codes]).run_in("db")
        self._draft_choice_made()

    def _draft_choice_made(self) -> None:
        self._awaiting_draft_choice = False
        self.draft_bar.hide()
        current = self._current_tab()
        if current is not None:
            current.view.setFocus()

    def _edited(self, tab: _ScaleTab) -> None:
        tab.edits += 1

    def _save_draft(self, tab: _ScaleTab) -> None:
        tab.saving = True
        edits, answers = tab.edits, tab.view.answers()
        ctx, task_id, definition = self.ctx, self.task.id, tab.definition

        def job() -> object:
            # Nothing left to keep: an empty draft would only be offered back for nothing.
            if not answers:
                return discard_draft(ctx, task_id, definition.code)
            return save_draft(ctx, task_id, definition, answers)

        Operation(job).success(lambda _draft: self._draft_saved(tab, edits)).failure(
            lambda error: self._draft_failed(tab, error)
        ).run_in("db")

    def _draft_saved(self, tab: _ScaleTab, edits: int) -> None:
        tab.saving = False
        tab.saved_edits = edits
        if isValid(self):
            moment = self.ctx.now().astimezone(ZoneInfo(self.ctx.zone)).strftime("%H:%M:%S")
            self._set_status(lambda: _("Draft saved at {time}").format(time=moment))

    def _draft_failed(self, tab: _ScaleTab, error: Exception) -> None:
        tab.saving = False  # still unsaved: the next tick tries again
        if isValid(self):
            self._set_status(lambda: _("Could not save the draft: {error}").format(error=error), error=True)

    # --- submitting ------------------------------------------------------------------------------

    def _submitted(self, tab: _ScaleTab, submitted: Submitted) -> None:
        tab.submitting = False
        tab.done = True
        if not isValid(self):
            return
        tab.view.set_read_only(True)
        self._title_tab(tab)
        title = tab.definition.title
        self._set_status(lambda: _("“{title}” submitted.").format(title=title.get(current_language())))
        self.sig_scale_submitted.emit(tab.code, submitted)
        next_open = next((t for t in self.tabs_by_code.values() if not t.done), None)
        if next_open is not None:
            self.tabs.setCurrentWidget(next_open.view)
        elif self.all_submitted():
            self._set_status(lambda: _("All scales of this task are submitted."))
            self.sig_submitted.emit(self.task.id)
        self._update_submit_button()

    def _submit_failed(self, tab: _ScaleTab, error: Exception) -> None:
        tab.submitting = False
        if not isValid(self):
            return
        self._update_submit_button()
        if isinstance(error, FormInvalid):
            self.tabs.setCurrentWidget(tab.view)
            tab.view.focus_first_problem()
            self._set_status(lambda: _("Please correct the marked answers."), error=True)
        else:
            self._set_status(lambda: _("Could not submit: {error}").format(error=error), error=True)

    # --- small helpers ---------------------------------------------------------------------------

    def _current_tab(self) -> _ScaleTab | None:
        widget = self.tabs.currentWidget()
        return next((t for t in self.tabs_by_code.values() if t.view is widget), None)

    def _title_tab(self, tab: _ScaleTab) -> None:
        index = self.tabs.indexOf(tab.view)
        if index >= 0:
            title = tab.definition.title.get(current_language())
            self.tabs.setTabText(index, (DONE_MARK if tab.done else "") + title)

    def _update_submit_button(self) -> None:
        tab = self._current_tab()
        self.submit_button.setEnabled(tab is not None and not tab.done and not tab.submitting)

    def _set_status(self, render: Callable[[], str], *, error: bool = False) -> None:
        self._status = (render, error)
        self._render_status()

    def _render_status(self) -> None:
        if self._status is None:
            self.status.clear()
            return
        render, error = self._status
        self.status.setStyleSheet("color: #c62828;" if error else "color: palette(text);")
        self.status.setText(render())
