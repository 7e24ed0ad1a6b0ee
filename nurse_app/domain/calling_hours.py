"""Calling hours: the daily local window in which a ward may phone patients.

Times are stored in UTC but calling hours are a local rule ("not before 08:30
Beijing time"), so the arithmetic happens in the ward's IANA zone.
The window is half-open, ``[start, end)``: a call may start at 08:30 but not at 20:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import CallingHours, require_utc

__all__ = ["is_within_calling_hours", "next_calling_moment", "validate_calling_hours", "zone_of"]


@lru_cache(maxsize=64)
def zone_of(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, raising DomainError for an unknown zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(f"unknown time zone '{name}'") from exc


def validate_calling_hours(hours: CallingHours) -> ZoneInfo:
    """Check the window is a same-day window in a known zone; returns the zone."""
    if hours.start >= hours.end:
        # Windows crossing midnight are not a ward practice; refusing them keeps the rule simple.
        raise DomainError(
            f"calling hours must start before they end, got {hours.start.isoformat()}–{hours.end.isoformat()}"
        )
    if hours.start.tzinfo is not None or hours.end.tzinfo is not None:
        raise DomainError("calling hours are local wall-clock times and must not carry a tzinfo")
    return zone_of(hours.zone)


def is_within_calling_hours(moment: datetime, hours: CallingHours) -> bool:
    """True when ``moment`` (aware) falls inside ``[start, end)`` local time."""
    zone = validate_calling_hours(hours)
    local = require_utc(moment, "moment").astimezone(zone)
    return hours.start <= local.time() < hours.end


def next_calling_moment(moment: datetime, hours: CallingHours) -> datetime:
    """The first UTC moment at or after ``moment`` that lies inside calling hours.

    Inside the window → ``moment`` itself; before the start → today's start;
    at or after the end → the next day's start (all in the ward's local zone).
    """
    zone = validate_calling_hours(hours)
    moment = require_utc(moment, "moment")
    local = moment.astimezone(zone)
    if hours.start <= local.time() < hours.end:
        return moment
    day = local.date() if local.time() < hours.start else local.date() + timedelta(days=1)
    # A few days of look-ahead absorbs DST gaps that swallow the local start time in some zones.
    for _ in range(3):
        candidate = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
        if candidate >= moment and is_within_calling_hours(candidate, hours):
            return candidate
        day += timedelta(days=1)
    raise DomainError(f"no calling moment found after {moment.isoformat()} in zone {hours.zone}")
