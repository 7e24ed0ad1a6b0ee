"""The Scale tab: the scale's identity (code, version, status, read-only here) and its titles."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from nurse_app.domain.forms import LocalText
from nurse_app.domain.forms.versioning import set_title
from ui.designer.document import DesignDocument
from ui.designer.item_fields import show_text
from ui.designer.labels import status_name
from ui.i18n import N_, _


class ScalePanel(QWidget):
    """Code and version change only through Copy and New version, so they are shown, not edited."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.code = QLabel(self)
        self.version = QLabel(self)
        self.status = QLabel(self)
        self.title_zh = QLineEdit(self)
        self.title_en = QLineEdit(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666666;")
        form = QFormLayout()
        self._labels: list[tuple[QLabel, str]] = []
        for widget, msgid in (
            (self.code, N_("Code")),
            (self.version, N_("Version")),
            (self.status, N_("Status")),
            (self.title_zh, N_("Title (Chinese)")),
            (self.title_en, N_("Title (English)")),
        ):
            label = QLabel(self)
            self._labels.append((label, msgid))
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.title_zh.editingFinished.connect(self._commit)
        self.title_en.editingFinished.connect(self._commit)
        document.sig_changed.connect(lambda _select: self.reload())
        self.retranslate()

    def retranslate(self) -> None:
        for label, msgid in self._labels:
            label.setText(_(msgid))
        self.note.setText(
            _(
                "The code and version identify the scale in every follow-up record. Use Copy to make "
                "a scale with another code, and New version to change a published one."
            )
        )
        self.reload()

    def reload(self) -> None:
        defn = self._document.definition
        self.code.setText(defn.code)
        self.version.setText(str(defn.version))
        self.status.setText(status_name(defn.status))
        for edit_box, text in ((self.title_zh, defn.title.zh), (self.title_en, defn.title.en)):
            show_text(edit_box, text)
            edit_box.setReadOnly(self._document.read_only)

    def _commit(self) -> None:
        if self._document.read_only:
            return
        title = LocalText(self.title_zh.text(), self.title_en.text())
        self._document.apply(set_title(self._document.definition, title), _("Edit title"))
