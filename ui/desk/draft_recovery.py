"""At start: "发现 N 份未提交的量表草稿" with the list; opening one goes back to that patient's scale.

Not modal: the worklist stays usable, and the nurse may leave the list open
while she goes through the drafts one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import drafts_of_user
from ui.desk.timeline import format_moment
from ui.i18n import _


@dataclass(frozen=True, slots=True)
class DraftEntry:
    """One draft as the list shows it."""

    task_id: str
    questionnaire_code: str
    patient_name: str
    saved_at: datetime


def load_draft_entries(ctx: DeskContext) -> list[DraftEntry]:
    """The user's drafts with their patient's name, newest first (tasks gone from the cache left out).

    Runs on the "db" worker. Only repository look-ups, no SQL of its own.
    """
    drafts = drafts_of_user(ctx)
    if not drafts:
        return []
    entries: list[DraftEntry] = []
    with ctx.unit_of_work() as (repo, _session):
        for draft in drafts:
            task = repo.get_task(draft.task_id)
            if task is None or not ctx.user.may_see_ward(task.ward_code):
                continue
            patient = repo.get_patient(task.patient_id)
            name = patient.name if patient is not None else "?"
            entries.append(DraftEntry(draft.task_id, draft.questionnaire_code, name, draft.saved_at))
    return entries


class DraftRecoveryDialog(QDialog):
    sig_open_task = Signal(str)  # task id whose drafts the nurse wants back

    def __init__(self, entries: list[DraftEntry], zone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries = entries
        self.setWindowTitle(_("Unsubmitted scale drafts"))
        self.message = QLabel(_("Found {count} unsubmitted scale draft(s)").format(count=len(entries)))
        self.message.setWordWrap(True)
        self.hint = QLabel(_("Open one to go back to that patient; the answers are restored into the scale."))
        self.hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName(_("Unsubmitted scale drafts"))
        for entry in entries:
            text = _("{patient} · scale {code} · saved {time}").format(
                patient=entry.patient_name,
                code=entry.questionnaire_code,
                time=format_moment(entry.saved_at, zone),
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, entry.task_id)
            self.list.addItem(item)
        if entries:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.open_selected())
        buttons = QDialogButtonBox()
        self.open_button = QPushButton(_("Open"))
        self.open_button.setDefault(True)
        self.later_button = QPushButton(_("Later"))
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.clicked.connect(self.open_selected)
        self.later_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(480, 320)

    def open_selected(self) -> None:
        """Ask the window to open the selected draft's task; the entry leaves the list."""
        item = self.list.currentItem()
        if item is None:
            return
        task_id = item.data(Qt.ItemDataRole.UserRole)
        # One task may have drafts of several scales: they all come back together.
        for row in reversed(range(self.list.count())):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == task_id:
                self.list.takeItem(row)
        if self.list.count() == 0:
            self.accept()
        self.sig_open_task.emit(task_id)
