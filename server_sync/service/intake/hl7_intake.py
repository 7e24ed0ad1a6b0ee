"""One HL7 message in, one ACK out: size check, parse, idempotency, apply, dead letter.

The ACK is stored with the message's control ID in the transaction that
applied it, so a resend of the same MSH-10 gets the same ACK and changes
nothing — also when the first copy was refused (the sender must fix it, or IT
replays the dead letter after fixing the configuration).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from nurse_app.domain.model import utc_now
from server_sync.service.core.db import Database, is_retryable
from server_sync.service.intake import dead_letters, mpi
from server_sync.service.intake.apply import apply_event
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import ApplyResult, IntakeError, IntakeEvent
from server_sync.service.intake.hl7_ack import build_ack
from server_sync.service.intake.hl7_map import check_header, message_type, to_event
from server_sync.service.intake.hl7_parse import Hl7Message, parse
from server_sync.service.intake.models import ProcessedMessageRow

log = logging.getLogger("followup.intake")


@dataclass(slots=True)
class Hl7Outcome:
    ack: str
    code: str  # AA | AE | AR
    control_id: str = ""
    duplicate: bool = False
    dead_letter_id: str | None = None
    result: ApplyResult | None = None

    @property
    def ack_bytes(self) -> bytes:
        return self.ack.encode("utf-8")


@dataclass(slots=True)
class _Header:
    control_id: str = ""
    trigger: str = ""
    sender: tuple[str, str] = ("", "")
    version: str = "2.5"

    @property
    def key(self) -> str:
        return f"{self.sender[0]}^{self.sender[1]}|{self.control_id}"[:200]


def _header(msg: Hl7Message | None) -> _Header:
    if msg is None:
        return _Header()
    msh = msg.segment("MSH")
    return _Header(
        msg.get(msh, 10), msg.get(msh, 9, 2), (msg.get(msh, 3), msg.get(msh, 4)), msg.get(msh, 12) or "2.5"
    )


def _ack(
    header: _Header, code: str, settings: IntakeSettings, now: datetime, error: IntakeError | None = None
) -> str:
    return build_ack(
        code=code,
        control_id=header.control_id,
        trigger=header.trigger,
        now=now,
        zone=settings.default_zone,
        sender=header.sender,
        receiver=(settings.application, settings.facility),
        error=error,
        version=header.version,
    )


@dataclass(slots=True)
class _Item:
    """One message prepared outside the transaction: its event, or why it cannot be applied."""

    raw: bytes
    header: _Header
    event: IntakeEvent | None = None
    error: IntakeError | None = None
    check_duplicate: bool = False  # a resend of a recorded control ID gets its stored ACK
    record_ack: bool = True  # remember the ACK under the control ID (not for cut-off frames)


def _prepare(raw: bytes, problem: str, settings: IntakeSettings, replay: bool) -> _Item:
    """Parse and map one message (no database access); failures are kept for the transaction."""
    if problem:
        try:
            header = _header(parse(raw[: settings.max_message_bytes]))
        except IntakeError:
            header = _Header()
        # Not remembered under the control ID: the complete resend of a cut-off frame must be applied.
        return _Item(raw, header, error=IntakeError(problem, reject=True), record_ack=False)
    msg: Hl7Message | None = None
    header = _Header()
    try:
        if len(raw) > settings.max_message_bytes:
            raise IntakeError(
                f"message of {len(raw)} bytes is larger than the {settings.max_message_bytes}-byte limit",
                code="207",
                reject=True,
            )
        msg = parse(raw)
        header = _header(msg)
        check_header(msg)
    except IntakeError as error:
        return _Item(raw, _header(msg), error=error)
    try:
        message_type(msg)
        event = to_event(msg, zone=settings.default_zone)
    except IntakeError as error:
        return _Item(raw, header, error=error, check_duplicate=not replay)
    return _Item(raw, header, event=event, check_duplicate=not replay)


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
    refuses the bytes with AR. Each message runs in its own SAVEPOINT: one that fails is rolled
    back alone, dead-lettered and answered AE/AR in the same transaction as the others. Nothing
    is answered before the single commit, so an AA always means the message's effects are
    durable; if the transaction itself fails (nothing of it is kept) the messages are applied
    again one by one, each in its own transaction, as they would have been without batching.
    """
    if not frames:
        return []
    now = utc_now()
    items = [_prepare(raw, problem, settings, replay) for raw, problem in frames]
    letters: list[tuple[_Header, str, str]] = []

    def work(db_session: Session) -> list[Hl7Outcome]:
        letters.clear()
        recorded = _recorded(db_session, items)
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
    for header, letter_id, reason in letters:
        log.warning(
            "intake: %s %s dead-lettered as %s: %s",
            source,
            header.control_id or "(no id)",
            letter_id,
            reason,
        )
    return outcomes


