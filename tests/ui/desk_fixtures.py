"""The desk tests' demo cache: a fixed clock, key and seed (imported by conftest and the tests)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from nurse_app.demo.generate import demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.context import DeskContext
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.models import AuditEventRow

DESK_NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
DESK_KEY = "0123456789abcdef" * 4
DESK_SEED = 26  # leaves work in every CARD1 tab at DESK_NOW (due now, overdue, upcoming, done today)


def build_desk_cache(path, patients: int = 300) -> Engine:
    engine = open_cache(path, DESK_KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=patients, seed=DESK_SEED, now=DESK_NOW)
    return engine


def demo_context(engine: Engine, username: str, device: str) -> DeskContext:
    """A demo staff member's desk context on the fixed desk clock."""
    user = next(u for u in demo_staff(DESK_SEED).users if u.username == username)
    return DeskContext(engine, user, device=device, clock=lambda: DESK_NOW)


def show_dashboard(qtbot: Any, ctx: DeskContext, timeout: int = 20_000) -> Any:
    """The quality dashboard of ``ctx``, shown at 1366×740 once its first load has arrived."""
    from ui.dashboard.window import DashboardWindow

    window = DashboardWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 740)
    with qtbot.waitSignal(window.sig_loaded, timeout=timeout):
        window.show()
    return window


def task_audits(ctx: DeskContext, actor: str, task_id: str) -> int:
    """How many audit events ``actor`` left about opening the task."""
    with ctx.unit_of_work() as (_repo, session):
        return session.scalar(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.actor == actor, AuditEventRow.detail == f"task {task_id}")
        )
