"""ACK messages: MSH + MSA (+ ERR naming the HL7 error code and the field)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from server_sync.service.intake.events import IntakeError
from server_sync.service.intake.hl7_parse import Encoding, escape

ERROR_TEXT = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}


def build_ack(
    *,
    code: str,
    control_id: str,
    trigger: str,
    now: datetime,
    zone: str,
    sender: tuple[str, str] = ("", ""),
    receiver: tuple[str, str] = ("FOLLOWUP", "NURSESTATION"),
    error: IntakeError | None = None,
    charset: str = "UNICODE UTF-8",
    version: str = "2.5",
) -> str:
    """The ACK text (segments joined by CR). ``sender`` is the original MSH-3/4, answered in MSH-5/6."""
    enc = Encoding()
    stamp = now.astimezone(ZoneInfo(zone)).strftime("%Y%m%d%H%M%S")
    msh = [
        "MSH",
        "^~\\&",
        escape(receiver[0]),
        escape(receiver[1]),
        escape(sender[0]),
        escape(sender[1]),
        stamp,
        "",
        f"ACK^{trigger}^ACK" if trigger else "ACK",
        uuid.uuid4().hex[:20],
        "P",
        version or "2.5",
        "",
        "",
        "",
        "",
        "",
        charset,
    ]
    text = escape(error.message, enc)[:400] if error else ""
    segments = ["|".join(msh), "|".join(["MSA", code, escape(control_id), text])]
    if error is not None:
        location = "^".join(error.location.split("^")) if error.location else ""
        label = ERROR_TEXT.get(error.code, "Application internal error")
        # ERR-1 (v2.3 style, location & code) for old engines; ERR-2/3/4/8 for v2.5+.
        err1 = f"{location}^{error.code}&{label}&HL70357" if location else f"^^^{error.code}&{label}&HL70357"
        severity = "E"
        segments.append(
            "|".join(["ERR", err1, location, f"{error.code}^{label}^HL70357", severity, "", "", "", text])
        )
    return "\r".join(segments) + "\r"
