"""Drafts of scales: saved, overwritten, discarded, durable across a crash, migrated in without data loss."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from nurse_app.demo.generate import DEMO_NURSE, demo_staff
from nurse_app.demo.load import load_demo
from nurse_app.desk.calls import record_call
from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import discard_draft, drafts_of_user, load_drafts, save_draft
from nurse_app.desk.folder import NotFound
from nurse_app.desk.scales import (
    UnknownScale,
    clear_configured_scales,
    definition_for,
    install_configured_scales,
    scales_for_task,
    ward_overrides,
)
from nurse_app.desk.submit import submit_response
from nurse_app.domain.model import PublicationStatus, TaskStatus
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import current_revision, upgrade, upgrade_to_head
from nurse_app.store.models import Base, TaskRow

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
KEY = "0123456789abcdef" * 4
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cache_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("drafts") / "cache.db"
    engine = open_cache(path, KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=120, seed=5, now=NOW)
    engine.dispose()
    return path


def _ctx(engine, username: str = DEMO_NURSE) -> DeskContext:
    user = next(u for u in demo_staff(5).users if u.username == username)
    return DeskContext(engine, user, device="PC-TEST", clock=lambda: NOW)


@pytest.fixture
def ctx(cache_file):
    engine = open_cache(cache_file, KEY)
    yield _ctx(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_configured_scales():
    clear_configured_scales()
    yield
    clear_configured_scales()


def _open_task(ctx: DeskContext, offset: int = 0):
    """A pending CARD1 task (``offset`` picks another one per test)."""
    with ctx.unit_of_work() as (repo, session):
        ids = session.scalars(
            select(TaskRow.id)
            .where(
                TaskRow.ward_code == "CARD1",
                TaskRow.status == "pending",
            )
            .order_by(TaskRow.id)
        ).all()
        return repo.get_task(ids[offset])


def test_save_load_overwrite_discard(ctx):
    task = _open_task(ctx)
    scale = definition_for(ctx, "general_followup")
    save_draft(ctx, task.id, scale, {"systolic_bp": 150, "symptoms": ["none"]})
    drafts = load_drafts(ctx, task.id)
    assert drafts["general_followup"].answers == {"systolic_bp": 150, "symptoms": ["none"]}
    assert drafts["general_followup"].questionnaire_version == scale.version
    assert drafts["general_followup"].saved_by == DEMO_NURSE

    save_draft(ctx, task.id, scale, {"systolic_bp": 182, "nurse_note": "患者诉头晕"})
    drafts = load_drafts(ctx, task.id)
    assert list(drafts) == ["general_followup"]
    assert drafts["general_followup"].answers == {"systolic_bp": 182, "nurse_note": "患者诉头晕"}
    assert any(d.task_id == task.id for d in drafts_of_user(ctx))

    assert discard_draft(ctx, task.id, "general_followup") is True
    assert discard_draft(ctx, task.id, "general_followup") is False
    assert load_drafts(ctx, task.id) == {}


def test_drafts_of_user_lists_only_the_nurse_s_own(ctx):
    task = _open_task(ctx, 1)
    colleague = _ctx(ctx.engine, demo_staff(5).nurses_by_ward["CARD1"][0])
    save_draft(colleague, task.id, definition_for(None, "satisfaction"), {"overall": "s4"})
    try:
        assert all(d.saved_by == DEMO_NURSE for d in drafts_of_user(ctx))
        assert "satisfaction" in load_drafts(ctx, task.id)  # the colleague's draft is still the task's
    finally:
        discard_draft(ctx, task.id, "satisfaction")


def test_a_draft_needs_a_task_of_the_nurse_s_ward(ctx):
    with pytest.raises(NotFound):
        save_draft(ctx, "no-such-task", definition_for(None, "phq9"), {})


def test_draft_survives_a_crash(cache_file):
    """The draft is written by a process that dies without any shutdown; a new process finds it."""
    script = textwrap.dedent(
        f"""
        import os
        from datetime import datetime, timezone
        from sqlalchemy import select
        from nurse_app.demo.generate import DEMO_NURSE, demo_staff
        from nurse_app.desk.context import DeskContext
        from nurse_app.desk.drafts import save_draft
        from nurse_app.desk.scales import definition_for
        from nurse_app.store.engine import open_cache
        from nurse_app.store.models import TaskRow

        engine = open_cache({str(cache_file)!r}, {KEY!r})
        user = next(u for u in demo_staff(5).users if u.username == DEMO_NURSE)
        moment = datetime(2026, 11, 28, tzinfo=timezone.utc)
        ctx = DeskContext(engine, user, device="PC", clock=lambda: moment)
        with ctx.unit_of_work() as (_repo, session):
            task_id = session.scalars(select(TaskRow.id).where(TaskRow.ward_code == "CARD1")
                                      .order_by(TaskRow.id.desc())).first()
        save_draft(ctx, task_id, definition_for(ctx, "general_followup"), {{"systolic_bp": 181}})
        print(task_id, flush=True)
        os._exit(0)  # no dispose, no atexit, no checkpoint: as if the power went off
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    task_id = done.stdout.strip()
    engine = open_cache(cache_file, KEY)
    try:
        drafts = load_drafts(_ctx(engine), task_id)
        assert drafts["general_followup"].answers == {"systolic_bp": 181}
    finally:
        discard_draft(_ctx(engine), task_id, "general_followup")
        engine.dispose()


