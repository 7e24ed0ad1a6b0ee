"""What a user does in the designer, as functions for GUI tests and scripted demos.

Drops go through the palette's own ``mimeData`` and the tree model's
``canDropMimeData``/``dropMimeData`` — exactly what ``QTreeView.dropEvent``
calls — because a real ``QDrag`` runs a nested, platform-driven event loop that
offscreen test runs cannot steer.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from nurse_app.domain.forms import ItemType
from ui.designer.tree_ops import Path
from ui.designer.window import DesignerWindow


def palette_entry(window: DesignerWindow, item_type: ItemType):
    palette = window.tree_pane.palette
    for row in range(palette.count()):
        entry = palette.item(row)
        if entry.data(Qt.ItemDataRole.UserRole + 1) == item_type:
            return entry
    raise AssertionError(f"no palette entry for {item_type}")


def drop_new(window: DesignerWindow, item_type: ItemType, parent: Path | None = None, row: int = -1) -> None:
    """Drag ``item_type`` from the palette and drop it on the tree, as the view's dropEvent does."""
    palette = window.tree_pane.palette
    model = window.tree_pane.model
    data = palette.mimeData([palette_entry(window, item_type)])  # what a palette drag carries
    index = model.index_for_path(parent) if parent else QModelIndex()
    assert model.canDropMimeData(data, Qt.DropAction.CopyAction, row, 0, index)
    assert model.dropMimeData(data, Qt.DropAction.CopyAction, row, 0, index)


def drop_move(window: DesignerWindow, source: Path, parent: Path | None, row: int = -1) -> bool:
    """Drag the tree item at ``source`` and drop it under ``parent`` at ``row`` (-1: on/at the end)."""
    model = window.tree_pane.model
    data = model.mimeData([model.index_for_path(source)])
    index = model.index_for_path(parent) if parent else QModelIndex()
    if not model.canDropMimeData(data, Qt.DropAction.MoveAction, row, 0, index):
        return False
    return model.dropMimeData(data, Qt.DropAction.MoveAction, row, 0, index)


def select(window: DesignerWindow, path: Path) -> None:
    """Click the item at ``path`` in the tree."""
    tree = window.tree_pane.tree
    index = window.tree_pane.model.index_for_path(path)
    tree.setCurrentIndex(index)
    assert window.item_panel.path == path


def type_into(edit, text: str) -> None:
    """Replace a line edit's text and finish editing (Enter), as an author does."""
    edit.setText(text)
    edit.editingFinished.emit()
