"""One HL7 message in, one ACK out: size check, parse, idempotency, apply, dead letter.

The ACK is stored with the message's control ID in the transaction that
applied it, so a resend of the same MSH-10 gets the same ACK and changes
nothing — also when the first copy was refused (the sender must fix it, or IT
replays the dead letter after fixing the configuration).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from nurse_app.domain.model import utc_now
from server_sync.service.core.db import Database
from server_sync.service.intake import dead_letters
from server_sync.service.intake.apply import apply_event
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import ApplyResult, IntakeError
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
    now = utc_now()
    msg: Hl7Message | None = None
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
        if not replay:
            stored = _stored(database, header.key)
            if stored is not None:
                return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
        message_type(msg)
        event = to_event(msg, zone=settings.default_zone)
    except IntakeError as error:
        return _fail(database, raw, settings, _header(msg), error, now, source, source_ref, replay)
    ack = _ack(header, "AA", settings, now)
    try:
        result = database.run_write(lambda s: _apply_and_record(s, event, header, ack, settings, now, replay))
    except IntakeError as error:
        return _fail(database, raw, settings, header, error, now, source, source_ref, replay)
    except IntegrityError:
        stored = _stored(database, header.key)
        if stored is not None:  # the same message applied concurrently on another connection
            return Hl7Outcome(stored.ack, stored.ack_code, header.control_id, duplicate=True)
        log.exception("intake: %s hit a database constraint", header.control_id)
        failure = IntakeError("a concurrent update of the same patient or stay collided; resend", code="206")
        return _fail(database, raw, settings, header, failure, now, source, source_ref, replay)
    except Exception as error:
        log.exception("intake: applying %s failed", header.control_id)
        failure = IntakeError(f"internal error: {type(error).__name__}", code="207")
        return _fail(database, raw, settings, header, failure, now, source, source_ref, replay)
    return Hl7Outcome(ack, "AA", header.control_id, result=result)


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
    try:
        header = _header(parse(raw[: settings.max_message_bytes]))
    except IntakeError:
        header = _Header()
    # Not remembered under the control ID: the complete resend of a cut-off frame must be applied.
    return _fail(
        database, raw, settings, header, error, utc_now(), source, source_ref, False, record_ack=False
    )


def _stored(database: Database, key: str) -> ProcessedMessageRow | None:
    with database.session() as db_session:
        return db_session.get(ProcessedMessageRow, key)


def _apply_and_record(
    db_session, event, header: _Header, ack: str, settings, now, replay: bool
) -> ApplyResult:
    result = apply_event(db_session=db_session, event=event, settings=settings, now=now)
    _record(db_session, header, "AA", ack, now, replace=replay)
    return result


def _record(db_session, header: _Header, code: str, ack: str, now: datetime, *, replace: bool) -> None:
    if not header.control_id:
        return
    row = db_session.get(ProcessedMessageRow, header.key)
    if row is None:
        db_session.add(
            ProcessedMessageRow(
                key=header.key, event=header.trigger[:16], ack_code=code, ack=ack, received_at=now
            )
        )
    elif replace:
        row.ack_code, row.ack, row.received_at = code, ack, now


def _fail(
    database: Database,
    raw: bytes,
    settings: IntakeSettings,
    header: _Header,
    error: IntakeError,
    now: datetime,
    source: str,
    source_ref: str,
    replay: bool,
    *,
    record_ack: bool = True,
) -> Hl7Outcome:
    code = "AR" if error.reject else "AE"
    ack = _ack(header, code, settings, now, error)
    if replay:
        # Replaying a dead letter that still fails updates that letter, not a new one.
        return Hl7Outcome(ack, code, header.control_id)

    def work(db_session) -> str:
        letter = dead_letters.store(
            db_session=db_session,
            source=source,
            content_type="hl7",
            raw=raw,
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
        if record_ack:
            _record(db_session, header, code, ack, now, replace=False)
        return letter

    letter_id = database.run_write(work)
    log.warning(
        "intake: %s %s dead-lettered as %s: %s",
        source,
        header.control_id or "(no id)",
        letter_id,
        error.message,
    )
    return Hl7Outcome(ack, code, header.control_id, dead_letter_id=letter_id)
