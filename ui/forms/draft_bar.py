"""The inline question "发现未提交的草稿，是否恢复？" shown above the scales of a task.

Inline rather than a modal dialog: the nurse is on the phone, and a modal box
would block the script and the patient's details until answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from nurse_app.desk.drafts import Draft
from ui.i18n import _


class DraftBar(QFrame):
    sig_restore = Signal()
    sig_discard = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("draftBar")
        self.setStyleSheet(
            "#draftBar { background: #fff8e1; border: 1px solid #f0c36d; border-radius: 4px; }"
        )
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.restore_button = QPushButton(self)
        self.discard_button = QPushButton(self)
        self.restore_button.clicked.connect(self.sig_restore)
        self.discard_button.clicked.connect(self.sig_discard)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self._drafts: tuple[Draft, ...] = ()
        self._titles: dict[str, str] = {}
        self._zone = ZoneInfo("Asia/Shanghai")
        self.hide()

    def offer(self, drafts: Sequence[Draft], titles: dict[str, str], zone: str) -> None:
        """Ask about ``drafts`` (``titles``: scale code → title in the current language)."""
        self._drafts, self._titles, self._zone = tuple(drafts), titles, ZoneInfo(zone)
        self.retranslate()
        self.setVisible(bool(drafts))

    def retranslate(self) -> None:
        self.restore_button.setText(_("Restore"))
        self.discard_button.setText(_("Discard"))
        if not self._drafts:
            return
        newest = max(d.saved_at for d in self._drafts).astimezone(self._zone)
        names = "、".join(self._titles.get(d.questionnaire_code, d.questionnaire_code) for d in self._drafts)
        detail = _("{scales}, saved at {time}").format(scales=names, time=newest.strftime("%m-%d %H:%M"))
        self.message.setText(_("Unsubmitted drafts were found. Restore them?") + "\n" + detail)
