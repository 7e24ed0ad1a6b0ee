"""The call: the script for this step, read-aloud, dial with a timer, outcome buttons and a note.

Keyboard first: the workspace binds F1–F8 to :meth:`CallPanel.record` and
Ctrl+D to :meth:`CallPanel.dial`; every button carries its key in its text.
"""

from __future__ import annotations

import dataclasses
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
from nurse_app.domain.model import Alert, AlertStatus, CallOutcome, TaskStatus
from ui import theme
from ui.desk.alert_dialog import AlertDialog
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
    sig_alert_acknowledged = Signal(object)  # the acknowledged Alert

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
        self.stop_button = QPushButton()
        self.stop_button.setVisible(False)  # only while speaking
        self.stop_button.clicked.connect(self.stop_reading)
        # Shown instead of the read button when speech does not work here; the reason is its tooltip.
        self.read_unavailable = QLabel("🔇")
        self.read_unavailable.setEnabled(False)
        self.read_unavailable.setVisible(False)
        self._read_reason = ""
        read_aloud.sig_available.connect(self._read_aloud_available)
        # The plain ReadAloud protocol (NoReadAloud) has neither signal; VoiceReadAloud has both.
        if hasattr(read_aloud, "sig_unavailable"):
            read_aloud.sig_unavailable.connect(self._read_aloud_unavailable)
        if hasattr(read_aloud, "sig_speaking"):
            read_aloud.sig_speaking.connect(self._speaking_changed)
        self.alert_box = QVBoxLayout()
        self.alert_box.setContentsMargins(0, 0, 0, 0)
        self.alert_rows: dict[str, QPushButton] = {}  # alert id → its "acknowledge" button
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
        top.addWidget(self.stop_button)
        top.addWidget(self.read_unavailable)
        extra = QHBoxLayout()
        extra.addWidget(self.call_back_caption)
        extra.addWidget(self.call_back_at)
        extra.addWidget(self.note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.alert_box)
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
        self.stop_button.setText(_("Stop"))
        self.stop_button.setAccessibleName(_("Stop reading aloud"))
        self._update_unavailable_tooltip()
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
        self._show_alerts()
        callable_now = folder is not None and TaskStatus(folder.task.status).is_open
        for button in (*self.outcome_buttons.values(), self.dial_button):
            button.setEnabled(callable_now)

    # ------------------------------------------------------------------ actions

    def read_script(self) -> None:
        self.read_aloud.speak(self.script.toPlainText(), current_language())

    def stop_reading(self) -> None:
        self.read_aloud.stop()
        self.stop_button.setVisible(False)

    def _read_aloud_available(self, available: bool) -> None:
        self.read_button.setVisible(available)
        self.read_unavailable.setVisible(not available)
        if available:
            self._read_reason = ""
        else:
            self.stop_button.setVisible(False)
        self._update_unavailable_tooltip()

    def _read_aloud_unavailable(self, reason: str) -> None:
        self._read_reason = reason
        self._update_unavailable_tooltip()

    def _update_unavailable_tooltip(self) -> None:
        if self._read_reason:
            text = _("Read-aloud is not available on this PC: {reason}").format(reason=self._read_reason)
        else:
            text = _("Read-aloud is not available on this PC")
        self.read_unavailable.setToolTip(text)
        self.read_unavailable.setAccessibleName(text)

    def _speaking_changed(self, speaking: bool) -> None:
        self.stop_button.setVisible(speaking)

    # ------------------------------------------------------------------ alerts

    def _show_alerts(self) -> None:
        """One red line per alert of this patient still waiting for a nurse, with "acknowledge"."""
        while self.alert_box.count():
            item = self.alert_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.alert_rows = {}
        if self.folder is None:
            return
        for alert in self.folder.alerts:
            if AlertStatus(alert.status) not in (AlertStatus.OPEN, AlertStatus.ESCALATED):
                continue
            row = QWidget()
            row.setObjectName("alertRow")
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            message = QLabel("● " + _("Critical alert: {message}").format(message=alert.message))
            message.setWordWrap(True)
            message.setStyleSheet(f"color: {theme.ALERT_RED.name()}; font-weight: bold;")
            button = QPushButton(_("Acknowledge…"))
            button.setAccessibleName(_("Acknowledge this critical alert"))
            button.clicked.connect(lambda _checked=False, a=alert: self.acknowledge(a))
            line.addWidget(message, 1)
            line.addWidget(button)
            self.alert_rows[alert.id] = button
            self.alert_box.addWidget(row)

    def acknowledge(self, alert: Alert) -> AlertDialog:
        """Open the acknowledge dialog (window-modal, non-blocking) for ``alert``."""
        dialog = AlertDialog(self.ctx, self.busy, alert, self)
        dialog.accepted.connect(lambda: self._acknowledged(dialog.acknowledged))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _acknowledged(self, alert: Alert | None) -> None:
        if alert is None or self.folder is None:
            return
        alerts = tuple(alert if a.id == alert.id else a for a in self.folder.alerts)
        self.folder = dataclasses.replace(self.folder, alerts=alerts)
        self._show_alerts()
        self.sig_alert_acknowledged.emit(alert)

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
