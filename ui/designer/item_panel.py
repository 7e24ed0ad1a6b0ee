"""The property panel of the selected item: its fields, options, display conditions and scoring."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from nurse_app.domain.forms.definition import CHOICE_TYPES
from ui.designer.document import DesignDocument
from ui.designer.item_fields import ItemFields
from ui.designer.item_lists import EnableWhenEditor, OptionsEditor, ScoreMembershipEditor
from ui.designer.tree_ops import Path, item_at
from ui.i18n import N_, _


class ItemPanel(QScrollArea):
    """Everything about one item, in sections; shows a hint when nothing is selected."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._path: Path | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget(self)
        self.fields = ItemFields(document, body)
        self.options = OptionsEditor(document, body)
        self.conditions = EnableWhenEditor(document, body)
        self.scoring = ScoreMembershipEditor(document, body)
        self.empty = QLabel(body)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._sections: list[tuple[QGroupBox, str]] = []
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.empty)
        for editor, msgid in (
            (self.fields, N_("Item")),
            (self.options, N_("Answer options")),
            (self.conditions, N_("Display conditions (enableWhen)")),
            (self.scoring, N_("Scoring")),
        ):
            box = QGroupBox(body)
            inner = QVBoxLayout(box)
            inner.setContentsMargins(8, 6, 8, 6)
            inner.addWidget(editor)
            layout.addWidget(box)
            self._sections.append((box, msgid))
        layout.addStretch(1)
        self.setWidget(body)
        document.sig_changed.connect(lambda _select: self.show_item(self._path))
        self.retranslate()
        self.show_item(None)

    def retranslate(self) -> None:
        for box, msgid in self._sections:
            box.setTitle(_(msgid))
        self.empty.setText(_("Select an item in the tree, or drag an item type from the palette onto it."))
        for editor in (self.fields, self.options, self.conditions, self.scoring):
            editor.retranslate()
        self.show_item(self._path)

    @property
    def path(self) -> Path | None:
        return self._path

    def show_item(self, path: Path | None) -> None:
        """Load the item at ``path`` (``None`` or a path no longer in the tree: the hint)."""
        item = None
        if path is not None:
            try:
                item = item_at(self._document.definition.items, path)
            except IndexError:
                path = None
        self._path = path
        self.empty.setVisible(item is None)
        for box, _msgid in self._sections:
            box.setVisible(item is not None)
        if item is None:
            return
        self.fields.show_item(path)
        self.conditions.show_item(path)
        options_box, scoring_box = self._sections[1][0], self._sections[3][0]
        options_box.setVisible(item.type in CHOICE_TYPES)
        if item.type in CHOICE_TYPES:
            self.options.show_item(path)
        scoring_box.setVisible(self.scoring.applies_to(item))
        if self.scoring.applies_to(item):
            self.scoring.show_item(path)
