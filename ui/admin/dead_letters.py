"""Dead-letter viewer (admin): inputs the service could not apply — list, raw message and reason, replay."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

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


def readable_raw(raw: str) -> str:
    """HL7 segments end with CR: one segment a line on screen."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


class DeadLettersPage(QWidget):
    sig_replayed = Signal(dict)

    def __init__(self, auth: AuthProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auth = auth
        self.letters: list[dict[str, Any]] = []
        self.shown: dict[str, Any] | None = None
        self._note: tuple[str, bool] | None = None  # the replay's outcome, kept over the reload
        texts = Texts(self)
        self.table = QTableWidget()
        texts.headers(
            self.table,
            [N_("Received"), N_("Source"), N_("Content type"), N_("Status"), N_("Attempts"), N_("Reason")],
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.all_box = QCheckBox()
        texts.add(self.all_box.setText, N_("Show replayed too"))
        self.refresh_button, self.replay_button = QPushButton(), QPushButton()
        texts.add(self.refresh_button.setText, N_("Refresh"))
        texts.add(self.replay_button.setText, N_("Replay"))
        self.replay_button.setEnabled(False)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.message = message_label()

        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.all_box)
        top.addWidget(self.refresh_button)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.reason, 1)
        row.addWidget(self.replay_button)
        detail_layout.addLayout(row)
        detail_layout.addWidget(self.raw, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setSizes([300, 340])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.refresh_button.clicked.connect(self.refresh)
        self.all_box.toggled.connect(lambda _on: self.refresh())
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.replay_button.clicked.connect(self.replay)

    def refresh(self) -> None:
        status = None if self.all_box.isChecked() else "open"
        call_service(self, self.auth, lambda a: admin.dead_letters(a, status), self._loaded, self._failed)

    def _loaded(self, letters: list[dict[str, Any]]) -> None:
        self.letters = letters
        fill_table(
            self.table,
            [
                [
                    d["received_at"][:19].replace("T", " "),
                    d.get("source", ""),
                    d.get("content_type", ""),
                    _("open") if d.get("status") == "open" else _("replayed"),
                    str(d.get("attempts", "")),
                    d.get("reason", ""),
                ]
                for d in letters
            ],
            [d["id"] for d in letters],
        )
        self.table.setColumnWidth(5, 400)
        count = _("{count} dead letters.").format(count=len(letters))
        note, error = self._note or ("", False)
        self._note = None
        show_message(self.message, " ".join(filter(None, [note, count])), error=error)

    def select_letter(self, letter_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == letter_id:
                self.table.selectRow(row)
                return

    def show_selected(self) -> None:
        letter_id = selected_key(self.table)
        self.replay_button.setEnabled(False)
        if letter_id is None:
            return
        call_service(self, self.auth, lambda a: admin.dead_letter(a, letter_id), self._shown, self._failed)

    def _shown(self, letter: dict[str, Any]) -> None:
        self.shown = letter
        self.reason.setText(_("Reason: {reason}").format(reason=letter.get("reason", "")))
        self.raw.setPlainText(readable_raw(letter.get("raw", "")))
        self.replay_button.setEnabled(letter.get("status") == "open")

    def replay(self) -> None:
        if self.shown is None:
            return
        letter_id = self.shown["id"]
        self.replay_button.setEnabled(False)
        call_service(
            self, self.auth, lambda a: admin.replay_dead_letter(a, letter_id), self._replayed, self._failed
        )

    def _replayed(self, answer: dict[str, Any]) -> None:
        if answer.get("status") == "replayed":
            self._note = (_("Replayed: the message is applied now."), False)
        else:
            reason = answer.get("reason", "")
            self._note = (_("The replay failed again: {reason}").format(reason=reason), True)
        show_message(self.message, self._note[0], error=self._note[1])
        self.shown = None
        self.sig_replayed.emit(answer)
        self.refresh()

    def _failed(self, reason: str) -> None:
        self.replay_button.setEnabled(self.shown is not None and self.shown.get("status") == "open")
        show_message(self.message, reason, error=True)
