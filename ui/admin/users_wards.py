"""Users and wards (admin): list, add, disable, reset password, ward membership."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.model import Role
from server_sync.client import admin
from ui.admin.common import (
    AuthProvider,
    Texts,
    call_service,
    fill_table,
    message_label,
    selected_key,
    show_message,
)
from ui.i18n import N_, _

MIN_PASSWORD = 8


def role_label(role: str) -> str:
    return {
        Role.NURSE.value: _("Nurse"),
        Role.WARD_MANAGER.value: _("Ward manager"),
        Role.ADMIN.value: _("Administrator"),
    }.get(role, role)


def _table() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    return table


class UsersPage(QWidget):
    """Accounts: who they are, their role and wards, whether they can log in."""

    sig_changed = Signal()

    def __init__(self, auth: AuthProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auth = auth
        self.users: list[dict[str, Any]] = []
        texts = Texts(self)
        self.table = _table()
        texts.headers(self.table, [N_("Username"), N_("Name"), N_("Role"), N_("Wards"), N_("Status")])
        self.refresh_button = QPushButton()
        self.disable_button = QPushButton()
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.reset_button = QPushButton()
        texts.add(self.refresh_button.setText, N_("Refresh"))
        texts.add(self.disable_button.setText, N_("Disable account"))
        texts.add(self.reset_button.setText, N_("Reset password"))
        texts.add(self.new_password.setPlaceholderText, N_("new password (at least 8 characters)"))

        self.username = QLineEdit()
        self.display_name = QLineEdit()
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value, role.value)
        self.wards = QListWidget()
        self.wards.setMaximumHeight(150)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_button = QPushButton()
        texts.add(self.add_button.setText, N_("Add user"))
        form_box = QGroupBox()
        texts.add(form_box.setTitle, N_("New user"))
        form = QFormLayout(form_box)
        for msgid, field in (
            (N_("Username"), self.username),
            (N_("Name"), self.display_name),
            (N_("Role"), self.role),
            (N_("Wards"), self.wards),
            (N_("Initial password"), self.password),
        ):
            label = QLabel()
            texts.add(label.setText, msgid)
            form.addRow(label, field)
        form.addRow(self.add_button)
        self.message = message_label()

        actions = QHBoxLayout()
        actions.addWidget(self.disable_button)
        actions.addWidget(self.new_password, 1)
        actions.addWidget(self.reset_button)
        actions.addWidget(self.refresh_button)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(actions)
        left.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(left, 3)
        layout.addWidget(form_box, 2)

        self.refresh_button.clicked.connect(self.refresh)
        self.add_button.clicked.connect(self.add_user)
        self.disable_button.clicked.connect(self.disable_selected)
        self.reset_button.clicked.connect(self.reset_selected)
        texts.add(lambda _text: self._retranslate_roles(), N_("Role"))

    def _retranslate_roles(self) -> None:
        for index in range(self.role.count()):
            self.role.setItemText(index, role_label(self.role.itemData(index)))
        if self.users:
            self._show_users(self.users)

    def refresh(self) -> None:
        call_service(
            self, self.auth, lambda a: (admin.list_users(a), admin.list_wards(a)), self._loaded, self._failed
        )

    def _loaded(self, lists: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        users, wards = lists
        checked = set(self.checked_wards())
        self.wards.clear()
        for ward in wards:
            item = QListWidgetItem(f"{ward['code']} · {ward.get('name', '')}")
            item.setData(Qt.ItemDataRole.UserRole, ward["code"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ward["code"] in checked else Qt.CheckState.Unchecked)
            self.wards.addItem(item)
        self._show_users(users)

    def _show_users(self, users: list[dict[str, Any]]) -> None:
        self.users = users
        fill_table(
            self.table,
            [
                [
                    u["username"],
                    u.get("display_name", ""),
                    role_label(u.get("role", "")),
                    ", ".join(u.get("wards", [])),
                    _("active") if u.get("active", True) else _("disabled"),
                ]
                for u in users
            ],
            [u["username"] for u in users],
        )

    def user(self, username: str) -> dict[str, Any] | None:
        return next((u for u in self.users if u["username"] == username), None)

    def select_user(self, username: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == username:
                self.table.selectRow(row)
                return

    def check_ward(self, code: str, checked: bool = True) -> None:
        for index in range(self.wards.count()):
            item = self.wards.item(index)
            if item.data(Qt.ItemDataRole.UserRole) == code:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def checked_wards(self) -> list[str]:
        return [
            self.wards.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.wards.count())
            if self.wards.item(i).checkState() == Qt.CheckState.Checked
        ]

    def add_user(self) -> None:
        username, name = self.username.text().strip(), self.display_name.text().strip()
        password, role, wards = self.password.text(), self.role.currentData(), self.checked_wards()
        if not username or not name:
            show_message(self.message, _("Enter a username and a name."), error=True)
            return
        if len(password) < MIN_PASSWORD:
            show_message(self.message, _("The password needs at least 8 characters."), error=True)
            return
        if role != Role.ADMIN.value and not wards:
            show_message(self.message, _("Tick at least one ward for a nurse or ward manager."), error=True)
            return

        def added(_answer: Any) -> None:
            self.username.clear()
            self.display_name.clear()
            self.password.clear()
            show_message(self.message, _("User {username} added.").format(username=username))
            self.sig_changed.emit()
            self.refresh()

        call_service(
            self,
            self.auth,
            lambda a: admin.add_user(
                a, username=username, display_name=name, role=role, wards=wards, password=password
            ),
            added,
            self._failed,
        )

    def disable_selected(self) -> None:
        username = selected_key(self.table)
        if username is None:
            show_message(self.message, _("Select a user first."), error=True)
            return

        def disabled(_answer: Any) -> None:
            show_message(
                self.message, _("{username} is disabled and signed out everywhere.").format(username=username)
            )
            self.sig_changed.emit()
            self.refresh()

        call_service(self, self.auth, lambda a: admin.disable_user(a, username), disabled, self._failed)

    def reset_selected(self) -> None:
        username, password = selected_key(self.table), self.new_password.text()
        if username is None:
            show_message(self.message, _("Select a user first."), error=True)
            return
        if len(password) < MIN_PASSWORD:
            show_message(self.message, _("The password needs at least 8 characters."), error=True)
            return

        def reset(_answer: Any) -> None:
            self.new_password.clear()
            show_message(
                self.message,
                _("New password set for {username}; their sessions have ended.").format(username=username),
            )

        call_service(
            self, self.auth, lambda a: admin.reset_password(a, username, password), reset, self._failed
        )

    def _failed(self, reason: str) -> None:
        show_message(self.message, reason, error=True)


class WardsPage(QWidget):
    """Wards: code, name, department, time zone; add a ward."""

    sig_changed = Signal()

    def __init__(self, auth: AuthProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auth = auth
        self.wards: list[dict[str, Any]] = []
        texts = Texts(self)
        self.table = _table()
        texts.headers(self.table, [N_("Code"), N_("Ward name"), N_("Department"), N_("Time zone")])
        self.refresh_button = QPushButton()
        texts.add(self.refresh_button.setText, N_("Refresh"))
        self.code, self.name, self.department = QLineEdit(), QLineEdit(), QLineEdit()
        self.zone = QLineEdit("Asia/Shanghai")
        self.add_button = QPushButton()
        texts.add(self.add_button.setText, N_("Add ward"))
        form_box = QGroupBox()
        texts.add(form_box.setTitle, N_("New ward"))
        form = QFormLayout(form_box)
        for msgid, field in (
            (N_("Code"), self.code),
            (N_("Ward name"), self.name),
            (N_("Department"), self.department),
            (N_("Time zone"), self.zone),
        ):
            label = QLabel()
            texts.add(label.setText, msgid)
            form.addRow(label, field)
        form.addRow(self.add_button)
        self.message = message_label()
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.refresh_button)
        left.addLayout(row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(left, 3)
        layout.addWidget(form_box, 2)
        self.refresh_button.clicked.connect(self.refresh)
        self.add_button.clicked.connect(self.add_ward)

    def refresh(self) -> None:
        call_service(self, self.auth, admin.list_wards, self._loaded, self._failed)

    def _loaded(self, wards: list[dict[str, Any]]) -> None:
        self.wards = wards
        fill_table(
            self.table,
            [[w["code"], w.get("name", ""), w.get("department", ""), w.get("zone", "")] for w in wards],
            [w["code"] for w in wards],
        )

    def add_ward(self) -> None:
        code, name = self.code.text().strip(), self.name.text().strip()
        department, zone = self.department.text().strip(), self.zone.text().strip() or "Asia/Shanghai"
        if not code or not name or not department:
            show_message(self.message, _("Enter the ward's code, name and department."), error=True)
            return

        def added(_answer: Any) -> None:
            self.code.clear()
            self.name.clear()
            show_message(self.message, _("Ward {code} saved.").format(code=code))
            self.sig_changed.emit()
            self.refresh()

        call_service(
            self,
            self.auth,
            lambda a: admin.add_ward(a, code=code, name=name, department=department, zone=zone),
            added,
            self._failed,
        )

    def _failed(self, reason: str) -> None:
        show_message(self.message, reason, error=True)
