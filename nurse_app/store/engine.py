"""Opening the encrypted local cache (SQLCipher) as a SQLAlchemy engine.

Every connection is opened the same way: the key is first proved on page 1
through a read-only, immutable probe (so a wrong key or a corrupt file is
reported before anything could write, even with a crash's write-ahead log
lying next to the file), then ``PRAGMA key`` with the raw 32-byte key (a raw
key skips SQLCipher's PBKDF2, so opening is fast), then WAL,
``synchronous=FULL`` and foreign keys (DESIGN "Sync": a local write and its
outbox row commit durably together).

Transactions: sqlite3-style drivers do not BEGIN before SELECT or DDL, which
breaks repeatable reads, SAVEPOINTs and transactional DDL. As SQLAlchemy's
SQLite documentation recommends, the driver's own transaction handling is
switched off and SQLAlchemy emits ``BEGIN`` itself, so a Session or
``engine.begin()`` block is one real SQLite transaction (migrations included).
Writers begin ``IMMEDIATE`` (``writer``/``session_factory``) so concurrent
read-then-write units of work wait for each other instead of failing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from nurse_app.store.errors import CacheUnreadable

__all__ = [
    "BEGIN_MODE_OPTION",
    "cache_path",
    "connect_raw",
    "open_cache",
    "open_cache_for",
    "session_factory",
    "writer",
]

log = logging.getLogger(__name__)

_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
BUSY_TIMEOUT_SECONDS = 10.0  # the GUI worker and the sync worker write to the same file
CACHE_KIB = 32 * 1024  # page cache per connection; the 8 MB default thrashes on a 1 M-task worklist
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def _check_key(key: str) -> str:
    # The key is interpolated into a PRAGMA, so only the exact hex shape is ever accepted.
    if not isinstance(key, str) or not _HEX_KEY.fullmatch(key):
        raise ValueError("a cache key must be 64 hexadecimal characters (32 bytes)")
    return key.lower()


def _silence_sqlcipher_log(conn: sqlcipher.Connection) -> None:
    # SQLCipher prints "hmac check failed" lines to stderr on a wrong key; we raise a
    # clear CacheUnreadable instead. The setting is process-wide; older builds lack it.
    with contextlib.suppress(sqlcipher.Error):
        conn.execute("PRAGMA cipher_log_level = NONE")


def _verify_key(path: Path, hex_key: str) -> None:
    """Decrypt page 1 of an existing file through a read-only, immutable connection.

    A normal connection would open a write-ahead log left by a crash even when the key is
    wrong, and on closing checkpoint it into the main file and delete it: the file would
    change although nothing could be read. ``immutable=1`` ignores the log and takes no
    locks, so a failed check leaves every byte (and mtime) as it was.
    """
    try:
        if path.stat().st_size == 0:
            return  # new cache: nothing to protect
    except FileNotFoundError:
        return
    try:
        probe = sqlcipher.connect(path.absolute().as_uri() + "?mode=ro&immutable=1", uri=True)
    except sqlcipher.Error as exc:
        raise CacheUnreadable(path, str(exc)) from exc
    try:
        _silence_sqlcipher_log(probe)
        probe.execute(f"PRAGMA key = \"x'{hex_key}'\"")
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()  # HMAC of page 1 checked here
    except sqlcipher.Error as exc:
        raise CacheUnreadable(path, str(exc)) from exc
    finally:
        probe.close()


def connect_raw(path: str | os.PathLike[str], key: str) -> sqlcipher.Connection:
    """A keyed, verified DBAPI (sqlcipher3) connection in autocommit mode, with the cache pragmas set.

    Used by the engine for every pooled connection, and by benchmarks as the
    "raw" baseline. Raises CacheUnreadable (file untouched) when the key does
    not fit or the file is not a SQLCipher database.
    """
    path = Path(path)
    hex_key = _check_key(key)
    if path.is_dir():
        raise CacheUnreadable(path, "it is a directory")
    _verify_key(path, hex_key)
    try:
        conn = sqlcipher.connect(
            str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
    except sqlcipher.Error as exc:
        raise CacheUnreadable(path, str(exc)) from exc
    try:
        _silence_sqlcipher_log(conn)
        conn.execute(f"PRAGMA key = \"x'{hex_key}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # now through the log, if any
    except sqlcipher.Error as exc:
        conn.close()
        raise CacheUnreadable(path, str(exc)) from exc
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("cache %s stays in journal mode %s (WAL refused)", path, mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Sorts and temp b-trees stay in RAM: no temporary files of patient data on disk, and
        # index builds of bulk loads are several times faster. (Cannot change inside a transaction.)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        # After a big load the WAL file would otherwise keep its peak size on disk forever.
        conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
    except BaseException:
        conn.close()
        raise
    return conn


def open_cache(path: str | os.PathLike[str], key: str, *, pool_size: int = 5) -> Engine:
    """An engine on the encrypted cache at ``path`` (created empty if absent), keyed with ``key`` (hex).

    The key is verified before the engine is returned; a wrong key, a corrupt
    file or a non-SQLCipher file raises CacheUnreadable and the file is left
    as it was. The schema is not touched: call ``migrate.upgrade_to_head`` (or
    use ``open_cache_for``).
    """
    _check_key(key)
    path = Path(path).expanduser().resolve()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_raw(path, key).close()  # fail fast, with the clear error, before an engine exists

    def creator() -> sqlcipher.Connection:
        return connect_raw(path, key)

    engine = create_engine(
        # The path in the URL is informational (see cache_path); the creator does the connecting.
        URL.create("sqlite+pysqlite", database=str(path)),
        module=sqlcipher,  # so SQLAlchemy wraps sqlcipher3's exceptions like sqlite3's
        creator=creator,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=pool_size,
    )
    event.listen(engine, "begin", _emit_begin)
    return engine


def cache_path(engine: Engine) -> Path:
    """The file of a cache engine made by ``open_cache``."""
    return Path(engine.url.database or "")


BEGIN_MODE_OPTION = "sqlite_begin"
_BEGIN_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}


def _emit_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY (no busy wait)
    # when another connection wrote in between; writers therefore take the write lock up front
    # ("IMMEDIATE", see session_factory(write=True)) and wait for it with the busy timeout instead.
    mode = str(conn.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(f"{BEGIN_MODE_OPTION} must be one of {sorted(_BEGIN_MODES)}, got {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


def open_cache_for(path: str | os.PathLike[str]) -> Engine:
    """Open the cache at ``path`` with its key from the OS keyring and migrate it to the newest schema.

    Raises KeyringUnavailable, CacheKeyMissing, CacheUnreadable or CacheSchemaTooNew
    (all ``nurse_app.store.errors.CacheError``).
    """
    from nurse_app.security.cache_key import load_or_create_cache_key
    from nurse_app.store.migrate import upgrade_to_head

    key = load_or_create_cache_key(path)
    engine = open_cache(path, key)
    try:
        upgrade_to_head(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine whose transactions begin IMMEDIATE: use it for every unit of work that writes.

    Readers keep plain deferred transactions (WAL lets them run beside a writer).
    """
    return engine.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})


def session_factory(engine: Engine, *, write: bool = True) -> Callable[[], Session]:
    """A ``sessionmaker`` for the cache; objects stay usable after commit (no expiry round-trips).

    ``write=True`` (the default) begins each transaction IMMEDIATE, so two workers that both
    read-then-write queue on the busy timeout instead of failing; pass ``write=False`` for
    sessions that only read.
    """
    return sessionmaker(bind=writer(engine) if write else engine, expire_on_commit=False)