def test_draft_survives_engine_dispose_and_reopen(cache_file):
    engine = open_cache(cache_file, KEY)
    ctx = _ctx(engine)
    task = _open_task(ctx, 2)
    save_draft(ctx, task.id, definition_for(ctx, "phq9"), {"q1": "2"})
    engine.dispose()  # no shutdown hook of ours runs
    engine = open_cache(cache_file, KEY)
    try:
        assert load_drafts(_ctx(engine), task.id)["phq9"].answers == {"q1": "2"}
    finally:
        discard_draft(_ctx(engine), task.id, "phq9")
        engine.dispose()


def test_migration_0003_keeps_data_and_matches_the_models(tmp_path):
    engine = open_cache(tmp_path / "old.db", KEY)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO sync_state (key, value) VALUES ('client_id', 'abc')"),
            )
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, department, zone, calling_start, calling_end) "
                    "VALUES ('W1', '心内一病区', '心内科', 'Asia/Shanghai', '08:30', '20:00')"
                )
            )
        assert upgrade_to_head(engine) == current_revision(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT value FROM sync_state")).scalar_one() == "abc"
            assert conn.execute(text("SELECT name FROM wards")).scalar_one() == "心内一病区"
            columns = {c["name"] for c in inspect(conn).get_columns("drafts")}
            assert columns == set(Base.metadata.tables["drafts"].columns.keys())
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        mine = [d for d in diffs if "drafts" in repr(d)]
        assert not mine, f"migration 0003 and models.DraftRow disagree: {mine}"
    finally:
        engine.dispose()


def test_unknown_scale_is_a_clear_error():
    with pytest.raises(UnknownScale, match=r"no scale 'nope'.*general_followup"):
        definition_for(None, "nope")
    with pytest.raises(UnknownScale, match=r"version 7 of scale 'phq9'"):
        definition_for(None, "phq9", 7)
    assert ward_overrides(None, "CARD1") == {}


def test_a_draft_keeps_its_retired_version_and_still_submits(ctx):
    v1 = definition_for(ctx, "satisfaction")
    install_configured_scales(
        [replace(v1, status=PublicationStatus.RETIRED), replace(v1, version=v1.version + 1)]
    )
    assert definition_for(ctx, "satisfaction").version == v1.version + 1
    task = _open_task(ctx, 3)
    answers = {code: "4" for code in ("overall", "nursing", "doctor", "environment", "discharge_guidance")}
    save_draft(ctx, task.id, v1, answers)
    record_call(ctx, task.id, "reached", started_at=NOW - timedelta(minutes=9), ended_at=NOW)
    task = replace(task, status=TaskStatus.IN_PROGRESS, questionnaires=("satisfaction",))

    loaded = scales_for_task(ctx, task)
    retired = loaded.definitions["satisfaction"]
    assert retired.version == v1.version and retired.status == PublicationStatus.RETIRED
    assert loaded.drafts["satisfaction"].answers == answers
    submitted = submit_response(ctx, task.id, retired, loaded.drafts["satisfaction"].answers)
    assert submitted.response.questionnaire_version == v1.version
    # A draft left behind by a crash between submit and discard is not offered again.
    save_draft(ctx, task.id, retired, answers)
    again = scales_for_task(ctx, task)
    assert "satisfaction" in again.answered and "satisfaction" not in again.drafts
    assert "satisfaction" not in load_drafts(ctx, task.id)
