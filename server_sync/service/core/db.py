"""Engine and sessions for SQLite, PostgreSQL and MariaDB.

SQLite: WAL, ``busy_timeout``, foreign keys, and write transactions opened with
``BEGIN IMMEDIATE`` so two writers queue for the lock instead of failing on a
read-to-write upgrade. PostgreSQL/MariaDB run READ COMMITTED: every row a push
modifies is read ``FOR UPDATE`` (latest committed value), and InnoDB takes no
gap locks for those reads, which keeps concurrent pushes from deadlocking.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from server_sync.service.core.config import Settings

T = TypeVar("T")
_WRITE_OPTION = "followup_write"
# Deadlock / serialisation failure / lock wait codes: the transaction may simply be run again.
_RETRYABLE_CODES = {"40P01", "40001", "55P03", 1213, 1205}


def json_serializer(value: Any) -> str:
    """JSON columns: orjson (several times faster for the push path's payloads), json as fallback."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses (non-str keys, huge ints) the standard encoder may take
        return json.dumps(value)


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine for ``url`` configured for this service (creates a SQLite file's folder)."""
    settings = settings or Settings(database_url=url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, cache_mib=settings.sqlite_cache_mib)
    return create_engine(
        url,
        json_serializer=json_serializer,
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def _sqlite_engine(url: str, database: str | None, *, cache_mib: int) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, json_serializer=json_serializer, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")  # negative: KiB, not pages
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One engine and its two session kinds: reading, and writing (serialised early on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine, expire_on_commit=False, execution_options={_WRITE_OPTION: True})

    def session(self) -> Session:
        """A session for reads (and short writes that may wait on SQLite's lock)."""
        return self._reader()

    def write_session(self) -> Session:
        """A session whose transaction takes the write lock up front on SQLite."""
        return self._writer()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session in a transaction: committed on success, rolled back on error."""
        with self.write_session() as db_session, db_session.begin():
            yield db_session

    def run_write(self, work: Callable[[Session], T], *, attempts: int = 4) -> T:
        """Run ``work`` in a write transaction, retrying deadlocks and lock timeouts."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as db_session:
                    return work(db_session)
            except (OperationalError, DBAPIError) as error:
                if attempt == attempts or not is_retryable(error):
                    raise
                time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def is_retryable(error: DBAPIError) -> bool:
    """True for deadlocks, serialisation failures and lock timeouts (run the transaction again)."""
    original = error.orig
    code = getattr(original, "sqlstate", None) or (original.args[0] if original and original.args else None)
    if code in _RETRYABLE_CODES:
        return True
    return "database is locked" in str(original)
