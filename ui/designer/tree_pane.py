"""The left column of the designer: the item palette above the item tree, with Delete and Duplicate."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.forms import ItemType
from ui.designer.document import DesignDocument
from ui.designer.item_model import ItemTreeModel
from ui.designer.palette import ItemPalette
from ui.designer.tree_ops import (
    CONTAINER_TYPES,
    Path,
    fresh_copy,
    insert_at,
    item_at,
    link_ids,
    remove_at,
    with_items,
)
from ui.i18n import _


class TreePane(QWidget):
    """Palette + tree. ``sig_selected(path, by_user)`` whenever the current item changes."""

    sig_selected = Signal(object, bool)

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._restoring = False
        self._last_path: Path | None = None
        self.palette_label = QLabel(self)
        self.palette = ItemPalette(self)
        self.tree_label = QLabel(self)
        self.model = ItemTreeModel(document)
        self.tree = QTreeView(self)
        self.tree.setObjectName("designerTree")
        self.tree.setModel(self.model)
        self.tree.setDragEnabled(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.delete_button = QPushButton(self)
        self.duplicate_button = QPushButton(self)
        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.duplicate_action = QAction(self)
        self.duplicate_action.setShortcut(QKeySequence("Ctrl+D"))
        self.duplicate_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.tree.addAction(self.delete_action)
        self.tree.addAction(self.duplicate_action)
        self.delete_action.triggered.connect(self.delete_selected)
        self.duplicate_action.triggered.connect(self.duplicate_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.palette.sig_add_requested.connect(self.add_after_selection)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.duplicate_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.palette_label)
        layout.addWidget(self.palette)
        layout.addWidget(self.tree_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        # A model reset clears the selection; ``_after_change`` restores it, so ignore the clearing.
        self.model.modelAboutToBeReset.connect(lambda: setattr(self, "_restoring", True))
        document.sig_reset.connect(lambda: setattr(self, "_last_path", None))
        document.sig_changed.connect(self._after_change)
        self.retranslate()
        self._after_change(None)

    def retranslate(self) -> None:
        self.palette_label.setText(_("Item types — drag onto the tree"))
        self.tree_label.setText(_("Items — drag to reorder or into a group"))
        self.delete_button.setText(_("Delete"))
        self.duplicate_button.setText(_("Duplicate"))
        self.delete_action.setText(_("Delete item"))
        self.duplicate_action.setText(_("Duplicate item"))
        self.palette.retranslate()
        self.model.retranslate()

    # -- selection ----------------------------------------------------------------------------
    def selected_path(self) -> Path | None:
        return self.model.path_for_index(self.tree.currentIndex())

    def select_path(self, path: Path | None, by_user: bool = False) -> None:
        index = self.model.index_for_path(path)
        self._restoring = not by_user
        try:
            if index.isValid():
                self.tree.scrollTo(index)
                self.tree.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
                )
            else:
                self.tree.selectionModel().clearSelection()
                self.tree.selectionModel().setCurrentIndex(
                    QModelIndex(), QItemSelectionModel.SelectionFlag.Clear
                )
        finally:
            self._restoring = False
        self._last_path = self.model.path_for_index(index)
        self.sig_selected.emit(self._last_path, by_user)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._restoring:
            self._last_path = self.model.path_for_index(current)
            self.sig_selected.emit(self._last_path, True)

    def _after_change(self, select: object) -> None:
        previous = self._last_path
        self.tree.expandAll()
        editable = not self._document.read_only
        self.palette.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.duplicate_button.setEnabled(editable)
        self.delete_action.setEnabled(editable)
        self.duplicate_action.setEnabled(editable)
        path = select if select is not None else previous
        if path is not None and not self.model.index_for_path(path).isValid():
            path = None
        self.select_path(path)

    # -- edits --------------------------------------------------------------------------------
    def add_after_selection(self, item_type: ItemType) -> None:
        """Add an item as a double-click on the palette does: into a selected group, else after the item."""
        path = self.selected_path()
        defn = self._document.definition
        if path is None:
            self.model.insert_new(item_type, (), len(defn.items))
        elif item_at(defn.items, path).type in CONTAINER_TYPES:
            self.model.insert_new(item_type, path, len(item_at(defn.items, path).items))
        else:
            self.model.insert_new(item_type, path[:-1], path[-1] + 1)

    def delete_selected(self) -> None:
        path = self.selected_path()
        if path is None or self._document.read_only:
            return
        defn = self._document.definition
        items = remove_at(defn.items, path)
        siblings = items if len(path) == 1 else item_at(items, path[:-1]).items
        if siblings:
            after: Path | None = (*path[:-1], min(path[-1], len(siblings) - 1))
        else:
            after = path[:-1] or None
        self._document.apply(
            with_items(defn, items), _("Delete item"), select_after=after, select_before=path
        )

    def duplicate_selected(self) -> None:
        path = self.selected_path()
        if path is None or self._document.read_only:
            return
        defn = self._document.definition
        copy = fresh_copy(item_at(defn.items, path), link_ids(defn))
        items, new_path = insert_at(defn.items, path[:-1], path[-1] + 1, copy)
        self._document.apply(
            with_items(defn, items), _("Duplicate item"), select_after=new_path, select_before=path
        )
