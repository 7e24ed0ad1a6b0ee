"""The scale designer window (administrators): palette + item tree | properties | live preview.

Laid out for a 1366×768 ward PC screen: three columns in a splitter, the
problems list under the tree, and the scale-level commands in one toolbar.
A published or retired version is shown read-only under a banner that
offers New version, because a published scale never changes.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.forms import FormDefinition, Problem
from nurse_app.domain.model import PublicationStatus
from ui.designer.document import DesignDocument
from ui.designer.item_panel import ItemPanel
from ui.designer.labels import status_name
from ui.designer.lifecycle import Lifecycle, fhir_module
from ui.designer.preview import PreviewPane
from ui.designer.problems_panel import ProblemsPanel
from ui.designer.rules_panel import RulesPanel
from ui.designer.scale_panel import ScalePanel
from ui.designer.score_panel import ScorePanel
from ui.designer.tree_ops import Path as ItemPath
from ui.designer.tree_ops import path_of
from ui.designer.tree_pane import TreePane
from ui.i18n import LANGUAGES, N_, _, current_language, language_notifier, set_language

_BANNER_STYLE = (
    "QWidget#designerBanner { background: #fff4e5; border-radius: 3px; }"
    " QLabel { color: #8a4b00; font-weight: bold; padding: 4px; }"
)
_MESSAGE_STYLE = {
    False: "background: #e8f5e9; color: #1b5e20; padding: 4px;",
    True: "background: #fdecea; color: #b71c1c; padding: 4px;",
}


class DesignerWindow(QMainWindow):
    """The whole designer around one :class:`DesignDocument`."""

    def __init__(self, definition: FormDefinition | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scaleDesigner")
        self.document = DesignDocument(definition, self)
        self.lifecycle = Lifecycle(self.document, self)
        self.tree_pane = TreePane(self.document, self)
        self.problems = ProblemsPanel(self.document, self)
        self.scale_panel = ScalePanel(self.document, self)
        self.item_panel = ItemPanel(self.document, self)
        self.score_panel = ScorePanel(self.document, self)
        self.rules_panel = RulesPanel(self.document, self)
        self.preview = PreviewPane(self.document, self)
        self.tabs = QTabWidget(self)
        for panel in (self.scale_panel, self.item_panel, self.score_panel, self.rules_panel):
            self.tabs.addTab(panel, "")
        self.tabs.setCurrentWidget(self.item_panel)
        self._build_actions()
        self._build_layout()

        self.tree_pane.sig_selected.connect(self._item_selected)
        self.problems.sig_activated.connect(self.show_problem)
        self.lifecycle.sig_message.connect(self.show_message)
        self.document.sig_changed.connect(lambda _select: self._update_state())
        self.document.undo_stack.cleanChanged.connect(self._clean_changed)
        # A bound method (not a lambda): Qt drops the connection when the window is destroyed.
        language_notifier().sig_language_changed.connect(self._language_changed)
        self.resize(1366, 768)
        self.retranslate()
        self.preview.refresh_now()

    # -- construction -------------------------------------------------------------------------
    def _build_actions(self) -> None:
        stack = self.document.undo_stack
        life = self.lifecycle
        self.undo_action = stack.createUndoAction(self)
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo_action = stack.createRedoAction(self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self._actions: dict[str, QAction] = {}
        for key, msgid, shortcut, slot in (
            ("new", N_("New"), "Ctrl+N", life.new_scale),
            ("open", N_("Open"), "Ctrl+O", life.open_dialog),
            ("save", N_("Save draft"), "Ctrl+S", lambda: life.save()),
            ("publish", N_("Publish"), "", life.publish),
            ("new_version", N_("New version"), "", life.new_version),
            ("copy", N_("Copy"), "", life.copy_dialog),
            ("retire", N_("Retire"), "", life.retire),
            ("import", N_("Import FHIR"), "", life.import_dialog),
            ("export", N_("Export FHIR"), "", life.export_dialog),
        ):
            action = QAction(self)
            action.setProperty("msgid", msgid)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self._actions[key] = action
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("designerToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        groups = (("new", "open", "save"), ("publish", "new_version", "copy", "retire"), ("import", "export"))
        for group in groups:
            for key in group:
                self.toolbar.addAction(self._actions[key])
            self.toolbar.addSeparator()
        self.toolbar.addAction(self.undo_action)
        self.toolbar.addAction(self.redo_action)
        spacer = QWidget(self.toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.language = QComboBox(self.toolbar)
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(current_language())))
        self.language.currentIndexChanged.connect(lambda _i: set_language(self.language.currentData()))
        self.toolbar.addWidget(self.language)
        self.addToolBar(self.toolbar)

    def _build_layout(self) -> None:
        self.banner = QWidget(self)
        self.banner.setObjectName("designerBanner")
        self.banner.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.banner.setStyleSheet(_BANNER_STYLE)
        self.banner_label = QLabel(self.banner)
        self.banner_button = QPushButton(self.banner)
        self.banner_button.clicked.connect(self.lifecycle.new_version)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(6, 2, 6, 2)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.banner_button)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.voice_notice = QLabel(self)  # after publishing: words the Mandarin voice model lacks
        self.voice_notice.setWordWrap(True)
        self.voice_notice.setStyleSheet(_MESSAGE_STYLE[False])
        self.voice_notice.hide()
        self.lifecycle.sig_voice_words.connect(self.show_voice_notice)
        self.header = QLabel(self)
        self.header.setStyleSheet("font-size: 14px; font-weight: bold; padding: 2px 4px;")

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addWidget(self.tree_pane, 1)
        left_layout.addWidget(self.problems)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.preview)
        self.splitter.setSizes([360, 500, 506])
        self.splitter.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.message)
        layout.addWidget(self.voice_notice)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    # -- texts --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        for action in self._actions.values():
            action.setText(_(action.property("msgid")))
        self.undo_action.setText(_("Undo"))
        self.redo_action.setText(_("Redo"))
        self._actions["import"].setToolTip(
            _("Import FHIR") if fhir_module() else _("FHIR import is not available in this build")
        )
        for panel, msgid in (
            (self.scale_panel, N_("Scale")),
            (self.item_panel, N_("Item")),
            (self.score_panel, N_("Scores")),
            (self.rules_panel, N_("Critical values")),
        ):
            self.tabs.setTabText(self.tabs.indexOf(panel), _(msgid))
        self.banner_button.setText(_("New version"))
        language = self.language.findData(current_language())
        if language >= 0 and language != self.language.currentIndex():
            self.language.blockSignals(True)
            self.language.setCurrentIndex(language)
            self.language.blockSignals(False)
        for widget in (self.tree_pane, self.problems, self.scale_panel, self.item_panel, self.score_panel):
            widget.retranslate()
        self.rules_panel.retranslate()
        self.preview.retranslate()
        self.message.hide()  # a message in the old language is stale
        self.voice_notice.hide()
        self._update_state()

    def _update_state(self) -> None:
        defn = self.document.definition
        read_only = self.document.read_only
        status = defn.status
        self.banner.setVisible(read_only)
        if status == PublicationStatus.RETIRED:
            self.banner_label.setText(_("Retired versions cannot be changed — make a new version"))
        else:
            self.banner_label.setText(_("Published versions cannot be changed — make a new version"))
        self._actions["publish"].setEnabled(not read_only)
        self._actions["new_version"].setEnabled(read_only)
        self._actions["retire"].setEnabled(status == PublicationStatus.PUBLISHED)
        has_fhir = fhir_module() is not None
        self._actions["import"].setEnabled(has_fhir)
        self._actions["export"].setEnabled(has_fhir)
        title = defn.title.get(current_language()) or defn.code
        self.header.setText(f"{title}  ·  {defn.code}  ·  v{defn.version}  ·  {status_name(status)}")
        self._update_title()

    def _language_changed(self, _language: str) -> None:
        self.retranslate()

    def _clean_changed(self, _clean: bool) -> None:
        # The stack also reports "clean" while the window tears it down; there is no title left to mark.
        if shiboken6.isValid(self.document.undo_stack):
            self._update_title()

    def _update_title(self) -> None:
        defn = self.document.definition
        mark = " *" if self.document.dirty else ""
        self.setWindowTitle(f"{_('Scale designer')} — {defn.code} v{defn.version}{mark}")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(_MESSAGE_STYLE[error])
        self.message.show()
        self.statusBar().showMessage(text, 8000)

    def show_voice_notice(self, text: str) -> None:
        """A non-blocking notice under the message bar (no dialog: publishing already succeeded)."""
        self.voice_notice.setText(text)
        self.voice_notice.show()

    # -- selection and problems ---------------------------------------------------------------
    def _item_selected(self, path: ItemPath | None, by_user: bool) -> None:
        self.item_panel.show_item(path)
        if by_user and path is not None:
            self.tabs.setCurrentWidget(self.item_panel)

    def show_problem(self, problem: Problem) -> None:
        """Show where ``problem`` is: its item in the tree, else its score or critical rule."""
        defn = self.document.definition
        path = path_of(defn, problem.link_id) if problem.link_id else None
        if path is not None:
            self.tree_pane.select_path(path, by_user=True)
            return
        if defn.score(problem.link_id) is not None:
            self.tabs.setCurrentWidget(self.score_panel)
            self.score_panel.select_score(problem.link_id)
            return
        if any(rule.code == problem.link_id for rule in defn.critical_rules):
            self.tabs.setCurrentWidget(self.rules_panel)
            self.rules_panel.select_rule(problem.link_id)
            return
        self.tabs.setCurrentWidget(self.scale_panel)

    def open_file(self, path: Path) -> bool:
        return self.lifecycle.open_file(path)

    def closeEvent(self, event) -> None:
        if self.document.dirty and not self.lifecycle.confirm(_("Discard the unsaved changes?")):
            event.ignore()
            return
        event.accept()
