"""Consistent online backups and restores.

SQLite: the sqlite3 backup API (a page-level copy that is consistent while the
service keeps running). PostgreSQL/MariaDB: one JSON-lines dump of every table
read inside a single REPEATABLE READ transaction. A restore always gives the
database a new ``server_epoch``: desks then re-push what the backup lacks.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from server_sync.service.core import meta
from server_sync.service.core.migrate import current_revision
from server_sync.service.core.schema import metadata
from server_sync.service.core.types import UtcDateTime

FORMAT = "followup.backup/1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BATCH = 1000


def backup(engine: Engine, path: Path) -> str:
    """Write a backup of the database at ``engine`` to ``path``; returns its format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            with target:
                source.driver_connection.backup(target)  # type: ignore[union-attr]
            target.close()
        finally:
            source.close()
        return "sqlite"
    with path.open("w", encoding="utf-8") as out:
        _dump_json_lines(engine, out)
    return "jsonl"


def _dump_json_lines(engine: Engine, out: IO[str]) -> None:
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            header = {"format": FORMAT, "revision": current_revision(engine), "dialect": engine.dialect.name}
            out.write(json.dumps(header) + "\n")
            for table in metadata.sorted_tables:
                result = connection.execution_options(stream_results=True, max_row_buffer=_BATCH).execute(
                    select(table)
                )
                for row in result.mappings():
                    line = {"t": table.name, "r": {key: _encode(value) for key, value in row.items()}}
                    out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def restore(engine: Engine, path: Path) -> str:
    """Replace the database's contents with the backup at ``path``; returns the new epoch."""
    with path.open("rb") as probe:
        is_sqlite_file = probe.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    if is_sqlite_file:
        if engine.dialect.name != "sqlite":
            raise ValueError("an SQLite backup file can only be restored into an SQLite database")
        source = sqlite3.connect(path)
        target = engine.raw_connection()
        try:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
        finally:
            target.close()
            source.close()
    else:
        _load_json_lines(engine, path)
    with Session(engine) as db_session, db_session.begin():
        return meta.renew_epoch(db_session=db_session)


def _load_json_lines(engine: Engine, path: Path) -> None:
    with path.open(encoding="utf-8") as source, engine.begin() as connection:
        header = json.loads(source.readline())
        if header.get("format") != FORMAT:
            raise ValueError(f"{path} is not a followup backup")
        if header.get("revision") != current_revision(engine):
            raise ValueError(
                f"backup schema {header.get('revision')} differs from the database's "
                f"{current_revision(engine)}: migrate first"
            )
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
        tables = {table.name: table for table in metadata.sorted_tables}
        pending: dict[str, list[dict[str, Any]]] = {}
        for line in source:
            item = json.loads(line)
            table = tables[item["t"]]
            pending.setdefault(table.name, []).append(_decode(table, item["r"]))
            if len(pending[table.name]) >= _BATCH:
                _flush(connection, tables, pending)
        _flush(connection, tables, pending)


def _flush(connection: Any, tables: dict, pending: dict[str, list[dict[str, Any]]]) -> None:
    # Rows arrive in sorted_tables order, so parents are always inserted before children.
    for table in metadata.sorted_tables:
        rows = pending.pop(table.name, None)
        if rows:
            connection.execute(insert(tables[table.name]), rows)


def _decode(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(row)
    for column in table.columns:
        value = decoded.get(column.name)
        if isinstance(column.type, UtcDateTime) and isinstance(value, str):
            decoded[column.name] = datetime.fromisoformat(value)
    return decoded
