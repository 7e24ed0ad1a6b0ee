"""HL7 messages in, one ACK each out: size check, parse, idempotency, apply, dead letter.

The ACK is stored with the message's control ID in the transaction that
applied it, so a resend of the same MSH-10 gets the same ACK and changes
nothing — also when the first copy was refused (the sender must fix it, or IT
replays the dead letter after fixing the configuration).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from nurse_app.domain.model import utc_now
from server_sync.service.core.db import Database, is_retryable
from server_sync.service.intake import hl7_group
from server_sync.service.intake.apply import apply_event
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import IntakeError
from server_sync.service.intake.group_cache import cache, kept
from server_sync.service.intake.hl7_message import Hl7Outcome, Item, ack_for, prepare
from server_sync.service.intake.hl7_records import (
    Letters,
    Recorded,
    record,
    recorded_acks,
    store_failure,
    stored_ack,
)
from server_sync.service.intake.models import ProcessedMessageRow

__all__ = ["Hl7Outcome", "process", "process_batch", "reject_raw"]
log = logging.getLogger("followup.intake")


def process(
    *,
    database: Database,
    raw: bytes,
    settings: IntakeSettings,
    source: str = "mllp",
    source_ref: str = "",
    replay: bool = False,
) -> Hl7Outcome:
    """Handle one message's bytes (no MLLP framing) and return the ACK to send."""
    return process_batch(
        database=database,
        frames=[(raw, "")],
        settings=settings,
        source=source,
        source_ref=source_ref,
        replay=replay,
    )[0]


def process_batch(
    *,
    database: Database,
    frames: Sequence[tuple[bytes, str]],
    settings: IntakeSettings,
    source: str = "mllp",
    source_ref: str = "",
    replay: bool = False,
) -> list[Hl7Outcome]:
    """Handle several messages in ONE transaction (group commit); one ACK per frame, in order.

    ``frames`` are (bytes, problem) pairs: a non-empty problem (a truncated or oversized frame)
    refuses the bytes with AR. The group is applied in one go (``hl7_group``); when one of its
    messages fails there, or the group cannot be applied in one go, each message runs in its
    own SAVEPOINT: one that fails is rolled back alone, dead-lettered and answered AE/AR in the
    same transaction as the others. Nothing is answered before the single commit, so an AA
    always means the message's effects are durable; if the transaction itself fails (nothing
    of it is kept) the messages are applied again one by one, each in its own transaction, as
    they would have been without batching.
    """
    if not frames:
        return []
    now = utc_now()
    items = [prepare(raw, problem, settings, replay) for raw, problem in frames]
    letters: Letters = []

    def work(db_session: Session) -> list[Hl7Outcome]:
        letters.clear()
        recorded = recorded_acks(db_session, items)
        if not replay:
            outcomes = hl7_group.apply_group(
                db_session, items, settings, now, source, source_ref, recorded, letters, apply_event
            )
            if outcomes is not None:
                return outcomes
        return [
            _handle(db_session, item, settings, now, source, source_ref, replay, letters, recorded)
            for item in items
        ]

    try:
        outcomes = database.run_write(work)
    except Exception as error:
        if len(items) > 1:
            log.warning("intake: a batch of %d failed (%s); applying one by one", len(items), error)
            return [
                process_batch(
                    database=database,
                    frames=[frame],
                    settings=settings,
                    source=source,
                    source_ref=source_ref,
                    replay=replay,
                )[0]
                for frame in frames
            ]
        return [_alone(database, items[0], error, settings, source, source_ref, replay)]
    _log_letters(source, letters)
    return outcomes


def _log_letters(source: str, letters: Letters) -> None:
    for header, letter_id, reason in letters:
        log.warning(
            "intake: %s %s dead-lettered as %s: %s",
            source,
            header.control_id or "(no id)",
            letter_id,
            reason,
        )


def _handle(
    db_session: Session,
    item: Item,
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    replay: bool,
    letters: Letters,
    recorded: Recorded,
) -> Hl7Outcome:
    """Apply one prepared message inside the batch's transaction (its own SAVEPOINT)."""
    header = item.header

    def failed(error: IntakeError) -> Hl7Outcome:
        outcome = store_failure(db_session, item, error, settings, now, source, source_ref, replay, letters)
        if item.record_ack and header.control_id and not replay:
            recorded.pop(header.key, None)  # looked up again if the batch sends it once more
        return outcome

    duplicate = stored_ack(db_session, item, recorded)
    if duplicate is not None:
        return duplicate
    if item.failure is not None:
        return failed(item.failure)
    ack = ack_for(header, "AA", settings, now)
    try:
        with db_session.begin_nested():
            result = apply_event(db_session=db_session, event=item.event, settings=settings, now=now)
            row = record(db_session, header, "AA", ack, now, replace=replay, known_new=item.check_duplicate)
        if row is not None:
            recorded[header.key] = kept(db_session, row)
    except IntakeError as error:
        cache(db_session).forget()
        return failed(error)
    except IntegrityError:
        cache(db_session).forget()
        stored = db_session.get(ProcessedMessageRow, header.key) if header.control_id else None
        if stored is not None:  # the same message applied concurrently on another connection
            return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
        log.exception("intake: %s hit a database constraint", header.control_id)
        return failed(
            IntakeError("a concurrent update of the same patient or stay collided; resend", code="206")
        )
    except (OperationalError, DBAPIError) as error:
        cache(db_session).forget()
        if is_retryable(error):
            raise  # a deadlock or lock timeout: the whole batch is run again
        log.exception("intake: applying %s failed", header.control_id)
        return failed(IntakeError(f"internal error: {type(error).__name__}", code="207"))
    except Exception as error:
        cache(db_session).forget()
        log.exception("intake: applying %s failed", header.control_id)
        return failed(IntakeError(f"internal error: {type(error).__name__}", code="207"))
    return Hl7Outcome(ack, "AA", header.control_id, result=result)


def _alone(
    database: Database,
    item: Item,
    error: Exception,
    settings: IntakeSettings,
    source: str,
    source_ref: str,
    replay: bool,
) -> Hl7Outcome:
    """The transaction of a single message failed as a whole: answer from a new one."""
    header = item.header
    if isinstance(error, IntegrityError) and header.control_id:
        stored = _stored(database, header.key)
        if stored is not None:  # the same message applied concurrently on another connection
            return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
        log.exception("intake: %s hit a database constraint", header.control_id, exc_info=error)
        failure = IntakeError("a concurrent update of the same patient or stay collided; resend", code="206")
    else:
        log.error("intake: applying %s failed", header.control_id, exc_info=error)
        failure = IntakeError(f"internal error: {type(error).__name__}", code="207")
    letters: Letters = []
    outcome = database.run_write(
        lambda s: store_failure(s, item, failure, settings, utc_now(), source, source_ref, replay, letters)
    )
    _log_letters(source, letters)
    return outcome


def reject_raw(
    *,
    database: Database,
    raw: bytes,
    settings: IntakeSettings,
    error: IntakeError,
    source: str,
    source_ref: str = "",
) -> Hl7Outcome:
    """Refuse bytes that are broken before parsing (truncated or oversized frames): AR + dead letter."""
    return process_batch(
        database=database,
        frames=[(raw, error.message or "frame refused")],
        settings=settings,
        source=source,
        source_ref=source_ref,
    )[0]


def _stored(database: Database, key: str) -> ProcessedMessageRow | None:
    with database.session() as db_session:
        return db_session.get(ProcessedMessageRow, key)