def _handle(
    db_session: Session,
    item: _Item,
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    replay: bool,
    letters: list[tuple[_Header, str, str]],
    recorded: dict[str, ProcessedMessageRow | None],
) -> Hl7Outcome:
    """Apply one prepared message inside the batch's transaction (its own SAVEPOINT)."""
    header = item.header

    def failed(error: IntakeError) -> Hl7Outcome:
        outcome = _store_failure(db_session, item, error, settings, now, source, source_ref, replay, letters)
        if item.record_ack and header.control_id and not replay:
            recorded.pop(header.key, None)  # looked up again if the batch sends it once more
        return outcome

    if item.check_duplicate and header.control_id:
        if header.key in recorded:
            stored = recorded[header.key]
        else:
            stored = db_session.get(ProcessedMessageRow, header.key)
        if stored is not None:
            return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
    if item.error is not None or item.event is None:
        return failed(item.error or IntakeError("nothing to apply", code="207"))
    ack = _ack(header, "AA", settings, now)
    try:
        with db_session.begin_nested():
            result = apply_event(db_session=db_session, event=item.event, settings=settings, now=now)
            row = _record(db_session, header, "AA", ack, now, replace=replay, known_new=item.check_duplicate)
        if row is not None:
            recorded[header.key] = mpi.kept(db_session, row)
    except IntakeError as error:
        mpi.cache(db_session).forget()
        return failed(error)
    except IntegrityError:
        mpi.cache(db_session).forget()
        stored = db_session.get(ProcessedMessageRow, header.key) if header.control_id else None
        if stored is not None:  # the same message applied concurrently on another connection
            return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
        log.exception("intake: %s hit a database constraint", header.control_id)
        return failed(
            IntakeError("a concurrent update of the same patient or stay collided; resend", code="206")
        )
    except (OperationalError, DBAPIError) as error:
        mpi.cache(db_session).forget()
        if is_retryable(error):
            raise  # a deadlock or lock timeout: the whole batch is run again
        log.exception("intake: applying %s failed", header.control_id)
        return failed(IntakeError(f"internal error: {type(error).__name__}", code="207"))
    except Exception as error:
        mpi.cache(db_session).forget()
        log.exception("intake: applying %s failed", header.control_id)
        return failed(IntakeError(f"internal error: {type(error).__name__}", code="207"))
    return Hl7Outcome(ack, "AA", header.control_id, result=result)


def _recorded(db_session: Session, items: list[_Item]) -> dict[str, ProcessedMessageRow | None]:
    """The stored ACKs of the batch's control IDs, read in one query (None: not seen before)."""
    keys = sorted({item.header.key for item in items if item.check_duplicate and item.header.control_id})
    found: dict[str, ProcessedMessageRow | None] = dict.fromkeys(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in db_session.scalars(select(ProcessedMessageRow).where(ProcessedMessageRow.key.in_(chunk))):
            found[row.key] = mpi.kept(db_session, row)
    return found


def _store_failure(
    db_session: Session,
    item: _Item,
    error: IntakeError,
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    replay: bool,
    letters: list[tuple[_Header, str, str]],
) -> Hl7Outcome:
    """AE/AR for ``item``: its dead letter and remembered ACK, in the batch's transaction."""
    header = item.header
    code = "AR" if error.reject else "AE"
    ack = _ack(header, code, settings, now, error)
    if replay:
        # Replaying a dead letter that still fails updates that letter, not a new one.
        return Hl7Outcome(ack, code, header.control_id)
    letter_id = _dead_letter(db_session, item, error, code, settings, now, source, source_ref)
    if item.record_ack:
        _record(db_session, header, code, ack, now, replace=False)
    letters.append((header, letter_id, error.message))
    return Hl7Outcome(ack, code, header.control_id, dead_letter_id=letter_id)


def _dead_letter(
    db_session: Session,
    item: _Item,
    error: IntakeError,
    code: str,
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
) -> str:
    return dead_letters.store(
        db_session=db_session,
        source=source,
        content_type="hl7",
        raw=item.raw,
        reason=error.message,
        now=now,
        source_ref=source_ref,
        control_id=item.header.control_id or None,
        detail={
            "hl7_code": error.code,
            "location": error.location,
            "ack_code": code,
            "event": item.header.trigger,
        },
        max_bytes=settings.max_frame_bytes,
    )


def _alone(
    database: Database,
    item: _Item,
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
    letters: list[tuple[_Header, str, str]] = []
    outcome = database.run_write(
        lambda s: _store_failure(s, item, failure, settings, utc_now(), source, source_ref, replay, letters)
    )
    for _, letter_id, reason in letters:
        log.warning("intake: %s %s dead-lettered as %s: %s", source, header.control_id, letter_id, reason)
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


def _record(
    db_session: Session,
    header: _Header,
    code: str,
    ack: str,
    now: datetime,
    *,
    replace: bool,
    known_new: bool = False,
) -> ProcessedMessageRow | None:
    """Remember the ACK under sender + control ID (``known_new``: looked up already, not there)."""
    if not header.control_id:
        return None
    row = None if known_new else db_session.get(ProcessedMessageRow, header.key)
    if row is None:
        row = ProcessedMessageRow(
            key=header.key, event=header.trigger[:16], ack_code=code, ack=ack, received_at=now
        )
        db_session.add(row)
    elif replace:
        row.ack_code, row.ack, row.received_at = code, ack, now
    return row
