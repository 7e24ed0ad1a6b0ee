"""The scale being designed: one immutable definition at a time, and the undo stack of edits.

Definitions are frozen, so an undo command simply remembers the definition
before and after the edit: no inverse operations to get wrong, and undo is
exact by construction. Changes of *identity* (new, open, publish, new
version, copy, retire) start a new history instead: undoing a publish would
pretend a published version can go back to draft, which it cannot.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nurse_app.domain.forms import FormDefinition, LocalText
from nurse_app.domain.model import PublicationStatus
from ui.designer.tree_ops import Path


def blank_definition(code: str = "new_scale") -> FormDefinition:
    """An empty draft to start designing from."""
    return FormDefinition(
        code=code,
        version=1,
        status=PublicationStatus.DRAFT,
        title=LocalText("新量表", "New scale"),
        items=(),
    )


class DesignDocument(QObject):
    """Holds the current definition; every edit is a :class:`DefinitionCommand` on ``undo_stack``.

    ``sig_changed(select)`` fires after every change with the item path the
    views should select (``None``: keep the selection if it still exists).
    ``sig_reset`` fires when a different scale (or version) is loaded.
    """

    sig_changed = Signal(object)
    sig_reset = Signal()

    def __init__(self, definition: FormDefinition | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._definition = definition or blank_definition()
        self.file_path: FilePath | None = None
        self.undo_stack = QUndoStack(self)

    @property
    def definition(self) -> FormDefinition:
        return self._definition

    @property
    def read_only(self) -> bool:
        """Published and retired versions are immutable: only drafts are edited."""
        return self._definition.status != PublicationStatus.DRAFT

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def apply(
        self,
        after: FormDefinition,
        text: str,
        select_after: Path | None = None,
        select_before: Path | None = None,
    ) -> bool:
        """Record the edit that turns the current definition into ``after`` (no-op if nothing changed)."""
        if self.read_only or after == self._definition:
            return False
        self.undo_stack.push(
            DefinitionCommand(self, self._definition, after, text, select_before, select_after)
        )
        return True

    def load(
        self, definition: FormDefinition, file_path: FilePath | None = None, *, keep_path: bool = False
    ) -> None:
        """Replace the document; a new history starts.

        ``keep_path`` keeps the current file (publish and retire change the status of the same
        version); a new version or a copy is another scale version and must not overwrite it.
        """
        self._definition = definition
        if not keep_path:
            self.file_path = file_path
        self.undo_stack.clear()
        self.sig_reset.emit()
        self.sig_changed.emit(None)

    def mark_saved(self, file_path: FilePath) -> None:
        self.file_path = file_path
        self.undo_stack.setClean()

    def _set(self, definition: FormDefinition, select: Path | None) -> None:
        self._definition = definition
        self.sig_changed.emit(select)


class DefinitionCommand(QUndoCommand):
    """One designer edit: the whole definition before and after (cheap: they share unchanged parts)."""

    def __init__(
        self,
        document: DesignDocument,
        before: FormDefinition,
        after: FormDefinition,
        text: str,
        select_before: Path | None,
        select_after: Path | None,
    ) -> None:
        super().__init__(text)
        self._document = document
        self._before = before
        self._after = after
        self._select_before = select_before
        self._select_after = select_after

    def redo(self) -> None:
        self._document._set(self._after, self._select_after)

    def undo(self) -> None:
        self._document._set(self._before, self._select_before)
