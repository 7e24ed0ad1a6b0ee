"""Read and write the facts in ``server_meta``: the server epoch, the token secret, cursor floor.

Read from the database on every use (one primary-key lookup) rather than cached:
after a restore, every replica must report the new epoch at once.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server_sync.service.core.models import ServerMeta

EPOCH_KEY = "server_epoch"
SECRET_KEY = "token_secret"
MIN_VALID_CURSOR_KEY = "min_valid_cursor"
NO_EPOCH = "server_meta has no epoch: run `followup-server migrate` first"


def get_value(*, db_session: Session, key: str) -> str | None:
    """The stored value of ``key``, or None."""
    return db_session.execute(select(ServerMeta.value).where(ServerMeta.key == key)).scalar_one_or_none()


def set_value(*, db_session: Session, key: str, value: str) -> None:
    """Insert or replace ``key`` (caller commits)."""
    row = db_session.get(ServerMeta, key)
    if row is None:
        db_session.add(ServerMeta(key=key, value=value))
    else:
        row.value = value


def ensure_defaults(*, db_session: Session) -> None:
    """Create the epoch and secret on first start. Safe to race: the loser's insert is ignored."""
    defaults = {
        EPOCH_KEY: str(uuid.uuid4()),
        SECRET_KEY: secrets.token_urlsafe(48),
        MIN_VALID_CURSOR_KEY: "0",
    }
    for key, value in defaults.items():
        if get_value(db_session=db_session, key=key) is not None:
            continue
        try:
            with db_session.begin_nested():
                db_session.add(ServerMeta(key=key, value=value))
        except IntegrityError:
            pass  # another replica created it first


def server_epoch(*, db_session: Session) -> str:
    """The random id of this database's history; changes when a backup is restored."""
    value = get_value(db_session=db_session, key=EPOCH_KEY)
    if value is None:
        raise RuntimeError(NO_EPOCH)
    return value


def renew_epoch(*, db_session: Session) -> str:
    """Give the database a new epoch (after a restore) so clients re-push what it lacks."""
    epoch = str(uuid.uuid4())
    set_value(db_session=db_session, key=EPOCH_KEY, value=epoch)
    return epoch


def min_valid_cursor(*, db_session: Session) -> int:
    """Pull cursors in (0, this) point before purged tombstones and must start over."""
    return int(get_value(db_session=db_session, key=MIN_VALID_CURSOR_KEY) or 0)
