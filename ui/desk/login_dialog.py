"""The login screen: remembers the last username on this PC (never the password)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.model import User
from ui.desk import settings as s
from ui.desk.busy import while_alive
from ui.desk.login import LoginBackend, LoginFailed
from ui.desk.settings import DeskSettings
from ui.i18n import _, language_notifier
from ui.operations import Operation


class LoginDialog(QDialog):
    def __init__(
        self,
        backend: LoginBackend,
        settings: DeskSettings,
        username: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.settings = settings
        self.user: User | None = None
        self._valid_until: datetime | None = None
        self._hint_for = ""

        self.title = QLabel()
        self.title.setObjectName("patientName")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QLineEdit(username or settings.get(s.LAST_USER))
        self.username.editingFinished.connect(self.refresh_hint)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.offline_hint = QLabel()
        self.offline_hint.setObjectName("offlineHint")
        self.error = QLabel()
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        self.username_caption = QLabel()
        self.username_caption.setBuddy(self.username)
        self.password_caption = QLabel()
        self.password_caption.setBuddy(self.password)

        form = QFormLayout()
        form.addRow(self.username_caption, self.username)
        form.addRow(self.password_caption, self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.offline_hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()
        (self.password if self.username.text() else self.username).setFocus()
        self.refresh_hint()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Follow-up Nurse Station — Log in"))
        self.title.setText(_("Follow-up Nurse Station"))
        self.username_caption.setText(_("&Username"))
        self.password_caption.setText(_("&Password"))
        self.username.setAccessibleName(_("Username"))
        self.password.setAccessibleName(_("Password"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Log in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self._show_hint()

    def _show_hint(self) -> None:
        if self._valid_until is None:
            self.offline_hint.setText("")
            return
        when = self._valid_until.astimezone().strftime("%Y-%m-%d %H:%M")
        self.offline_hint.setText(_("Offline login valid until {time}").format(time=when))

    def refresh_hint(self) -> None:
        username = self.username.text().strip()
        if not username or username == self._hint_for:
            return
        self._hint_for = username
        backend = self.backend

        def shown(valid_until: datetime | None) -> None:
            if self.username.text().strip() == username:
                self._valid_until = valid_until
                self._show_hint()

        Operation(lambda: backend.valid_until(username)).success(while_alive(self, shown)).failure(
            lambda _e: None
        ).run_in("db")

    def try_login(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        self.buttons.setEnabled(False)
        self.error.setText(_("Checking…"))
        backend = self.backend
        Operation(lambda: backend.login(username, password)).success(
            while_alive(self, self._logged_in)
        ).failure(while_alive(self, self._refused)).run_in("db")

    def _logged_in(self, user: User) -> None:
        self.user = user
        self.settings.set(s.LAST_USER, user.username)
        self.settings.sync()
        self.password.clear()
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(
            str(error) if isinstance(error, LoginFailed) else _("Login failed: {error}").format(error=error)
        )
        self.password.clear()
        self.password.setFocus()
        self.refresh_hint()
