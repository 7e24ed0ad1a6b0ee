"""The live problems list: ``check_definition`` after every edit; clicking a problem shows its place."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from nurse_app.domain.forms import Problem, check_definition
from ui.designer.document import DesignDocument
from ui.i18n import _, current_language

_PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QWidget):
    """A heading with the count and one line per problem; ``sig_activated(problem)`` on click."""

    sig_activated = Signal(object)  # Problem

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.problems: list[Problem] = []
        self.heading = QLabel(self)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setMaximumHeight(130)  # the tree above needs the height more than a long problem list
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(2)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        document.sig_changed.connect(lambda _select: self.refresh())
        self.refresh()

    def retranslate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-check the definition (milliseconds even for large scales, so no debounce needed)."""
        self.problems = check_definition(self._document.definition, current_language())
        self.list.clear()
        for problem in self.problems:
            entry = QListWidgetItem(f"⚠ {problem.message}", self.list)
            entry.setData(_PROBLEM_ROLE, problem)
            entry.setToolTip(f"{problem.code} · {problem.link_id}")
            entry.setForeground(QBrush(QColor("#b71c1c")))
        self.list.setVisible(bool(self.problems))  # no empty box taking the tree's room
        if self.problems:
            self.heading.setText(_("Problems: {count}").format(count=len(self.problems)))
            self.heading.setStyleSheet("color: #b71c1c; font-weight: bold;")
        elif self._document.read_only:
            self.heading.setText(_("No problems."))
            self.heading.setStyleSheet("color: #1b5e20; font-weight: bold;")
        else:
            self.heading.setText(_("No problems: the scale can be published."))
            self.heading.setStyleSheet("color: #1b5e20; font-weight: bold;")

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def _clicked(self, entry: QListWidgetItem) -> None:
        self.sig_activated.emit(entry.data(_PROBLEM_ROLE))
