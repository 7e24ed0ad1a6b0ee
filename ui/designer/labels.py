"""Human names of the engine's enums, marked for the catalogue and translated where shown."""

from __future__ import annotations

from nurse_app.domain.forms import ItemType
from nurse_app.domain.model import AlertSeverity, PublicationStatus
from ui.i18n import N_, _

ITEM_TYPE_NAMES: dict[ItemType, str] = {
    ItemType.GROUP: N_("Group"),
    ItemType.DISPLAY: N_("Display text"),
    ItemType.BOOLEAN: N_("Yes / no"),
    ItemType.CHOICE: N_("Single choice"),
    ItemType.OPEN_CHOICE: N_("Choice or other text"),
    ItemType.INTEGER: N_("Whole number"),
    ItemType.DECIMAL: N_("Decimal number"),
    ItemType.QUANTITY: N_("Quantity with unit"),
    ItemType.STRING: N_("Short text"),
    ItemType.TEXT: N_("Long text"),
    ItemType.DATE: N_("Date"),
    ItemType.DATETIME: N_("Date and time"),
}

#: Short names for the item tree's Type column, where space is tight.
ITEM_TYPE_SHORT: dict[ItemType, str] = {
    ItemType.GROUP: N_("group"),
    ItemType.DISPLAY: N_("display"),
    ItemType.BOOLEAN: N_("yes/no"),
    ItemType.CHOICE: N_("choice"),
    ItemType.OPEN_CHOICE: N_("open choice"),
    ItemType.INTEGER: N_("integer"),
    ItemType.DECIMAL: N_("decimal"),
    ItemType.QUANTITY: N_("quantity"),
    ItemType.STRING: N_("string"),
    ItemType.TEXT: N_("text"),
    ItemType.DATE: N_("date"),
    ItemType.DATETIME: N_("date-time"),
}

STATUS_NAMES: dict[PublicationStatus, str] = {
    PublicationStatus.DRAFT: N_("Draft"),
    PublicationStatus.PUBLISHED: N_("Published"),
    PublicationStatus.RETIRED: N_("Retired"),
}

SEVERITY_NAMES: dict[AlertSeverity, str] = {
    AlertSeverity.WARNING: N_("Warning"),
    AlertSeverity.CRITICAL: N_("Critical"),
}

# Operators read the same in both languages except "exists" and "in", which need words.
OPERATOR_NAMES: dict[str, str] = {
    "exists": N_("is answered"),
    "in": N_("is one of"),
}


def item_type_name(item_type: object) -> str:
    """The translated name of an item type (an unknown type string is shown as is)."""
    name = ITEM_TYPE_NAMES.get(item_type) if isinstance(item_type, str) else None  # type: ignore[call-overload]
    return _(name) if name else str(item_type)


def item_type_short(item_type: object) -> str:
    """The short translated name of an item type, for narrow columns."""
    name = ITEM_TYPE_SHORT.get(item_type) if isinstance(item_type, str) else None  # type: ignore[call-overload]
    return _(name) if name else str(item_type)


def status_name(status: object) -> str:
    name = STATUS_NAMES.get(status) if isinstance(status, str) else None  # type: ignore[call-overload]
    return _(name) if name else str(status)


def severity_name(severity: object) -> str:
    name = SEVERITY_NAMES.get(severity) if isinstance(severity, str) else None  # type: ignore[call-overload]
    return _(name) if name else str(severity)


def operator_name(op: str) -> str:
    name = OPERATOR_NAMES.get(op)
    return f"{op} ({_(name)})" if name else op
