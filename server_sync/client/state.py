"""Names of the sync facts kept in the cache's ``sync_state`` table, and small typed accessors.

Documented place for everything the client remembers between runs:

=====================  ======================================================================
``pull_cursor``        change number of the last pulled page (committed with the page)
``server_epoch``       epoch of the service the cursor belongs to (a restore changes it)
``config_version``     position in the service's configuration feed
``redownload``         "1" while a full re-download (after 410) is in progress
``last_sync_at``       server time (Date header) of the last successful sync, ISO 8601
``sync_issues``        JSON list of this PC's sync issues, as last fetched (for the UI panel)
``held:<e>:<id>``      a pulled change not yet applied: its row has pending outbox entries, or
                       its parent record has not arrived yet (JSON of the change + why)
``base:<e>:<id>``      server version a pushed patient/task edit produced (next edit's base)
``config:<kind>:<key>:<version>``  scale / script / thresholds documents (JSON body)
=====================  ======================================================================
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nurse_app.store import outbox
from nurse_app.store.models import SyncStateRow

CURSOR = "pull_cursor"
EPOCH = "server_epoch"
CONFIG_VERSION = "config_version"
REDOWNLOAD = "redownload"
LAST_SYNC = "last_sync_at"
ISSUES = "sync_issues"
HELD = "held:"
BASE = "base:"
CONFIG_DOC = "config:"


def get_int(session: Session, key: str, default: int = 0) -> int:
    value = outbox.get_state(session, key)
    return default if value is None else int(value)


def set_value(session: Session, key: str, value: Any) -> None:
    outbox.set_state(session, key, value if isinstance(value, str) else str(value))


def get_json(session: Session, key: str) -> Any:
    value = outbox.get_state(session, key)
    return None if value is None else json.loads(value)


def set_json(session: Session, key: str, value: Any) -> None:
    outbox.set_state(session, key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def with_prefix(session: Session, prefix: str) -> dict[str, str]:
    """Every key (and value) starting with ``prefix``."""
    rows = session.execute(
        select(SyncStateRow.key, SyncStateRow.value).where(
            SyncStateRow.key.startswith(prefix, autoescape=True)
        )
    )
    return {key: value for key, value in rows}


def delete_keys(session: Session, keys: list[str]) -> None:
    for start in range(0, len(keys), 500):
        session.execute(delete(SyncStateRow).where(SyncStateRow.key.in_(keys[start : start + 500])))


def delete_prefix(session: Session, prefix: str) -> None:
    session.execute(delete(SyncStateRow).where(SyncStateRow.key.startswith(prefix, autoescape=True)))


def get_str(session: Session, key: str) -> str | None:
    """A plain string value (None when unset)."""
    return outbox.get_state(session, key)


def set_many(session: Session, values: dict[str, str]) -> None:
    """Insert or replace many keys with one statement (``set_state`` costs a SELECT per key)."""
    if not values:
        return
    statement = sqlite_insert(SyncStateRow.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"value": statement.excluded.value}
    )
    session.execute(statement, [{"key": k, "value": v} for k, v in values.items()])
