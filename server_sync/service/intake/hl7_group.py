"""A group of HL7 messages applied in one go: one SAVEPOINT, one read-ahead, one context.

The one-by-one way (a SAVEPOINT, a context and its change-feed writes per message, every
lookup its own query) costs about a dozen statements per message. Here the rows the
group needs are read in bulk first (``group_readahead``), the messages are applied in
order against them, and the group's records, history, audit rows and change-feed entries
are written together at the end — a few statements per message.

The result is the same as one by one, message for message. A message that cannot apply
(IntakeError) is known only once it has written part of its effect, and there is no
SAVEPOINT per message to roll back: the group's SAVEPOINT is rolled back instead and the
group applied again with that message dead-lettered up front, as one by one would have
left it. After a few such restarts, or on any other error, ``apply_group`` returns None
and the caller applies the group one by one, each message in its own SAVEPOINT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server_sync.service.core.db import is_retryable
from server_sync.service.intake.apply import new_context
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import IntakeError
from server_sync.service.intake.group_cache import cache
from server_sync.service.intake.group_readahead import read_ahead
from server_sync.service.intake.hl7_message import Hl7Outcome, Item, ack_for
from server_sync.service.intake.hl7_records import Letters, Recorded, store_failure, stored_ack
from server_sync.service.intake.models import ProcessedMessageRow

# Restarts with one more message dead-lettered up front before going one by one.
MAX_RESTARTS = 2


@dataclass(frozen=True, slots=True)
class _Accepted:
    """An ACK given earlier in the group (a resend inside the group gets it again)."""

    ack: str
    ack_code: str


class _Restart(Exception):
    def __init__(self, index: int, error: IntakeError | None) -> None:
        super().__init__(index)
        self.index, self.error = index, error  # error None: not the message's own fault


def apply_group(
    db_session: Session,
    items: Sequence[Item],
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    recorded: Recorded,
    letters: Letters,
    apply: Callable,
) -> list[Hl7Outcome] | None:
    """One outcome per item, all written in ``db_session``'s transaction; None: go one by one."""
    refused: dict[int, IntakeError] = {}
    for _ in range(MAX_RESTARTS + 1):
        letters.clear()
        savepoint = db_session.begin_nested()
        try:
            outcomes = _apply_once(
                db_session, items, refused, settings, now, source, source_ref, dict(recorded), letters, apply
            )
        except _Restart as restart:
            savepoint.rollback()
            cache(db_session).forget()
            if restart.error is None:
                return None
            refused[restart.index] = restart.error
            continue
        except DBAPIError as error:
            savepoint.rollback()
            cache(db_session).forget()
            if is_retryable(error):
                raise  # a deadlock or lock timeout: the whole transaction is run again
            return None  # e.g. a concurrent insert of the same key: one by one tells whose it is
        savepoint.commit()
        return outcomes
    letters.clear()
    return None


def _apply_once(
    db_session: Session,
    items: Sequence[Item],
    refused: dict[int, IntakeError],
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    recorded: Recorded,
    letters: Letters,
    apply: Callable,
) -> list[Hl7Outcome]:
    ctx = new_context(db_session=db_session, source="hl7", now=now)
    accepted: dict[str, dict[str, object]] = {}
    read_ahead(ctx, [i.event for n, i in enumerate(items) if i.event and not i.error and n not in refused])
    outcomes = []
    for index, item in enumerate(items):
        header = item.header
        duplicate = stored_ack(db_session, item, recorded)
        if duplicate is not None:
            outcomes.append(duplicate)
            continue
        failure = refused.get(index) or item.failure
        if failure is not None:
            outcomes.append(
                store_failure(db_session, item, failure, settings, now, source, source_ref, False, letters)
            )
            if item.record_ack and header.control_id:
                recorded.pop(header.key, None)  # looked up again if the group sends it once more
            continue
        try:
            result = apply(db_session=db_session, event=item.event, settings=settings, now=now, ctx=ctx)
        except IntakeError as error:
            raise _Restart(index, error) from error
        except DBAPIError:
            raise
        except Exception as error:  # a fault of ours: one by one logs and dead-letters it
            raise _Restart(index, None) from error
        ack = ack_for(header, "AA", settings, now)
        if header.control_id:  # looked up above (a group is never a replay): a new key
            accepted[header.key] = {
                "key": header.key,
                "event": header.trigger[:16],
                "ack_code": "AA",
                "ack": ack,
                "received_at": now,
            }
            recorded[header.key] = _Accepted(ack, "AA")
        outcomes.append(Hl7Outcome(ack, "AA", header.control_id, result=result))
    ctx.finish()
    # The ACKs to remember are new keys (looked up above): inserted in bulk, without ORM objects.
    rows = list(accepted.values())
    for start in range(0, len(rows), 500):
        db_session.execute(insert(ProcessedMessageRow.__table__), rows[start : start + 500])
    return outcomes
