"""The ward manager's headline figures for a period and a set of wards, with the previous period and targets.

The five rates come from ``nurse_app.store.metrics_sql.rate_table`` grouped by
ward — the very numbers ``nurse-station stats --by ward`` prints — and a scope
of several wards adds their numerators and denominators (rates are additive,
medians are not: the scope's call durations get their own query). The counts
(follow-ups completed, scales filled, diseases covered, open critical alerts)
are small extra queries grouped by ward the same way, so one pass serves the
dashboard's every ward and the hospital total alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from nurse_app.domain.metrics import Durations, GroupBy, Period, Rate
from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.reports import counts
from nurse_app.reports.scope import previous_period
from nurse_app.store.metrics_sql import Executor, rate_table

__all__ = [
    "FIGURE_KEYS",
    "Figure",
    "Headline",
    "HospitalHeadlines",
    "Status",
    "Targets",
    "Tally",
    "headline",
    "hospital_headlines",
    "ward_tallies",
]

FIGURE_KEYS = (
    "miss",
    "on_time",
    "reach",
    "duration_median",
    "duration_mean",
    "satisfaction",
    "completed",
    "responses",
    "diseases",
    "open_critical",
)
RATE_KEYS = frozenset({"miss", "on_time", "reach", "satisfaction"})
SECONDS_KEYS = frozenset({"duration_median", "duration_mean"})


class Status(StrEnum):
    GOOD = "good"
    WARN = "warn"
    BAD = "bad"


@dataclass(frozen=True, slots=True)
class Targets:
    """The hospital's goals; a value within ``warn_margin`` of its goal on the wrong side is a warning."""

    miss_max: float = 0.05
    on_time_min: float = 0.95
    reach_min: float = 0.90
    satisfaction_min: float = 0.95
    open_critical_max: int = 0
    warn_margin: float = 0.02

    def target_of(self, key: str) -> tuple[float | None, bool | None]:
        """(goal, higher is better) of a figure; (None, None) for figures without a goal."""
        return {
            "miss": (self.miss_max, False),
            "on_time": (self.on_time_min, True),
            "reach": (self.reach_min, True),
            "satisfaction": (self.satisfaction_min, True),
            "open_critical": (self.open_critical_max, False),
        }.get(key, (None, None))

    def status(self, key: str, value: float | None) -> Status | None:
        goal, higher_better = self.target_of(key)
        if goal is None or value is None:
            return None
        shortfall = goal - value if higher_better else value - goal
        if shortfall <= 1e-12:  # exactly on target is good, whatever the float rounding
            return Status.GOOD
        if key in RATE_KEYS and shortfall <= self.warn_margin:
            return Status.WARN
        return Status.BAD


@dataclass(frozen=True, slots=True)
class Tally:
    """The raw numbers of one ward (or a whole scope) in one period."""

    miss: Rate = Rate(0, 0)
    on_time: Rate = Rate(0, 0)
    reach: Rate = Rate(0, 0)
    satisfaction: Rate = Rate(0, 0)
    durations: Durations = Durations(0, None, None)
    completed: int = 0
    responses: int = 0
    diseases: frozenset[str] = frozenset()
    open_critical: int = 0

    @property
    def has_data(self) -> bool:
        return any(
            (
                self.miss.denominator,
                self.on_time.denominator,
                self.reach.denominator,
                self.satisfaction.denominator,
                self.durations.count,
                self.completed,
                self.responses,
                self.open_critical,
            )
        )

    def value(self, key: str) -> float | int | None:
        if key in RATE_KEYS:
            return getattr(self, key).value
        if key == "duration_median":
            return self.durations.median_s
        if key == "duration_mean":
            return self.durations.mean_s
        if key == "diseases":
            return len(self.diseases) if self.has_data else None
        number = getattr(self, key)
        return number if self.has_data else None


def _add(a: Rate, b: Rate) -> Rate:
    return Rate(a.numerator + b.numerator, a.denominator + b.denominator)


def merge(tallies: Iterable[Tally], durations: Durations) -> Tally:
    """Several wards as one; ``durations`` of the union must be computed separately (medians do not add)."""
    total = Tally(durations=durations)
    for t in tallies:
        total = Tally(
            miss=_add(total.miss, t.miss),
            on_time=_add(total.on_time, t.on_time),
            reach=_add(total.reach, t.reach),
            satisfaction=_add(total.satisfaction, t.satisfaction),
            durations=durations,
            completed=total.completed + t.completed,
            responses=total.responses + t.responses,
            diseases=total.diseases | t.diseases,
            open_critical=total.open_critical + t.open_critical,
        )
    return total


