"""The call: the script for this step, read-aloud, dial with a timer, outcome buttons and a note.

Keyboard first: the workspace binds F1–F8 to :meth:`CallPanel.record` and
Ctrl+D to :meth:`CallPanel.dial`; every button carries its key in its text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from nurse_app.desk.calls import CallRecorded, record_call, start_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import PatientFolder, reveal_identifier
from nurse_app.desk.script_render import ScriptFields, render_step_script
from nurse_app.domain.model import CallOutcome, TaskStatus
from ui.desk.busy import BusyTracker
from ui.desk.labels import OUTCOME_KEYS, outcome_label
from ui.desk.read_aloud import ReadAloud
from ui.desk.timeline import format_moment
from ui.i18n import _, current_language, language_notifier

OUTCOME_ORDER = tuple(OUTCOME_KEYS)
DEFAULT_CALL_BACK = timedelta(hours=2)


def script_fields(folder: PatientFolder) -> ScriptFields:
    diagnosis = folder.encounter.primary_diagnosis
    discharged = folder.encounter.discharged_at
    return ScriptFields(
        name=folder.patient.name,
        sex=folder.patient.sex,
        diagnosis=diagnosis.description if diagnosis else "",
        discharge_date=discharged.date() if discharged else None,
        plan=folder.plan.name if folder.plan else folder.task.plan_code,
        step=folder.step.name if folder.step else str(folder.task.step_no),
    )


class CallPanel(QWidget):
    sig_call_recorded = Signal(object)  # CallRecorded

    def __init__(
        self, ctx: DeskContext, busy: BusyTracker, read_aloud: ReadAloud, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = busy
        self.read_aloud = read_aloud
        self.folder: PatientFolder | None = None
        self.call_started_at: datetime | None = None
        self._elapsed = QElapsedTimer()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)

        self.script = QTextBrowser()
        self.script.setOpenLinks(False)
        self.read_button = QPushButton()
        self.read_button.setVisible(False)  # until an engine is known to work
        self.read_button.clicked.connect(self.read_script)
        read_aloud.sig_available.connect(self.read_button.setVisible)
        self.dial_button = QPushButton()
        self.dial_button.clicked.connect(self.dial)
        self.timer_label = QLabel()
        self.tel_link = QLabel()
        self.tel_link.setOpenExternalLinks(True)
        self.tel_link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        self.outcome_buttons: dict[CallOutcome, QPushButton] = {}
        outcomes = QGridLayout()
        outcomes.setSpacing(4)
        for number, outcome in enumerate(OUTCOME_ORDER):
            button = QPushButton()
            button.setObjectName("outcome")
            button.clicked.connect(lambda _checked=False, o=outcome: self.record(o))
            self.outcome_buttons[outcome] = button
            outcomes.addWidget(button, number // 4, number % 4)
        self.call_back_at = QDateTimeEdit()
        self.call_back_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.call_back_at.setCalendarPopup(True)
        self.call_back_caption = QLabel()
        self.call_back_caption.setBuddy(self.call_back_at)
        self.note = QLineEdit()
        self.note.setMaxLength(500)
        self.result = QLabel()
        self.result.setObjectName("callResult")
        self.result.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.dial_button)
        top.addWidget(self.timer_label)
        top.addWidget(self.tel_link)
        top.addStretch(1)
        top.addWidget(self.read_button)
        extra = QHBoxLayout()
        extra.addWidget(self.call_back_caption)
        extra.addWidget(self.call_back_at)
        extra.addWidget(self.note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.script, 1)
        layout.addLayout(outcomes)
        layout.addLayout(extra)
        layout.addWidget(self.result)
        self.setTabOrder(self.dial_button, self.read_button)
        self.setTabOrder(self.read_button, self.script)
        previous: QWidget = self.script
        for button in self.outcome_buttons.values():
            self.setTabOrder(previous, button)
            previous = button
        self.setTabOrder(previous, self.call_back_at)
        self.setTabOrder(self.call_back_at, self.note)
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()
        self.show_folder(None)

    # ------------------------------------------------------------------ texts

    def retranslate(self) -> None:
        self.read_button.setText(_("Read aloud"))
        self.read_button.setAccessibleName(_("Read the call script aloud"))
        self.dial_button.setText(_("Dial (Ctrl+D)"))
        self.dial_button.setAccessibleName(_("Dial: copy the number and start the call timer"))
        self.script.setAccessibleName(_("Call script"))
        for outcome, button in self.outcome_buttons.items():
            button.setText(f"{outcome_label(outcome)} ({OUTCOME_KEYS[outcome]})")
            button.setAccessibleName(_("Record outcome: {outcome}").format(outcome=outcome_label(outcome)))
        self.call_back_caption.setText(_("Call back at"))
        self.call_back_at.setAccessibleName(_("Call back at"))
        self.note.setPlaceholderText(_("Note on this call (optional)"))
        self.note.setAccessibleName(_("Call note"))
        self._render_script()
        self._tick()

    def _render_script(self) -> None:
        if self.folder is None:
            self.script.setPlainText(_("Open a patient to see the call script."))
            return
        step_no = self.folder.task.step_no
        self.script.setPlainText(render_step_script(step_no, script_fields(self.folder), current_language()))

    # ------------------------------------------------------------------ patient

    def show_folder(self, folder: PatientFolder | None) -> None:
        changed_patient = folder is None or self.folder is None or folder.task.id != self.folder.task.id
        self.folder = folder
        if changed_patient:
            self._stop_timer()
            self.call_started_at = None
            self.note.clear()
            self.result.clear()
            self.tel_link.clear()
            zone = ZoneInfo(self.ctx.zone)
            call_back = (self.ctx.now() + DEFAULT_CALL_BACK).astimezone(zone)
            self.call_back_at.setDateTime(QDateTime(call_back.replace(tzinfo=None)))
        self._render_script()
        callable_now = folder is not None and TaskStatus(folder.task.status).is_open
        for button in (*self.outcome_buttons.values(), self.dial_button):
            button.setEnabled(callable_now)

    # ------------------------------------------------------------------ actions

    def read_script(self) -> None:
        self.read_aloud.speak(self.script.toPlainText(), current_language())

    def dial(self) -> None:
        """Copy the full number (an audited reveal), mark the task in progress and start the timer."""
        if self.folder is None or not self.dial_button.isEnabled():
            return
        ctx, task, patient_id = self.ctx, self.folder.task, self.folder.patient.id

        def work() -> str:
            phone = reveal_identifier(ctx, patient_id, "phone")
            if task.status is TaskStatus.PENDING:
                start_call(ctx, task.id)
            return phone

        def dialled(phone: str) -> None:
            QGuiApplication.clipboard().setText(phone)
            self.tel_link.setText(f'<a href="tel:{phone}">tel:{phone}</a>')
            self.call_started_at = ctx.now()
            self._elapsed.start()
            self._ticker.start()
            self._tick()

        self.busy.run(work, dialled, owner=self)

    def record(self, outcome: CallOutcome | str) -> None:
        outcome = CallOutcome(outcome)
        if self.folder is None or not self.outcome_buttons[outcome].isEnabled():
            return
        ctx, task_id = self.ctx, self.folder.task.id
        ended = ctx.now()
        started = self.call_started_at or ended
        note = self.note.text().strip()
        call_back_at = None
        if outcome is CallOutcome.CALL_BACK:
            local = self.call_back_at.dateTime().toPython()
            call_back_at = local.replace(tzinfo=ZoneInfo(ctx.zone)).astimezone(UTC)
        for button in self.outcome_buttons.values():
            button.setEnabled(False)  # one outcome per call; re-enabled by the refreshed folder

        def work() -> CallRecorded:
            return record_call(
                ctx,
                task_id,
                outcome,
                started_at=started,
                ended_at=ended,
                note=note,
                call_back_at=call_back_at,
            )

        def failed(error: Exception) -> None:
            self.result.setText(_("Could not record the call: {error}").format(error=error))
            self.show_folder(self.folder)

        self.busy.run(work, self._recorded, failed, owner=self)

    def _recorded(self, recorded: CallRecorded) -> None:
        self._stop_timer()
        self.call_started_at = None
        self.note.clear()
        self.result.setText(self.result_text(recorded))
        self.sig_call_recorded.emit(recorded)

    def result_text(self, recorded: CallRecorded) -> str:
        outcome = CallOutcome(recorded.attempt.outcome)
        if outcome.is_retryable:
            if recorded.next_attempt_at is None:
                return _(
                    "{outcome}: no further attempt is planned (attempts used up or window closing)"
                ).format(outcome=outcome_label(outcome))
            return _("{outcome}. Next call: {time}").format(
                outcome=outcome_label(outcome), time=format_moment(recorded.next_attempt_at, self.ctx.zone)
            )
        if outcome is CallOutcome.REACHED:
            return _("Reached: fill in the scale now.")
        return _("{outcome} recorded; this follow-up is finished.").format(outcome=outcome_label(outcome))

    # ------------------------------------------------------------------ timer

    def _stop_timer(self) -> None:
        self._ticker.stop()
        self._elapsed.invalidate()

    def _tick(self) -> None:
        if not self._elapsed.isValid():
            self.timer_label.setText("")
            return
        seconds = self._elapsed.elapsed() // 1000
        self.timer_label.setText(
            _("On call {minutes:02d}:{seconds:02d}").format(minutes=seconds // 60, seconds=seconds % 60)
        )
