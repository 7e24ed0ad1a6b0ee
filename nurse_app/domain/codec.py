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


# --- encoding ---------------------------------------------------------------------------------
#
# Dispatch on the value's exact type, decided once per type and cached: the same answers as the
# chain of isinstance checks (Enum, datetime, date/time, dataclass instance, tuple/list, dict,
# anything else as is), without re-asking them for every value.

_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _identity(value: Any) -> Any:
    return value


def _encode_enum(value: Any) -> Any:
    return value.value


def _encode_isoformat(value: Any) -> Any:
    return value.isoformat()


def _encode_sequence(value: Any) -> Any:
    return [item if type(item) in _PLAIN else _encode(item) for item in value]


def _encode_mapping(value: Any) -> Any:
    return {str(key): item if type(item) in _PLAIN else _encode(item) for key, item in value.items()}


def _dataclass_encoder(cls: type) -> Any:
    names = tuple(f.name for f in dataclasses.fields(cls))
    plain = _PLAIN

    def encode(value: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            item = getattr(value, name)
            out[name] = item if type(item) in plain else _encode(item)
        return out

    return encode


def _encoder_for(kind: type) -> Any:
    if issubclass(kind, Enum):
        encoder = _encode_enum
    elif issubclass(kind, datetime):
        encoder = format_utc
    elif issubclass(kind, date | time):
        encoder = _encode_isoformat
    elif dataclasses.is_dataclass(kind) and not issubclass(kind, type):
        encoder = _dataclass_encoder(kind)
    elif issubclass(kind, tuple | list):
        encoder = _encode_sequence
    elif issubclass(kind, dict):
        encoder = _encode_mapping
    else:
        encoder = _identity
    _ENCODERS[kind] = encoder
    return encoder


_ENCODERS: dict[type, Any] = dict.fromkeys(_PLAIN, _identity)


def _encode(value: Any) -> Any:
    encoder = _ENCODERS.get(type(value))
    if encoder is None:
        encoder = _encoder_for(type(value))
    return encoder(value)


def entity_to_payload(record: Any) -> dict[str, Any]:
    """Encode a domain dataclass (Patient, FollowUpTask, Plan…) as a JSON-ready dict."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"not a domain record: {record!r}")
    return _encode(record)


# --- decoding ----------------------------------------------------------------------------------
#
# Each field type gets a decoder function made once (per class, cached). A decoder takes the JSON
# value and returns the domain value; on a bad value it raises ``_Invalid`` with the message, and
# every enclosing level adds its part of the path (".field", "[3]") on the way out, so the path
# string is only built for the error. ``PayloadError`` messages are those of the per-value checks:
# ``<entity>.<field>[<i>]…: <what is wrong>``.


class _Invalid(Exception):
    """Internal: a bad value; ``parts`` are the path segments below the level that raised it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.parts: list[str] = []


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise _Invalid("expected a string")


def _decode_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Invalid("expected an integer")


def _decode_float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid("expected a number")
    return float(value)


def _decode_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise _Invalid("expected true or false")


def _decode_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise _Invalid("expected an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError) as error:
        raise _Invalid(str(error)) from None
    if moment.tzinfo is None:
        raise _Invalid("datetime must carry a zone (UTC with Z)")
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


def _decode_date(value: Any) -> Any:
    if not isinstance(value, str) or len(value) != 10:
        raise _Invalid("expected YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise _Invalid(str(error)) from None


def _decode_time(value: Any) -> Any:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise _Invalid(str(error)) from None


def _enum_decoder(kind: type[Enum]) -> Any:
    # Members with a plain JSON value (str, int…); any other value is looked up the slow way below.
    members = {}
    for member in kind:
        if type(member.value) in _PLAIN:
            members.setdefault(member.value, member)

    def decode(value: Any) -> Any:
        # Exact-type hits only (True == 1 and 1.0 == 1 must still go through the Enum's own lookup).
        member = members.get(value) if type(value) in _PLAIN else None
        if member is not None and type(member.value) is type(value):
            return member
        try:
            return kind(value)
        except (TypeError, ValueError) as error:
            raise _Invalid(str(error)) from None

    return decode


def _unsupported(hint: Any) -> Any:
    def decode(value: Any) -> Any:
        try:
            # What the per-value check did for such a hint (a generic alias fails issubclass).
            if isinstance(hint, type) and issubclass(hint, Enum):
                return hint(value)
        except (TypeError, ValueError) as error:
            raise _Invalid(str(error)) from None
        raise _Invalid(f"unsupported field type {hint!r}")

    return decode


def _optional_decoder(inner: Any) -> Any:
    def decode(value: Any) -> Any:
        return None if value is None else inner(value)

    _AS_IS[decode] = _AS_IS.get(inner, frozenset()) | {type(None)}
    return decode


def _tuple_decoder(item_decoder: Any) -> Any:
    def decode(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _Invalid("expected a list")
        if item_decoder is None:
            return tuple(value)
        items = []
        for index, item in enumerate(value):
            try:
                items.append(item_decoder(item))
            except _Invalid as invalid:
                invalid.parts.append(f"[{index}]")
                raise
        return tuple(items)

    return decode


# Exact JSON types a decoder returns unchanged: the class decoder skips the call for them.
_AS_IS: dict[Any, frozenset[type]] = {
    _decode_str: frozenset({str}),
    _decode_int: frozenset({int}),
    _decode_bool: frozenset({bool}),
}


def _decoder(hint: Any) -> Any:
    """The decoder of one field type; None means "the value as is" (``Any``/``object``)."""
    if hint is object or hint is Any:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        options = [arg for arg in args if arg is not type(None)]
        inner = _decoder(options[0]) or _identity
        return _optional_decoder(inner) if len(options) < len(args) else inner
    if origin is tuple:
        return _tuple_decoder(_decoder(typing.get_args(hint)[0]))
    if dataclasses.is_dataclass(hint):
        return _class_decoder(hint)
    try:
        if isinstance(hint, type) and issubclass(hint, Enum):
            return _enum_decoder(hint)
    except TypeError:  # list[str], dict[str, Any]…: not a class
        return _unsupported(hint)
    scalar = {datetime: _decode_datetime, date: _decode_date, time: _decode_time, bool: _decode_bool}
    scalar.update({int: _decode_int, float: _decode_float, str: _decode_str})
    return scalar.get(hint) or _unsupported(hint)


_CLASS_DECODERS: dict[type, Any] = {}


def _class_decoder(cls: type) -> Any:
    """The decoder of a dataclass from its dict form (made lazily, once per class)."""
    known = _CLASS_DECODERS.get(cls)
    if known is not None:
        return known
    specs: list[tuple[str, Any, bool, frozenset[type]]] | None = None
    names: frozenset[str] = frozenset()

    def prepare() -> list[tuple[str, Any, bool, frozenset[type]]]:
        # Built on first use, not when made, so self-referencing classes (Item → Item) work.
        nonlocal specs, names
        fields = dataclasses.fields(cls)
        names = frozenset(f.name for f in fields)
        hints = _hints(cls)
        built = []
        for f in fields:
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            decoder = _decoder(hints[f.name])
            built.append((f.name, decoder, required, _AS_IS.get(decoder, frozenset())))
        specs = built
        return built

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Invalid("expected an object")
        fields = specs if specs is not None else prepare()
        if not names.issuperset(data):
            # Refused rather than ignored: nothing a client sends may be dropped silently.
            raise _Invalid(f"unknown field(s) {', '.join(sorted(set(data) - names))}")
        kwargs = {}
        for name, decoder, required, as_is in fields:
            if name in data:
                value = data[name]
                if decoder is None or type(value) in as_is:  # the common case, without a call
                    kwargs[name] = value
                    continue
                try:
                    kwargs[name] = decoder(value)
                except _Invalid as invalid:
                    invalid.parts.append(f".{name}")
                    raise
            elif required:
                raise _Invalid(f"missing field '{name}'")
        return cls(**kwargs)

    _CLASS_DECODERS[cls] = decode
    return decode


def _from_dict(cls: type, data: Any, path: str) -> Any:
    try:
        return _class_decoder(cls)(data)
    except _Invalid as invalid:
        where = path + "".join(reversed(invalid.parts))
        raise PayloadError(f"{where}: {invalid.message}") from None


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
