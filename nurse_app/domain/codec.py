"""Domain records as JSON-ready dicts, and back: the one codec of the outbox and the wire.

Datetimes as ISO 8601 UTC with ``Z``, dates as ``YYYY-MM-DD``, enums as their
values, tuples as lists. Unknown or missing fields are refused, never dropped,
so nothing a PC records can vanish between the outbox and the service.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime, time, timezone
from enum import Enum
from functools import cache
from typing import Any

from nurse_app.domain import model

ENTITY_TYPES: dict[str, type] = {
    "patient": model.Patient,
    "encounter": model.Encounter,
    "enrollment": model.Enrollment,
    "task": model.FollowUpTask,
    "call_attempt": model.CallAttempt,
    "response": model.Response,
    "alert": model.Alert,
    "audit_event": model.AuditEvent,
}


class PayloadError(ValueError):
    """A payload that does not describe a valid record of its entity."""


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix; naive datetimes are refused (ambiguous by 8 hours)."""
    if moment.tzinfo is None:
        raise PayloadError(f"naive datetime {moment.isoformat()}")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    return value


def entity_to_payload(record: Any) -> dict[str, Any]:
    """Encode a domain dataclass (Patient, FollowUpTask, Plan…) as a JSON-ready dict."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"not a domain record: {record!r}")
    return _encode(record)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any, path: str) -> Any:
    if hint is object or hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if value is None and len(options) < len(typing.get_args(hint)):
            return None
        return _decode(options[0], value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise PayloadError(f"{path}: expected a list")
        item_hint = typing.get_args(hint)[0]
        return tuple(_decode(item_hint, item, f"{path}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _from_dict(hint, value, path)
    try:
        return _decode_scalar(hint, value, path)
    except (TypeError, ValueError) as error:
        if isinstance(error, PayloadError):
            raise
        raise PayloadError(f"{path}: {error}") from None


def _decode_scalar(hint: Any, value: Any, path: str) -> Any:
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is datetime:
        if not isinstance(value, str):
            raise PayloadError(f"{path}: expected an ISO 8601 string")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise PayloadError(f"{path}: datetime must carry a zone (UTC with Z)")
        return moment.astimezone(timezone.utc)
    if hint is date:
        if not isinstance(value, str) or len(value) != 10:
            raise PayloadError(f"{path}: expected YYYY-MM-DD")
        return date.fromisoformat(value)
    if hint is time:
        return time.fromisoformat(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise PayloadError(f"{path}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(f"{path}: expected an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PayloadError(f"{path}: expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise PayloadError(f"{path}: expected a string")
        return value
    raise PayloadError(f"{path}: unsupported field type {hint!r}")


def _from_dict(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise PayloadError(f"{path}: expected an object")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        # Refused rather than ignored: nothing a client sends may be dropped silently.
        raise PayloadError(f"{path}: unknown field(s) {', '.join(unknown)}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise PayloadError(f"{path}: missing field '{f.name}'")
    return cls(**kwargs)


def payload_to_entity(entity: str, payload: dict[str, Any]) -> Any:
    """Decode ``payload`` into the domain dataclass of ``entity``; raises PayloadError when invalid."""
    try:
        cls = ENTITY_TYPES[entity]
    except KeyError:
        raise PayloadError(f"unknown entity '{entity}'") from None
    return _from_dict(cls, payload, entity)


def dataclass_from_payload(cls: type, payload: dict[str, Any]) -> Any:
    """Decode any domain dataclass (Plan, Ward…) from its payload form."""
    return _from_dict(cls, payload, cls.__name__)


def normalise_payload(entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip a payload through its dataclass so equal records compare equal as dicts."""
    return entity_to_payload(payload_to_entity(entity, payload))
