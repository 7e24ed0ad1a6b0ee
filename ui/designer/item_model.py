"""The item tree of the draft as a Qt model, with the drag-and-drop that builds and reorders it.

The model never edits itself: a drop (from the palette or within the tree)
becomes one undoable :class:`~ui.designer.document.DesignDocument` edit, and
the model is rebuilt from the resulting definition. Two MIME types:

* ``MIME_NEW_ITEM`` — an item type dragged from the palette: insert a new item;
* ``MIME_MOVE_ITEM`` — a tree path dragged within the tree: move it.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QAbstractItemModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from nurse_app.domain.forms import Item, ItemType
from ui.designer.document import DesignDocument
from ui.designer.labels import item_type_name, item_type_short
from ui.designer.tree_ops import CONTAINER_TYPES, Path, insert_at, link_ids, move, new_item, with_items
from ui.i18n import _, current_language

MIME_NEW_ITEM = "application/x-nurse-station-designer-new-item"
MIME_MOVE_ITEM = "application/x-nurse-station-designer-move-item"

Index = QModelIndex | QPersistentModelIndex
_COLUMNS = ("Item", "Type", "linkId")


class _Node:
    __slots__ = ("children", "item", "parent", "path")

    def __init__(self, item: Item | None, path: Path, parent: _Node | None) -> None:
        self.item = item
        self.path = path
        self.parent = parent
        self.children: list[_Node] = []


def _build(items: tuple[Item, ...], parent: _Node) -> None:
    for row, item in enumerate(items):
        node = _Node(item, (*parent.path, row), parent)
        parent.children.append(node)
        _build(item.items, node)


class ItemTreeModel(QAbstractItemModel):
    """Columns: the item's text (current language), its type, its linkId."""

    def __init__(self, document: DesignDocument) -> None:
        super().__init__(document)
        self._document = document
        self._root = _Node(None, (), None)
        self._rebuild()
        document.sig_changed.connect(self._on_changed)

    # -- structure ----------------------------------------------------------------------------
    def _rebuild(self) -> None:
        self._root = _Node(None, (), None)
        _build(self._document.definition.items, self._root)

    def _on_changed(self, _select: object = None) -> None:
        self.beginResetModel()
        self._rebuild()
        self.endResetModel()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(_COLUMNS) - 1)
        if self._root.children:
            last = self.index(len(self._root.children) - 1, len(_COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def _node(self, index: Index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root  # type: ignore[return-value]

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(_COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.path[-1], 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(_COLUMNS)

    def index_for_path(self, path: Path | None) -> QModelIndex:
        """The index (column 0) of ``path``, or an invalid index when the path is not in the tree."""
        if not path:
            return QModelIndex()
        index = QModelIndex()
        for row in path:
            index = self.index(row, 0, index)
            if not index.isValid():
                return QModelIndex()
        return index

    def path_for_index(self, index: Index) -> Path | None:
        return self._node(index).path if index.isValid() else None

    # -- display ------------------------------------------------------------------------------
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(_COLUMNS[section]) if section < 2 else _COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._node(index).item
        assert item is not None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return item.text.get(current_language()) or item.link_id
            if column == 1:
                return item_type_short(item.type)
            return item.link_id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.link_id} · {item_type_name(item.type)}"
        if role == Qt.ItemDataRole.ForegroundRole and column > 0:
            return QBrush(QColor("#666666"))
        if role == Qt.ItemDataRole.FontRole and column == 0 and item.type == ItemType.GROUP:
            font = QFont()
            font.setBold(True)
            return font
        return None

    # -- drag and drop ------------------------------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlag:
        editable = not self._document.read_only
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if editable else Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if editable:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
            if self._node(index).item.type in CONTAINER_TYPES:  # type: ignore[union-attr]
                flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_NEW_ITEM, MIME_MOVE_ITEM]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        rows = [i for i in indexes if i.isValid() and i.column() == 0]
        if rows:
            data.setData(MIME_MOVE_ITEM, json.dumps(list(self._node(rows[0]).path)).encode())
        return data

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        # After a successful internal MoveAction the view asks the model to remove the dragged rows;
        # our drop already moved them (as one undoable edit), so there is nothing left to remove.
        return False

    def _target(self, row: int, parent: Index) -> tuple[Path, int]:
        node = self._node(parent)
        if node.item is not None and node.item.type not in CONTAINER_TYPES:
            # Dropped *on* a question: it cannot hold children, so the drop means "after it".
            return node.path[:-1], node.path[-1] + 1
        return node.path, len(node.children) if row < 0 else row

    def canDropMimeData(self, data: QMimeData, action, row: int, column: int, parent: Index) -> bool:
        if self._document.read_only:
            return False
        if data.hasFormat(MIME_NEW_ITEM):
            return True
        if data.hasFormat(MIME_MOVE_ITEM):
            source = tuple(json.loads(bytes(data.data(MIME_MOVE_ITEM).data())))
            target, _row = self._target(row, parent)
            return target[: len(source)] != source
        return False

    def dropMimeData(self, data: QMimeData, action, row: int, column: int, parent: Index) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        target, at = self._target(row, parent)
        if data.hasFormat(MIME_NEW_ITEM):
            item_type = ItemType(bytes(data.data(MIME_NEW_ITEM).data()).decode())
            return self.insert_new(item_type, target, at)
        source = tuple(json.loads(bytes(data.data(MIME_MOVE_ITEM).data())))
        return self.move_item(source, target, at)

    # -- the edits a drop makes (also used by the palette's double-click and the buttons) --------
    def insert_new(self, item_type: ItemType, parent: Path, row: int) -> bool:
        """Insert a new ``item_type`` item as child ``row`` of ``parent``: one undoable edit."""
        defn = self._document.definition
        item = new_item(item_type, link_ids(defn))
        items, path = insert_at(defn.items, parent, row, item)
        text = _("Add {type}").format(type=item_type_name(item_type))
        return self._document.apply(with_items(defn, items), text, select_after=path)

    def move_item(self, source: Path, parent: Path, row: int) -> bool:
        """Move the item at ``source`` to child ``row`` of ``parent``: one undoable edit."""
        defn = self._document.definition
        moved = move(defn.items, source, parent, row)
        if moved is None:
            return False
        items, path = moved
        return self._document.apply(
            with_items(defn, items), _("Move item"), select_after=path, select_before=source
        )
