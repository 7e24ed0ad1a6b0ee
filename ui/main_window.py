"""The desk's main window: worklist on the left, the open patient on the right, sync state below.

Sized for the smallest ward-PC screen (1366×768). Every action has a key:
Ctrl+N next patient, Ctrl+F search, Ctrl+1…4 tabs, Enter opens a row,
Ctrl+D dial, F1–F8 outcomes, Ctrl+R refresh, Ctrl+, settings.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QSplitter, QWidget

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import PatientFolder
from nurse_app.store.worklist import WorklistTab
from ui import theme
from ui.admin.hook import install_admin_menu
from ui.dashboard.hook import install_dashboard_menu
from ui.desk import settings as s
from ui.desk.busy import BusyTracker
from ui.desk.draft_recovery import DraftRecoveryDialog, load_draft_entries
from ui.desk.read_aloud import Pyttsx3ReadAloud, ReadAloud
from ui.desk.settings import DeskSettings
from ui.desk.settings_dialog import SettingsDialog
from ui.desk.status_bar import DeskStatusBar
from ui.desk.sync_status import LocalSyncStatus, SyncStatusSource
from ui.desk.worklist_panel import TABS, WorklistPanel
from ui.desk.worklist_source import DeskSetup, load_setup
from ui.desk.workspace import PatientWorkspace
from ui.i18n import _, current_language, language_notifier, set_language

MIN_WIDTH, MIN_HEIGHT = 1024, 640


class MainWindow(QMainWindow):
    def __init__(
        self,
        ctx: DeskContext,
        settings: DeskSettings,
        *,
        sync_source: SyncStatusSource | None = None,
        read_aloud: ReadAloud | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        self.setup: DeskSetup | None = None
        self.draft_recovery: DraftRecoveryDialog | None = None
        self._drafts_offered = False
        self.busy = BusyTracker(self)
        self.read_aloud = read_aloud or Pyttsx3ReadAloud(
            settings.get(s.TTS_VOICE), self, rate=int(settings.get(s.TTS_RATE))
        )
        self.worklist = WorklistPanel(ctx, self.busy)
        self.workspace = PatientWorkspace(ctx, self.busy, self.read_aloud)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.worklist)
        splitter.addWidget(self.workspace)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([640, 726])  # at 1366 px: every worklist column visible, room for the script
        self.setCentralWidget(splitter)
        self.status = DeskStatusBar(
            sync_source or LocalSyncStatus(ctx.engine, ctx.clock), self.busy, ctx.zone
        )
        self.setStatusBar(self.status)
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)

        self.worklist.sig_task_activated.connect(self.open_task)
        self.workspace.sig_folder_opened.connect(self._folder_opened)
        self.workspace.sig_worklist_changed.connect(self._work_changed)
        self.workspace.call.sig_alert_acknowledged.connect(self._alert_acknowledged)
        self.workspace.scale.sig_drafts_restored.connect(
            lambda _task_id: self.workspace.tabs.setCurrentWidget(self.workspace.scale)
        )
        self._build_actions()
        install_admin_menu(self, sync_source)  # "管理": only for admin / ward manager
        install_dashboard_menu(self)  # "质量看板": only for ward manager / admin
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()
        self.read_aloud.probe()
        self.reload_setup()

    # ------------------------------------------------------------------ actions and menus

    def _action(self, key: str | QKeySequence.StandardKey, slot) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.next_action = self._action("Ctrl+N", self.next_patient)
        self.search_action = self._action("Ctrl+F", self.focus_search)
        self.refresh_action = self._action("Ctrl+R", self._work_changed)
        self.settings_action = self._action("Ctrl+,", self.open_settings)
        self.quit_action = self._action("Ctrl+Q", self.close)
        self.tab_actions = [
            self._action(f"Ctrl+{number + 1}", lambda _checked=False, tab=tab: self.show_tab(tab))
            for number, tab in enumerate(TABS)
        ]
        self.desk_menu = self.menuBar().addMenu("")
        for action in (self.next_action, self.search_action, self.refresh_action, *self.tab_actions):
            self.desk_menu.addAction(action)
        self.desk_menu.addSeparator()
        self.desk_menu.addAction(self.settings_action)
        self.desk_menu.addAction(self.quit_action)

    def retranslate(self) -> None:
        ward = ", ".join(self.setup.wards) if self.setup and self.setup.wards else _("all wards")
        self.setWindowTitle(
            _("Follow-up Nurse Station — {nurse} · {ward}").format(
                nurse=self.ctx.user.display_name, ward=ward
            )
        )
        self.desk_menu.setTitle(_("&Follow-up"))
        self.next_action.setText(_("Next patient"))
        self.search_action.setText(_("Search"))
        self.refresh_action.setText(_("Refresh"))
        self.settings_action.setText(_("Settings…"))
        self.quit_action.setText(_("Quit"))
        for action, tab in zip(self.tab_actions, TABS, strict=True):
            from ui.desk.labels import tab_title

            action.setText(tab_title(tab))

    # ------------------------------------------------------------------ loading

    def reload_setup(self) -> None:
        ctx, ward = self.ctx, self.settings.get(s.WARD)
        self.busy.run(lambda: load_setup(ctx, ward), self._setup_loaded, owner=self)

    def _setup_loaded(self, setup: DeskSetup) -> None:
        self.setup = setup
        if setup.ward is not None:
            # "Today" and every time shown follow the ward's zone.
            self.ctx.zone = setup.ward.zone
            self.status.zone = setup.ward.zone
        self.worklist.apply_setup(setup)
        self.retranslate()
        if not self._drafts_offered:
            self._drafts_offered = True
            self.offer_drafts()

    def offer_drafts(self) -> None:
        """After login: offer back the scales this nurse left unsubmitted (crash, power cut, closed app)."""
        ctx = self.ctx
        self.busy.run(lambda: load_draft_entries(ctx), self._drafts_found, owner=self)

    def _drafts_found(self, entries) -> None:
        if not entries:
            return
        self.draft_recovery = DraftRecoveryDialog(entries, self.ctx.zone, self)
        self.draft_recovery.sig_open_task.connect(self.open_draft)
        self.draft_recovery.show()

    def open_draft(self, task_id: str) -> None:
        self.worklist.select_task(task_id)
        self.workspace.scale.restore_drafts_of(task_id)
        self.open_task(task_id)

    def _alert_acknowledged(self, alert) -> None:
        folder = self.workspace.folder
        if folder is not None:
            alerts = tuple(alert if a.id == alert.id else a for a in folder.alerts)
            self.workspace.folder = dataclasses.replace(folder, alerts=alerts)
            self.workspace.retranslate()  # refills the history with the new status
        self.status.showMessage(_("Alert acknowledged."), 5000)
        self._work_changed()  # the worklist's red pin goes once no alert of the task is open

    def _work_changed(self) -> None:
        self.worklist.refresh()
        self.status.refresh()

    # ------------------------------------------------------------------ navigation

    def open_task(self, task_id: str) -> None:
        current = self.workspace.folder
        if current is not None and current.task.id != task_id and self.workspace.has_unsaved_changes():
            answer = QMessageBox.question(
                self,
                _("Unsaved scale"),
                _("The scale of {name} has unsaved answers (a draft is kept). Open the next patient?").format(
                    name=current.patient.name
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.workspace.open(task_id)

    def _folder_opened(self, folder: PatientFolder) -> None:
        self.worklist.mark_open(folder.task.id)
        self.worklist.select_task(folder.task.id)

    def next_patient(self) -> None:
        current = self.workspace.folder.task.id if self.workspace.folder else None
        task_id = self.worklist.next_task_id(current)
        if task_id is None:
            self.status.showMessage(_("No more patients in this list."), 5000)
            return
        self.worklist.select_task(task_id)
        self.open_task(task_id)

    def focus_search(self) -> None:
        self.worklist.search.setFocus()
        self.worklist.search.selectAll()

    def show_tab(self, tab: WorklistTab) -> None:
        self.worklist.set_tab(tab)
        self.worklist.table.setFocus()

    # ------------------------------------------------------------------ settings

    def open_settings(self) -> None:
        wards = tuple(self.ctx.user.wards)
        dialog = SettingsDialog(self.settings, self.setup.ward if self.setup else None, wards, self)
        before = (self.settings.get(s.LANGUAGE), self.settings.get(s.LARGE_FONT), self.settings.get(s.WARD))
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self.apply_settings(before)

    def apply_settings(self, before: tuple[str, bool, str]) -> None:
        language, large, ward = (
            self.settings.get(s.LANGUAGE),
            self.settings.get(s.LARGE_FONT),
            self.settings.get(s.WARD),
        )
        if language != current_language():
            set_language(language)
        if large != before[1]:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                theme.apply_theme(app, large=large)
        if ward != before[2]:
            self.reload_setup()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workspace.has_unsaved_changes():
            answer = QMessageBox.question(
                self, _("Unsaved scale"), _("A scale has unsaved answers (a draft is kept). Quit anyway?")
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.read_aloud.stop()
        event.accept()
