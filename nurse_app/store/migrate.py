"""Schema migrations of the local cache (Alembic scripts in ``nurse_app/store/migrations``).

The scripts ship inside the package (PyInstaller builds must collect the
``migrations`` folder as data, alembic reads them from disk). The whole upgrade
runs in one SQLite transaction (the engine emits a real BEGIN, and SQLite DDL is
transactional), so an interrupted upgrade leaves the previous schema intact.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from nurse_app.store.engine import writer
from nurse_app.store.errors import CacheSchemaTooNew

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
    "upgrade",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory alembic Config for the cache scripts, bound to ``connection`` (see migrations/env.py)."""
    config = Config()
    # configparser interpolation: a '%' in an install path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    head = _scripts().get_current_head()
    assert head is not None, "the cache migrations have no head revision"
    return head


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the cache, or None for a cache never migrated."""
    with engine.connect() as connection:
        return _revision_of(connection)


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the cache to ``revision`` in one transaction; returns the revision reached.

    Raises CacheSchemaTooNew when the cache carries a revision this app does not
    know (it was migrated by a newer app version); nothing is changed then.
    """
    scripts = _scripts()
    known = {script.revision for script in scripts.walk_revisions()}
    target = head_revision() if revision == "head" else revision
    if current_revision(engine) == target:
        return target  # the common start-up case: one read, no lock, no alembic machinery
    with writer(engine).begin() as connection:  # IMMEDIATE: the schema lock is ours from the start
        current = _revision_of(connection)
        if current is not None and current not in known:
            raise CacheSchemaTooNew(engine.url.database or "?", current, head_revision())
        if current != target:  # another process may have migrated meanwhile
            command.upgrade(alembic_config(connection), revision)
        return _revision_of(connection)


def upgrade_to_head(engine: Engine) -> str:
    """Migrate the cache to the newest schema; returns the head revision."""
    reached = upgrade(engine, "head")
    assert reached is not None
    return reached
