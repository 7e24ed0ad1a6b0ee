"""ScalePanel on an encrypted demo cache: submit, drafts across a crash, invalid answers blocked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import Engine, func, select

from nurse_app.demo.generate import DEMO_NURSE, demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.calls import record_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import load_drafts
from nurse_app.domain.forms import Evaluation
from nurse_app.domain.model import FollowUpTask, TaskStatus
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.models import OutboxRow, ResponseRow, TaskRow
from ui.forms import ScalePanel
from ui.operations import wait_for_all

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
KEY = "0123456789abcdef" * 4
SCALES = ("general_followup", "satisfaction")

GENERAL_FOLLOWUP = {
    "symptoms": ["dizziness"],
    "systolic_bp": 182,  # ≥ 180: the SBP_HIGH critical rule fires
    "pain_nrs": 2,
    "medication_adherence": "regular",
    "has_wound": False,
    "diet": "normal",
    "activity": "normal",
}
SATISFACTION = {code: "5" for code in ("overall", "nursing", "doctor", "environment", "discharge_guidance")}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("forms_panel") / "c.db"
    engine = open_cache(path, KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=200, seed=3, now=NOW)
    engine.dispose()
    yield path


def _nurse_ctx(engine: Engine) -> DeskContext:
    user = next(u for u in demo_staff(3).users if u.username == DEMO_NURSE)
    return DeskContext(engine, user, device="PC-CARD1-01", clock=lambda: NOW)


@pytest.fixture
def ctx(cache) -> Iterator[DeskContext]:
    engine = open_cache(cache, KEY)
    yield _nurse_ctx(engine)
    wait_for_all()
    engine.dispose()


_taken = count()


def _reached_task(ctx: DeskContext) -> FollowUpTask:
    """A pending CARD1 task, given the two-scale discharge step, with the patient reached (in progress)."""
    with ctx.unit_of_work() as (repo, session):
        ids = session.scalars(
            select(TaskRow.id)
            .where(TaskRow.ward_code == "CARD1", TaskRow.status == "pending")
            .order_by(TaskRow.id)
        ).all()
        task = repo.get_task(ids[next(_taken)])
        task.questionnaires = SCALES  # the demo's pending CARD1 work is heart failure only
        repo.save_tasks([task])
    recorded = record_call(ctx, task.id, "reached", started_at=NOW - timedelta(minutes=8), ended_at=NOW)
    assert recorded.task.status is TaskStatus.IN_PROGRESS
    return recorded.task


def _open_panel(qtbot, ctx: DeskContext, task: FollowUpTask) -> ScalePanel:
    panel = ScalePanel(ctx, task)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitUntil(panel.is_loaded, timeout=10_000)
    return panel


def _count(ctx: DeskContext, *where) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(OutboxRow).where(*where)).scalar_one()


def test_fill_and_submit_completes_the_task_and_queues_it(qtbot, ctx):
    task = _reached_task(ctx)
    panel = _open_panel(qtbot, ctx, task)
    assert panel.tabs.count() == 2 and panel.tabs.tabText(0) == "出院通用随访"
    assert panel.submit_button.text() == "提交"
    critical: list = []
    panel.sig_critical.connect(lambda code, alerts: critical.append((code, alerts)))

    panel.view("general_followup").set_answers(GENERAL_FOLLOWUP)
    assert not panel.view("general_followup").banner.isHidden()
    with qtbot.waitSignal(panel.sig_scale_submitted, timeout=10_000) as first:
        qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    code, submitted = first.args
    assert code == "general_followup" and [a.rule_code for a in submitted.alerts] == ["SBP_HIGH"]
    assert panel.is_done("general_followup") and panel.tabs.tabText(0).startswith("✓")
    assert panel.view("general_followup").is_read_only()
    assert panel.tabs.currentWidget() is panel.view("satisfaction")  # on to the next scale

    panel.view("satisfaction").set_answers(SATISFACTION)
    with qtbot.waitSignal(panel.sig_submitted, timeout=10_000) as done:
        panel.submit_current()
    assert done.args == [task.id]
    assert panel.all_submitted() and not panel.submit_button.isEnabled()
    assert critical and critical[0][0] == "general_followup"

    with ctx.unit_of_work() as (repo, session):
        assert repo.get_task(task.id).status is TaskStatus.COMPLETED
        responses = session.scalars(select(ResponseRow).where(ResponseRow.task_id == task.id)).all()
    assert sorted(r.questionnaire_code for r in responses) == sorted(SCALES)
    for response in responses:
        assert _count(ctx, OutboxRow.entity == "response", OutboxRow.entity_id == response.id) == 1
    assert _count(ctx, OutboxRow.entity == "alert") >= 1
    assert _count(ctx, OutboxRow.entity == "task", OutboxRow.entity_id == task.id) >= 2  # reached, completed
    assert load_drafts(ctx, task.id) == {}


def test_draft_autosaves_survives_a_crash_and_is_offered_back(qtbot, cache, monkeypatch):
    monkeypatch.setattr(ScalePanel, "AUTOSAVE_MS", 100)
    engine = open_cache(cache, KEY)
    ctx = _nurse_ctx(engine)
    task = _reached_task(ctx)
    panel = _open_panel(qtbot, ctx, task)
    assert panel.draft_bar.isHidden()
    edit = panel.view("general_followup").rows["systolic_bp"].editor.edit
    qtbot.keyClicks(edit, "176")
    assert panel.has_unsaved_changes()
    qtbot.waitUntil(lambda: not panel.has_unsaved_changes(), timeout=5_000)
    assert "草稿已于" in panel.status.text()
    assert load_drafts(ctx, task.id)["general_followup"].answers == {"systolic_bp": 176}

    # The crash: no close event, no shutdown hook, the engine simply goes away.
    panel.autosave_timer.stop()
    wait_for_all()
    engine.dispose()

    engine = open_cache(cache, KEY)
    ctx = _nurse_ctx(engine)
    try:
        reopened = _open_panel(qtbot, ctx, task)
        assert not reopened.draft_bar.isHidden()
        assert "发现未提交的草稿，是否恢复？" in reopened.draft_bar.message.text()
        assert reopened.view("general_followup").answers() == {}
        qtbot.mouseClick(reopened.draft_bar.restore_button, Qt.MouseButton.LeftButton)
        assert reopened.draft_bar.isHidden()
        assert reopened.view("general_followup").answers() == {"systolic_bp": 176}

        again = _open_panel(qtbot, ctx, task)
        qtbot.mouseClick(again.draft_bar.discard_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: load_drafts(ctx, task.id) == {}, timeout=5_000)
        assert again.view("general_followup").answers() == {}
    finally:
        wait_for_all()
        engine.dispose()


def test_invalid_answers_are_blocked_with_messages(qtbot, ctx):
    task = _reached_task(ctx)
    panel = _open_panel(qtbot, ctx, task)
    view = panel.view("general_followup")
    view.set_answers({"systolic_bp": 400, "pain_nrs": 3})
    panel.submit_current()
    assert panel.status.text() == "请更正标红的答案。"
    assert view.rows["systolic_bp"].problem.text() == "“收缩压（mmHg）”不能大于300"
    assert view.rows["symptoms"].problem.text() == "此题必须回答"
    assert view.focusWidget() is view.rows["symptoms"].editor.focus_target()
    assert not panel.is_done("general_followup")

    # The service checks again off the GUI thread; its FormInvalid lands as the same messages.
    view.evaluation = lambda: Evaluation(frozenset(), (), {}, ())  # type: ignore[method-assign]
    panel.submit_current()
    qtbot.waitUntil(lambda: panel.submit_button.isEnabled() and panel.status.text() == "请更正标红的答案。")
    with ctx.engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(ResponseRow).where(ResponseRow.task_id == task.id)
        )
        assert stored.scalar_one() == 0
