"""The administration window: one tab per page the signed-in role may use (fits 1366×768)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget
from sqlalchemy import Engine

from nurse_app.domain.model import Role
from ui.admin.common import AuthProvider, Texts
from ui.admin.dead_letters import DeadLettersPage
from ui.admin.plan_editor import PlanEditorPage
from ui.admin.review_queue import ReviewQueuePage
from ui.admin.users_wards import UsersPage, WardsPage
from ui.i18n import N_

PLANS, REVIEW, USERS, WARDS, DEAD_LETTERS = "plans", "review", "users", "wards", "dead_letters"
PAGE_TITLES = {
    PLANS: N_("Plan editor"),
    REVIEW: N_("Review queue"),
    USERS: N_("Users"),
    WARDS: N_("Wards"),
    DEAD_LETTERS: N_("Dead letters"),
}


def pages_for(role: str) -> tuple[str, ...]:
    """The administration pages of a role: everything for admin, the review queue for ward managers."""
    if role == Role.ADMIN.value:
        return (PLANS, REVIEW, USERS, WARDS, DEAD_LETTERS)
    if role == Role.WARD_MANAGER.value:
        return (REVIEW,)
    return ()


class AdminWindow(QWidget):
    """Tabs of the administration pages; each page loads from the service when first shown."""

    def __init__(
        self,
        auth: AuthProvider,
        role: str,
        engine: Engine,
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("adminWindow")
        self.pages: dict[str, QWidget] = {}
        self._loaded: set[str] = set()
        builders = {
            PLANS: lambda: PlanEditorPage(auth, engine, now),
            REVIEW: lambda: ReviewQueuePage(auth, can_merge=role == Role.ADMIN.value),
            USERS: lambda: UsersPage(auth),
            WARDS: lambda: WardsPage(auth),
            DEAD_LETTERS: lambda: DeadLettersPage(auth),
        }
        self.tabs = QTabWidget()
        texts = Texts(self)
        for name in pages_for(role):
            page = builders[name]()
            self.pages[name] = page
            index = self.tabs.addTab(page, "")
            texts.add(lambda text, index=index: self.tabs.setTabText(index, text), PAGE_TITLES[name])
        texts.add(self.setWindowTitle, N_("Administration — Follow-up Nurse Station"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(lambda _index: self._load_current())
        if USERS in self.pages and WARDS in self.pages:
            self.pages[WARDS].sig_changed.connect(lambda: self._loaded.discard(USERS))
        self.resize(1340, 700)
        self.setMinimumSize(1000, 600)

    def show_page(self, name: str) -> None:
        page = self.pages.get(name)
        if page is not None:
            self.tabs.setCurrentWidget(page)
        self._load_current()

    def _load_current(self) -> None:
        page = self.tabs.currentWidget()
        name = next((n for n, p in self.pages.items() if p is page), None)
        if name is None or name in self._loaded:
            return
        self._loaded.add(name)
        if isinstance(page, PlanEditorPage):
            page.refresh_plans()
        elif hasattr(page, "refresh"):
            page.refresh()
