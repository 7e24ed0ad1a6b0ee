"""Answer values: emptiness, per-type coercion to comparable keys, and comparison operators.

Answers arrive as plain JSON-ish values (``dict[linkId, value | list[value]]``).
Every comparison in the engine (enableWhen, ranges, critical rules) runs on a
*key* made from the raw value by the item type: a bool, a number, a ``date``,
an aware ``datetime`` or a string. A value of the wrong shape becomes
:data:`INVALID`, which never compares true — so a typo in one answer can hide
nothing and raise nothing; validation reports it instead.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

from nurse_app.domain.forms.definition import ItemType


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


#: The key of a value that does not fit its item type.
INVALID: Any = _Invalid()

COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def is_empty(value: object) -> bool:
    """True for "no answer": ``None``, blank strings, empty lists, a quantity without a value."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return value.get("value") is None
    if isinstance(value, (list, tuple)):
        return all(is_empty(v) for v in value)
    return False


def answer_values(raw: object) -> list[object]:
    """The non-empty values of one answer entry, always as a list (repeating or not)."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return [v for v in raw if not is_empty(v)]
    return [] if is_empty(raw) else [raw]


def _number(value: object) -> float | int | Any:
    # bool is an int subclass; a "yes" must never pass for the number 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return INVALID
    if isinstance(value, float) and not math.isfinite(value):
        return INVALID
    return value


def parse_date(value: object) -> date | Any:
    if isinstance(value, datetime):
        return INVALID
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        return INVALID  # YYYY-MM-DD only: ambiguous compact forms are not accepted from a form
    try:
        return date.fromisoformat(value)
    except ValueError:
        return INVALID


def parse_datetime(value: object) -> datetime | Any:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) >= 10:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return INVALID
    else:
        return INVALID
    # Naive and aware datetimes do not compare; a naive one is read as UTC so comparisons never raise.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def coerce(item_type: str, value: object) -> Any:
    """The comparable key of one answer ``value`` of an item of ``item_type``, or :data:`INVALID`."""
    if item_type == ItemType.BOOLEAN:
        return value if isinstance(value, bool) else INVALID
    if item_type == ItemType.INTEGER:
        num = _number(value)
        if isinstance(num, float):
            return int(num) if num.is_integer() else INVALID
        return num
    if item_type == ItemType.DECIMAL:
        return _number(value)
    if item_type == ItemType.QUANTITY:
        if not isinstance(value, dict):
            return INVALID
        unit = value.get("unit")
        if unit is not None and not isinstance(unit, str):
            return INVALID
        return _number(value.get("value"))
    if item_type in (ItemType.STRING, ItemType.TEXT, ItemType.CHOICE, ItemType.OPEN_CHOICE):
        return value if isinstance(value, str) else INVALID
    if item_type == ItemType.DATE:
        return parse_date(value)
    if item_type == ItemType.DATETIME:
        return parse_datetime(value)
    return INVALID


def coerce_constant(item_type: str, value: object) -> Any:
    """Like :func:`coerce`, for a constant in the definition (enableWhen answer, rule threshold, bound).

    A quantity constant is a bare number (compared with the quantity's value) or a quantity dict.
    """
    if item_type == ItemType.QUANTITY:
        return _number(value) if not isinstance(value, dict) else coerce(item_type, value)
    return coerce(item_type, value)


def compare(op: str, left: Any, right: Any) -> bool:
    """``left <op> right`` where a type clash (e.g. date vs number) is simply false."""
    if left is INVALID or right is INVALID:
        return False
    try:
        return bool(COMPARATORS[op](left, right))
    except TypeError:
        return False


def coerce_condition(item_type: str, op: str, value: object) -> Any:
    """The key a condition (enableWhen answer or rule threshold) compares answers of ``item_type`` with.

    Ordering operators on choice items compare the chosen option's ordinal, so
    their constant is a number; ``=``/``!=`` on choices compare option codes;
    ``in`` takes a non-empty collection and yields a ``frozenset`` of keys;
    ``exists`` takes a bool. Returns :data:`INVALID` when the constant does not fit.
    """
    if op == "exists":
        return value if isinstance(value, bool) else INVALID
    if op == "in":
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple, set, frozenset)):
            return INVALID
        keys = [coerce_condition(item_type, "=", v) for v in value]
        if not keys or any(k is INVALID for k in keys):
            return INVALID
        try:
            return frozenset(keys)
        except TypeError:
            return INVALID
    if op in ("=", "!="):
        return coerce_constant(item_type, value)
    if op in (">", "<", ">=", "<="):
        if item_type in (ItemType.CHOICE, ItemType.OPEN_CHOICE):
            return _number(value)
        if item_type in (ItemType.BOOLEAN, ItemType.STRING, ItemType.TEXT):
            return INVALID
        return coerce_constant(item_type, value)
    return INVALID
