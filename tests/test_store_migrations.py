"""Cache schema migrations: old caches upgrade with their data, and head equals models.py."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from nurse_app.domain.model import Patient, Sex, Ward
from nurse_app.security.cache_key import load_or_create_cache_key
from nurse_app.store import migrate
from nurse_app.store.engine import open_cache, open_cache_for, session_factory
from nurse_app.store.errors import CacheSchemaTooNew
from nurse_app.store.migrate import MIGRATIONS_DIR, current_revision, head_revision, upgrade, upgrade_to_head
from nurse_app.store.models import Base, OutboxRow, SyncStateRow
from nurse_app.store.repository import CacheRepository

PATIENT = Patient("MRN9", "李四", Sex.FEMALE, date(1948, 2, 29), phone="13911112222")


def schema_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parents: (
                    not (type_ == "table" and name == "alembic_version")
                ),
            },
        )
        return list(compare_metadata(context, Base.metadata))


@pytest.fixture
def old_cache(tmp_path: Path) -> Path:
    """A cache left at revision 0001 by an earlier app version, with a ward and a patient in it."""
    path = tmp_path / "cache.db"
    engine = open_cache(path, load_or_create_cache_key(path))
    assert upgrade(engine, "0001") == "0001"
    with session_factory(engine)() as session:
        repo = CacheRepository(session)
        repo.save_ward(Ward("W1", "骨科", "骨科"))
        repo.save_patient(PATIENT)
        session.commit()
    engine.dispose()
    return path


def test_old_cache_upgrades_to_head_with_its_data(old_cache: Path) -> None:
    engine = open_cache_for(old_cache)
    try:
        assert current_revision(engine) == head_revision()
        with session_factory(engine)() as session:
            repo = CacheRepository(session)
            assert repo.get_patient(PATIENT.id) == PATIENT
            assert repo.get_ward("W1") is not None
            session.add(SyncStateRow(key="client_id", value="c-1"))
            session.commit()
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_fresh_cache_schema_matches_models(tmp_path: Path) -> None:
    engine = open_cache_for(tmp_path / "cache.db")
    try:
        assert current_revision(engine) == head_revision()
        assert schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_comparison_does_see_a_missing_table(old_cache: Path) -> None:
    # Guards the test above: an outdated schema must not compare as equal.
    engine = open_cache(old_cache, load_or_create_cache_key(old_cache))
    try:
        missing = {diff[1].name for diff in schema_diffs(engine) if diff[0] == "add_table"}  # type: ignore[index]
        assert {"outbox", "sync_state"} <= missing
    finally:
        engine.dispose()


def test_upgrade_at_head_is_a_no_op(tmp_path: Path) -> None:
    engine = open_cache_for(tmp_path / "cache.db")
    try:
        assert upgrade_to_head(engine) == head_revision()
        assert upgrade_to_head(engine) == head_revision()
    finally:
        engine.dispose()


def test_outbox_seq_is_never_reused(tmp_path: Path) -> None:
    engine = open_cache_for(tmp_path / "cache.db")
    try:
        with session_factory(engine)() as session:
            now = datetime(2025, 3, 1, tzinfo=UTC)
            rows = [
                OutboxRow(
                    mutation_id=f"m{i}",
                    entity="task",
                    entity_id="t",
                    op="upsert",
                    payload_json="{}",
                    created_at=now,
                )
                for i in range(3)
            ]
            session.add_all(rows)
            session.commit()
            assert [r.seq for r in rows] == [1, 2, 3]
            session.delete(rows[-1])  # e.g. an acknowledged row purged after 30 days
            session.commit()
            again = OutboxRow(
                mutation_id="m9", entity="task", entity_id="t", op="upsert", payload_json="{}", created_at=now
            )
            session.add(again)
            session.commit()
            assert again.seq == 4
            ddl = session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'outbox'")).scalar_one()
            assert "AUTOINCREMENT" in ddl
    finally:
        engine.dispose()


def test_cache_from_a_newer_app_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    engine = open_cache_for(path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    try:
        with pytest.raises(CacheSchemaTooNew, match="0999"):
            upgrade_to_head(engine)
        assert current_revision(engine) == "0999"
    finally:
        engine.dispose()


def test_migration_scripts_ship_inside_the_package() -> None:
    # pyproject's package-data ("*.mako") and the package folders carry these into wheels.
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    revisions = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert revisions[:2] == ["0001_initial.py", "0002_outbox.py"]


def test_failed_upgrade_leaves_the_previous_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts)
    (scripts / "versions" / "9999_broken.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        f"revision = '9999'\ndown_revision = {head_revision()!r}\nbranch_labels = depends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('a', sa.Integer, primary_key=True))\n"
        "    raise RuntimeError('power cut')\n",
        encoding="utf-8",
    )
    path = tmp_path / "cache.db"
    engine = open_cache(path, load_or_create_cache_key(path))
    try:
        upgrade(engine, "0001")
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
        migrate._scripts.cache_clear()
        with pytest.raises(RuntimeError, match="power cut"):
            upgrade_to_head(engine)
        # One transaction: neither 0002+ nor the broken revision left anything behind.
        assert current_revision(engine) == "0001"
        with engine.connect() as conn:
            tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        assert "outbox" not in tables and "half_done" not in tables
    finally:
        migrate._scripts.cache_clear()
        engine.dispose()
