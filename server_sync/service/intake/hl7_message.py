"""One HL7 message prepared outside the transaction: header, event or error, and its ACK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import ApplyResult, IntakeError, IntakeEvent
from server_sync.service.intake.hl7_ack import build_ack
from server_sync.service.intake.hl7_map import check_header, message_type, to_event
from server_sync.service.intake.hl7_parse import Hl7Message, parse


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
class Header:
    control_id: str = ""
    trigger: str = ""
    sender: tuple[str, str] = ("", "")
    version: str = "2.5"

    @property
    def key(self) -> str:
        return f"{self.sender[0]}^{self.sender[1]}|{self.control_id}"[:200]


def read_header(msg: Hl7Message | None) -> Header:
    if msg is None:
        return Header()
    msh = msg.segment("MSH")
    return Header(
        msg.get(msh, 10), msg.get(msh, 9, 2), (msg.get(msh, 3), msg.get(msh, 4)), msg.get(msh, 12) or "2.5"
    )


def ack_for(
    header: Header, code: str, settings: IntakeSettings, now: datetime, error: IntakeError | None = None
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
class Item:
    """One message prepared outside the transaction: its event, or why it cannot be applied."""

    raw: bytes
    header: Header
    event: IntakeEvent | None = None
    error: IntakeError | None = None
    check_duplicate: bool = False  # a resend of a recorded control ID gets its stored ACK
    record_ack: bool = True  # remember the ACK under the control ID (not for cut-off frames)

    @property
    def failure(self) -> IntakeError | None:
        """Why the message cannot be applied before it is even tried (None: apply it)."""
        if self.error is None and self.event is None:
            return IntakeError("nothing to apply", code="207")
        return self.error


def prepare(raw: bytes, problem: str, settings: IntakeSettings, replay: bool) -> Item:
    """Parse and map one message (no database access); failures are kept for the transaction."""
    if problem:
        try:
            header = read_header(parse(raw[: settings.max_message_bytes]))
        except IntakeError:
            header = Header()
        # Not remembered under the control ID: the complete resend of a cut-off frame must be applied.
        return Item(raw, header, error=IntakeError(problem, reject=True), record_ack=False)
    msg: Hl7Message | None = None
    header = Header()
    try:
        if len(raw) > settings.max_message_bytes:
            raise IntakeError(
                f"message of {len(raw)} bytes is larger than the {settings.max_message_bytes}-byte limit",
                code="207",
                reject=True,
            )
        msg = parse(raw)
        header = read_header(msg)
        check_header(msg)
    except IntakeError as error:
        return Item(raw, read_header(msg), error=error)
    try:
        message_type(msg)
        event = to_event(msg, zone=settings.default_zone)
    except IntakeError as error:
        return Item(raw, header, error=error, check_duplicate=not replay)
    return Item(raw, header, event=event, check_duplicate=not replay)
