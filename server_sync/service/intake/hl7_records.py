"""What the transaction keeps of each HL7 message: its ACK under sender + control ID (so a
resend gets the same ACK and changes nothing) and, when it could not be applied, a dead letter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.intake import dead_letters
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import IntakeError
from server_sync.service.intake.group_cache import kept
from server_sync.service.intake.hl7_message import Header, Hl7Outcome, Item, ack_for
from server_sync.service.intake.models import ProcessedMessageRow

# (header, dead letter id, reason) of the messages dead-lettered in a transaction, logged after it.
Letters = list[tuple[Header, str, str]]


class StoredAck(Protocol):
    """The answer given to a control ID: a stored row, or one given earlier in the same group."""

    ack: str
    ack_code: str


# Control-ID key → the answer given to it (None: not seen before).
Recorded = dict[str, StoredAck | None]


def recorded_acks(db_session: Session, items: Sequence[Item]) -> Recorded:
    """The stored ACKs of the batch's control IDs, read in one query (None: not seen before)."""
    keys = sorted({item.header.key for item in items if item.check_duplicate and item.header.control_id})
    found: Recorded = dict.fromkeys(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in db_session.scalars(select(ProcessedMessageRow).where(ProcessedMessageRow.key.in_(chunk))):
            found[row.key] = kept(db_session, row)
    return found


def stored_ack(db_session: Session, item: Item, recorded: Recorded) -> Hl7Outcome | None:
    """The answer already given to this control ID (a resend), or None."""
    header = item.header
    if not (item.check_duplicate and header.control_id):
        return None
    stored: StoredAck | None
    if header.key in recorded:
        stored = recorded[header.key]
    else:
        stored = db_session.get(ProcessedMessageRow, header.key)
    if stored is None:
        return None
    return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)


def record(
    db_session: Session,
    header: Header,
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


def store_failure(
    db_session: Session,
    item: Item,
    error: IntakeError,
    settings: IntakeSettings,
    now: datetime,
    source: str,
    source_ref: str,
    replay: bool,
    letters: Letters,
) -> Hl7Outcome:
    """AE/AR for ``item``: its dead letter and remembered ACK, in the batch's transaction."""
    header = item.header
    code = "AR" if error.reject else "AE"
    ack = ack_for(header, code, settings, now, error)
    if replay:
        # Replaying a dead letter that still fails updates that letter, not a new one.
        return Hl7Outcome(ack, code, header.control_id)
    letter_id = dead_letters.store(
        db_session=db_session,
        source=source,
        content_type="hl7",
        raw=item.raw,
        reason=error.message,
        now=now,
        source_ref=source_ref,
        control_id=header.control_id or None,
        detail={
            "hl7_code": error.code,
            "location": error.location,
            "ack_code": code,
            "event": header.trigger,
        },
        max_bytes=settings.max_frame_bytes,
    )
    if item.record_ack:
        record(db_session, header, code, ack, now, replace=False)
    letters.append((header, letter_id, error.message))
    return Hl7Outcome(ack, code, header.control_id, dead_letter_id=letter_id)
