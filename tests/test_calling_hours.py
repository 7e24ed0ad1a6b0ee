"""Calling hours: the next moment a ward may phone a patient."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nurse_app.domain.calling_hours import is_within_calling_hours, next_calling_moment
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import CallingHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = CallingHours()  # 08:30–20:00 Asia/Shanghai


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    """A local wall-clock time, returned as UTC like every stored time."""
    return datetime(y, mo, d, h, mi, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2024, 3, 10, 10, 0), local(2024, 3, 10, 10, 0)),  # inside → same moment
        (local(2024, 3, 10, 8, 30), local(2024, 3, 10, 8, 30)),  # start is inside
        (local(2024, 3, 10, 19, 59), local(2024, 3, 10, 19, 59)),
        (local(2024, 3, 10, 6, 0), local(2024, 3, 10, 8, 30)),  # before start → today's start
        (local(2024, 3, 10, 0, 0), local(2024, 3, 10, 8, 30)),
        (local(2024, 3, 10, 20, 0), local(2024, 3, 11, 8, 30)),  # end is outside → next day
        (local(2024, 3, 10, 23, 59), local(2024, 3, 11, 8, 30)),
        (local(2024, 2, 28, 22, 0), local(2024, 2, 29, 8, 30)),  # leap day
        (local(2023, 12, 31, 21, 0), local(2024, 1, 1, 8, 30)),  # year end
    ],
)
def test_next_calling_moment(moment: datetime, expected: datetime) -> None:
    assert next_calling_moment(moment, HOURS) == expected


def test_local_day_differs_from_utc_day() -> None:
    # 23:00 UTC on Mar 1 is 07:00 on Mar 2 in Shanghai: the start is Mar 2 08:30 local = 00:30 UTC,
    # not Mar 1 or Mar 3 as UTC-calendar arithmetic would say.
    moment = datetime(2024, 3, 1, 23, 0, tzinfo=UTC)
    assert next_calling_moment(moment, HOURS) == datetime(2024, 3, 2, 0, 30, tzinfo=UTC)


def test_result_is_utc_even_for_non_utc_input() -> None:
    moment = datetime(2024, 3, 10, 6, 0, tzinfo=SHANGHAI)
    result = next_calling_moment(moment, HOURS)
    assert result.utcoffset() == timedelta(0)
    assert result == local(2024, 3, 10, 8, 30)


def test_other_zone_with_dst() -> None:
    london = ZoneInfo("Europe/London")
    hours = CallingHours(start=time(9, 0), end=time(17, 0), zone="Europe/London")
    # Saturday 30 March 2024 evening → Sunday 31 March 09:00 BST (clocks went forward at 01:00).
    moment = local(2024, 3, 30, 18, 0, zone=london)
    result = next_calling_moment(moment, hours)
    assert result == local(2024, 3, 31, 9, 0, zone=london)
    assert result == datetime(2024, 3, 31, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end"), [(time(20, 0), time(8, 30)), (time(9, 0), time(9, 0))])
def test_window_must_start_before_it_ends(start: time, end: time) -> None:
    with pytest.raises(DomainError, match="must start before they end"):
        next_calling_moment(local(2024, 3, 10, 10), CallingHours(start=start, end=end))


def test_unknown_zone_rejected() -> None:
    with pytest.raises(DomainError, match="unknown time zone 'Mars/Olympus'"):
        next_calling_moment(local(2024, 3, 10, 10), CallingHours(zone="Mars/Olympus"))


def test_naive_datetime_rejected() -> None:
    with pytest.raises(DomainError, match="timezone-aware"):
        next_calling_moment(datetime(2024, 3, 10, 10, 0), HOURS)
    with pytest.raises(DomainError, match="timezone-aware"):
        is_within_calling_hours(datetime(2024, 3, 10, 10, 0), HOURS)


def test_is_within_calling_hours() -> None:
    assert is_within_calling_hours(local(2024, 3, 10, 8, 30), HOURS)
    assert not is_within_calling_hours(local(2024, 3, 10, 8, 29), HOURS)
    assert not is_within_calling_hours(local(2024, 3, 10, 20, 0), HOURS)


@st.composite
def calling_hours(draw: st.DrawFn) -> CallingHours:
    """A same-day window of any length in one of a few zones (one with DST)."""
    start = draw(st.integers(min_value=0, max_value=23 * 60 + 58))
    end = draw(st.integers(min_value=start + 1, max_value=23 * 60 + 59))
    zone = draw(st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]))
    return CallingHours(start=time(*divmod(start, 60)), end=time(*divmod(end, 60)), zone=zone)


@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    hours=calling_hours(),
)
def test_property_next_moment_is_earliest_inside(moment: datetime, hours: CallingHours) -> None:
    result = next_calling_moment(moment, hours)
    assert result >= moment
    assert is_within_calling_hours(result, hours)
    if is_within_calling_hours(moment, hours):
        assert result == moment
    else:
        # It lands on a start (no earlier inside moment was skipped) within about a day.
        zone = ZoneInfo(hours.zone)
        assert result.astimezone(zone).time() == hours.start
        assert result - moment <= timedelta(hours=25)
