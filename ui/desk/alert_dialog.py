""" "确认处理": acknowledge a critical-value alert, saying what the nurse did about it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from nurse_app.desk.alerts import ACK_ACTIONS, NOTE_MAX, NoteRequired, acknowledge_alert
from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import Alert
from ui.desk.busy import BusyTracker
from ui.i18n import N_, _

ACTION_LABELS = {
    "advised_ed_visit": N_("Advised an emergency department visit"),
    "contacted_doctor": N_("Contacted the doctor"),
    "scheduled_clinic": N_("Scheduled a clinic visit"),
    "other": N_("Other (describe in the note)"),
}


class AlertDialog(QDialog):
    """Action radio buttons and a note; "OK" acknowledges off the GUI thread and closes on success."""

    def __init__(
        self, ctx: DeskContext, busy: BusyTracker, alert: Alert, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = busy
        self.alert = alert
        self.acknowledged: Alert | None = None
        self.setWindowTitle(_("Acknowledge critical alert"))
        self.message = QLabel(alert.message)
        self.message.setWordWrap(True)
        self.message.setObjectName("alertMessage")
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(_("What was done:")))
        for action in ACK_ACTIONS:
            radio = QRadioButton(_(ACTION_LABELS[action]))
            self.group.addButton(radio)
            self.radios[action] = radio
            layout.addWidget(radio)
        self.radios[ACK_ACTIONS[0]].setChecked(True)
        self.note = QLineEdit()
        self.note.setMaxLength(NOTE_MAX)
        self.note.setPlaceholderText(_("Note (required for “Other”)"))
        self.note.setAccessibleName(_("Note on the alert"))
        layout.addWidget(self.note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Acknowledge"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def action(self) -> str:
        return next(action for action, radio in self.radios.items() if radio.isChecked())

    def submit(self) -> None:
        action, note = self.action(), self.note.text().strip()
        if action == "other" and not note:
            self._show_error(_("Please describe in the note what was done."))
            self.note.setFocus()
            return
        self.buttons.setEnabled(False)
        ctx, alert_id = self.ctx, self.alert.id
        self.busy.run(
            lambda: acknowledge_alert(ctx, alert_id, action, note), self._done, self._failed, owner=self
        )

    def _done(self, acknowledged: Alert) -> None:
        self.acknowledged = acknowledged
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        if isinstance(error, NoteRequired):
            self._show_error(_("Please describe in the note what was done."))
        else:
            self._show_error(_("Could not acknowledge the alert: {error}").format(error=error))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
