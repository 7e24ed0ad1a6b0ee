"""Typed values of a definition (bounds, initial values, answers, thresholds) to and from field text.

The author types text; the definition needs a bool, a number or a string
depending on the item type. Text that does not parse is kept as the string
typed, so the definition check can name the mistake in the problems list
instead of the edit being silently dropped.
"""

from __future__ import annotations

from nurse_app.domain.forms import ItemType
from nurse_app.domain.forms.messages import fmt

_TRUE = {"true", "yes", "y", "1", "是", "真"}
_FALSE = {"false", "no", "n", "0", "否", "假"}
_NUMBER_TYPES = {ItemType.INTEGER, ItemType.DECIMAL, ItemType.QUANTITY}


def parse_number(text: str) -> int | float | str | None:
    """``"3"`` → 3, ``"2.5"`` → 2.5, ``""`` → None, anything else → the text itself."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_int(text: str) -> int | str | None:
    value = parse_number(text)
    return int(value) if isinstance(value, float) and value.is_integer() else value  # type: ignore[return-value]


def parse_bool(text: str) -> bool | str | None:
    low = text.strip().lower()
    if not low:
        return None
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return text.strip()


def parse_typed(text: str, item_type: str, ordinal: bool = False) -> object:
    """A constant for an item of ``item_type``: bool, number or string (``ordinal``: a number)."""
    if item_type == ItemType.BOOLEAN:
        return parse_bool(text)
    if ordinal or item_type in _NUMBER_TYPES:
        return parse_number(text)
    text = text.strip()
    return text or None


def parse_list(text: str, item_type: str, ordinal: bool = False) -> tuple[object, ...]:
    """Comma-separated values (``,`` or ``，``), each parsed with :func:`parse_typed`."""
    parts = [p for p in text.replace("，", ",").split(",") if p.strip()]
    return tuple(v for v in (parse_typed(p, item_type, ordinal) for p in parts) if v is not None)


def show(value: object) -> str:
    """Field text of a value: ``None`` → "", 180.0 → "180", (a, b) → "a, b", True → "true"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return fmt(value)