def ward_tallies(conn: Executor, period: Period, *, as_of: datetime, zone: str = DEFAULT_ZONE) -> dict[str, Tally]:
    """Every ward with data in the period → its Tally (one grouped pass over the cache)."""
    table = rate_table(conn, period, as_of=as_of, by=GroupBy.WARD, zone=zone)
    extra = counts.counts_by_ward(conn, period)
    wards = {row.group for row in table.rows} | set(extra)
    rows = {row.group: row for row in table.rows}
    result = {}
    for ward in sorted(wards):
        row = rows.get(ward)
        more = extra.get(ward, counts.WardCounts())
        result[ward] = Tally(
            miss=row.miss if row else Rate(0, 0),
            on_time=row.on_time if row else Rate(0, 0),
            reach=row.reach if row else Rate(0, 0),
            satisfaction=row.satisfaction if row else Rate(0, 0),
            durations=row.durations if row else Durations(0, None, None),
            completed=more.completed,
            responses=more.responses,
            diseases=more.diseases,
            open_critical=more.open_critical,
        )
    return result


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline number with its previous-period value, goal and traffic-light status."""

    key: str
    value: float | int | None
    previous: float | int | None
    target: float | int | None = None
    higher_is_better: bool | None = None
    status: Status | None = None
    numerator: int | None = None
    denominator: int | None = None

    @property
    def kind(self) -> str:
        """``rate`` (0–1 fraction), ``seconds`` or ``count`` — how to format the value."""
        return "rate" if self.key in RATE_KEYS else "seconds" if self.key in SECONDS_KEYS else "count"


@dataclass(frozen=True, slots=True)
class Headline:
    """The headline figures of one scope: ``figures`` in display order (see ``FIGURE_KEYS``)."""

    period: Period
    previous_period: Period
    current: Tally
    previous: Tally
    figures: tuple[Figure, ...] = field(default=())

    @property
    def has_data(self) -> bool:
        return self.current.has_data

    def __getattr__(self, key: str) -> Figure:
        # headline.miss, headline.on_time … read naturally in the UI and in templates.
        for figure in object.__getattribute__(self, "figures"):
            if figure.key == key:
                return figure
        raise AttributeError(key)


def make_headline(period: Period, current: Tally, previous: Tally, targets: Targets) -> Headline:
    figures = []
    for key in FIGURE_KEYS:
        value = current.value(key)
        goal, higher_better = targets.target_of(key)
        rate = getattr(current, key) if key in RATE_KEYS else None
        figures.append(
            Figure(
                key,
                value,
                previous.value(key),
                goal,
                higher_better,
                targets.status(key, value),
                rate.numerator if rate else None,
                rate.denominator if rate else None,
            )
        )
    return Headline(period, previous_period(period), current, previous, tuple(figures))


def _scope_tally(
    conn: Executor, tallies: Mapping[str, Tally], wards: Sequence[str], period: Period
) -> Tally:
    if len(wards) == 1:
        return tallies.get(wards[0], Tally())  # the ward's own median, exactly as stats prints it
    return merge((tallies[w] for w in wards if w in tallies), counts.call_durations(conn, period, wards))


def headline(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
) -> Headline:
    """The headline of ``wards`` (one or several) for ``period``, compared with the period just before."""
    before = previous_period(period)
    now_tallies = ward_tallies(conn, period, as_of=as_of, zone=zone)
    then_tallies = ward_tallies(conn, before, as_of=as_of, zone=zone)
    return make_headline(
        period,
        _scope_tally(conn, now_tallies, wards, period),
        _scope_tally(conn, then_tallies, wards, before),
        targets or Targets(),
    )


@dataclass(frozen=True, slots=True)
class HospitalHeadlines:
    """The dashboard's overview: one Headline per ward and one for all of them together."""

    by_ward: dict[str, Headline]
    total: Headline


def hospital_headlines(
    conn: Executor,
    period: Period,
    *,
    as_of: datetime,
    wards: Sequence[str] | None = None,
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
) -> HospitalHeadlines:
    """Headlines of every ward (or of ``wards``, e.g. a manager's) and of their total, in one pass per period."""
    targets = targets or Targets()
    before = previous_period(period)
    now_tallies = ward_tallies(conn, period, as_of=as_of, zone=zone)
    then_tallies = ward_tallies(conn, before, as_of=as_of, zone=zone)
    codes = sorted(wards if wards is not None else set(now_tallies) | set(then_tallies))
    by_ward = {
        code: make_headline(period, now_tallies.get(code, Tally()), then_tallies.get(code, Tally()), targets)
        for code in codes
    }
    selected = None if wards is None else codes  # None: no ward filter in the durations query
    total = make_headline(
        period,
        merge((now_tallies[c] for c in codes if c in now_tallies), counts.call_durations(conn, period, selected)),
        merge((then_tallies[c] for c in codes if c in then_tallies), counts.call_durations(conn, before, selected)),
        targets,
    )
    return HospitalHeadlines(by_ward, total)
