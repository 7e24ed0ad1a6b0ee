"""The single-row counter that numbers every change (and config version) the service commits.

Each writing transaction takes the row with ``SELECT … FOR UPDATE`` (SQLite's
``BEGIN IMMEDIATE`` already serialises writers) and holds it until commit, so
transactions commit in the order of the numbers they took. A reader that first
reads the committed counter value C and then the changes numbered ≤ C can
therefore never skip a change that commits later: every later commit gets a
number > C. Writers take the counter as their *last* step, after their row
writes, so the lock is held only for the final inserts and the commit.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server_sync.service.core.meta import EPOCH_KEY, MIN_VALID_CURSOR_KEY, NO_EPOCH
from server_sync.service.core.models import Base, ServerMeta


class ChangeCounterRow(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


def take_numbers(*, db_session: Session, count: int) -> int:
    """Reserve ``count`` consecutive numbers for this transaction; returns the first one."""
    current = db_session.execute(
        select(ChangeCounterRow.value).where(ChangeCounterRow.id == 1).with_for_update()
    ).scalar_one()
    db_session.execute(update(ChangeCounterRow).where(ChangeCounterRow.id == 1).values(value=current + count))
    return current + 1


def committed_value(*, db_session: Session) -> int:
    """The highest number whose transaction has committed (read without locking)."""
    return db_session.execute(select(ChangeCounterRow.value).where(ChangeCounterRow.id == 1)).scalar_one()


# Built once: every desk's sync reads it twice a minute (configuration feed, then changes).
_BOOKKEEPING = select(
    select(ServerMeta.value).where(ServerMeta.key == EPOCH_KEY).scalar_subquery(),
    select(ServerMeta.value).where(ServerMeta.key == MIN_VALID_CURSOR_KEY).scalar_subquery(),
    select(ChangeCounterRow.value).where(ChangeCounterRow.id == 1).scalar_subquery(),
)


def feed_bookkeeping(*, db_session: Session) -> tuple[str, int, int]:
    """(server epoch, tombstone floor, committed counter value) in one round trip.

    A feed reader calls it before reading rows, so the counter value bounds what it may return.
    """
    epoch, floor, committed = db_session.execute(_BOOKKEEPING).one()
    if epoch is None:
        raise RuntimeError(NO_EPOCH)
    return epoch, int(floor or 0), committed
