"""The item palette: every item type of the engine, dragged into the item tree to add one."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from nurse_app.domain.forms import ItemType
from ui.designer.item_model import MIME_NEW_ITEM
from ui.designer.labels import item_type_name
from ui.i18n import _

_TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def palette_mime(item_type: ItemType | str) -> QMimeData:
    """The MIME data a palette drag carries (tests build drops with it too)."""
    data = QMimeData()
    data.setData(MIME_NEW_ITEM, ItemType(item_type).value.encode())
    return data


class ItemPalette(QListWidget):
    """A two-column grid of item types. Drag one onto the tree, or double-click to add it."""

    sig_add_requested = Signal(object)  # ItemType

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("designerPalette")
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setGridSize(QSize(148, 24))
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for item_type in ItemType:
            entry = QListWidgetItem(self)
            entry.setData(_TYPE_ROLE, item_type.value)  # plain str: Qt gives a StrEnum back as str
        self.itemDoubleClicked.connect(
            lambda entry: self.sig_add_requested.emit(ItemType(entry.data(_TYPE_ROLE)))
        )
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.fit_height()
        self.retranslate()

    def retranslate(self) -> None:
        self.setToolTip(_("Drag an item type onto the item tree, or double-click it"))
        for row in range(self.count()):
            entry = self.item(row)
            entry.setText(item_type_name(entry.data(_TYPE_ROLE)))

    def resizeEvent(self, event) -> None:
        # Two columns that share the width: fixed cells would elide the longer English names.
        self.setGridSize(QSize(max(120, self.viewport().width() // 2 - 2), 24))
        super().resizeEvent(event)

    def fit_height(self) -> None:
        """Tall enough for every type in two columns: a scrolling palette hides types."""
        rows = (self.count() + 1) // 2
        self.setFixedHeight(rows * 24 + 2 * self.frameWidth() + 6)

    def mimeTypes(self) -> list[str]:
        return [MIME_NEW_ITEM]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # type: ignore[override]
        if not items:
            return QMimeData()
        return palette_mime(items[0].data(_TYPE_ROLE))

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
