"""The ward manager's headline figures for a period and a set of wards, with the previous period and targets.

Everything is computed by the pure definitions of ``nurse_app.domain.metrics``
over the records ``records.load_records`` reads (why not ``metrics_sql``: see
there), for every ward at once; a scope of several wards is computed as one
group (its median call duration is the median of all its calls, not a median
of medians). One read covers the period and the previous one.

The dashboard's ``hospital_headlines`` computes the same tallies from the day
totals the cache maintains on write (``headline_totals``, with ``headline_sql``
for the parts of a period that are not whole days), without reading the
hospital's records; the report tests hold both paths to the same numbers.

The plain counts are defined here (the report's legend repeats them):

* **Follow-ups completed**: tasks with status ``completed`` and ``completed_at`` in the period.
* **Scales filled**: responses submitted in the period that no correction supersedes.
* **Diseases covered**: distinct 3-character ICD-10 groups (``I50.9`` → ``I50``) of the
  primary diagnosis of encounters with a non-cancelled task due in the period.
* **Open critical alerts**: critical alerts raised in the period still open or escalated now.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from nurse_app.domain import metrics as pure
from nurse_app.domain.metrics import Durations, GroupBy, Period, Rate
from nurse_app.domain.model import DEFAULT_ZONE, TaskStatus, require_utc
from nurse_app.reports.headline_sql import OPEN_ALERT_STATUSES, icd10_group, open_critical_alerts
from nurse_app.reports.headline_totals import ward_counts
from nurse_app.reports.records import ScopeRecords, load_records
from nurse_app.reports.scope import previous_period
from nurse_app.reports.ward_counts import WardCounts
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import WardRow

__all__ = [
    "ALL",
    "FIGURE_KEYS",
    "OPEN_ALERT_STATUSES",
    "Figure",
    "Headline",
    "HospitalHeadlines",
    "Status",
    "Tally",
    "Targets",
    "headline",
    "headlines_from_records",
    "hospital_headlines",
    "open_critical_alerts",
    "tallies",
    "tallies_from_counts",
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


NO_RATE = Rate(0, 0)
NO_DURATIONS = Durations(0, None, None)


@dataclass(frozen=True, slots=True)
class Tally:
    """The raw numbers of one ward (or a whole scope) in one period."""

    miss: Rate = NO_RATE
    on_time: Rate = NO_RATE
    reach: Rate = NO_RATE
    satisfaction: Rate = NO_RATE
    durations: Durations = NO_DURATIONS
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


ALL = "*"  # the group key of a whole scope


def tallies(
    records: ScopeRecords,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    zone: str,
    open_critical: Mapping[str, int],
) -> dict[str, Tally]:
    """Tally of each of ``wards`` and of all of them together (key :data:`ALL`) in ``period``."""
    scope = set(wards)
    own = [t for t in records.tasks if t.ward_code in scope]
    # The scope as one more "ward": grouping by ward then gives its rates and median in the same pass.
    whole = [replace(t, ward_code=ALL) for t in own]
    whole_encounters = [replace(e, ward_code=ALL) for e in records.encounters if e.ward_code in scope]
    encounters = [e for e in records.encounters if e.ward_code in scope]
    both = [*own, *whole]
    by = GroupBy.WARD
    miss = pure.miss_rate(both, period, as_of=as_of, by=by, zone=zone)
    # Grouped by the encounter's ward: relabelled encounter copies find the same tasks by encounter id.
    on_time = pure.on_time_rate(
        [*encounters, *whole_encounters],
        records.tasks,
        records.attempts,
        period,
        as_of=as_of,
        by=by,
        zone=zone,
    )
    reach = pure.reach_rate(own, records.attempts, period, by=by, zone=zone)
    reach.update(pure.reach_rate(whole, records.attempts, period, by=by, zone=zone))
    durations = pure.call_durations(own, records.attempts, period, by=by, zone=zone)
    durations.update(pure.call_durations(whole, records.attempts, period, by=by, zone=zone))
    satisfaction = pure.satisfaction_rate(own, records.responses, period, by=by, zone=zone)
    satisfaction.update(pure.satisfaction_rate(whole, records.responses, period, by=by, zone=zone))

    completed: dict[str, int] = defaultdict(int)
    diseases: dict[str, set[str]] = defaultdict(set)
    primary = {e.id: e.primary_diagnosis for e in records.encounters}
    for t in own:
        if t.status == TaskStatus.COMPLETED and t.completed_at in period:
            completed[t.ward_code] += 1
        diagnosis = primary.get(t.encounter_id)
        if t.due_at in period and t.status != TaskStatus.CANCELLED and diagnosis and diagnosis.icd10.strip():
            diseases[t.ward_code].add(icd10_group(diagnosis.icd10))
    filled: dict[str, int] = defaultdict(int)
    ward_of = {t.id: t.ward_code for t in own}
    superseded = {r.supersedes for r in records.responses if r.supersedes and r.supersedes != r.id}
    for r in records.responses:
        if r.task_id in ward_of and r.id not in superseded and r.submitted_at in period:
            filled[ward_of[r.task_id]] += 1

    result: dict[str, Tally] = {}
    for key in [*wards, ALL]:
        members = list(wards) if key == ALL else [key]
        result[key] = Tally(
            miss=miss.get(key, Rate(0, 0)),
            on_time=on_time.get(key, Rate(0, 0)),
            reach=reach.get(key, Rate(0, 0)),
            satisfaction=satisfaction.get(key, Rate(0, 0)),
            durations=durations.get(key, Durations(0, None, None)),
            completed=sum(completed[w] for w in members),
            responses=sum(filled[w] for w in members),
            diseases=frozenset().union(*(diseases[w] for w in members)),
            open_critical=sum(open_critical.get(w, 0) for w in members),
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


def headlines_from_records(
    conn: Executor,
    records: ScopeRecords,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
) -> dict[str, Headline]:
    """Headline of each ward and of all together (key :data:`ALL`); ``records`` must cover both periods."""
    targets = targets or Targets()
    before = previous_period(period)
    now = tallies(
        records,
        wards,
        period,
        as_of=as_of,
        zone=zone,
        open_critical=open_critical_alerts(conn, wards, period),
    )
    then = tallies(
        records,
        wards,
        before,
        as_of=as_of,
        zone=zone,
        open_critical=open_critical_alerts(conn, wards, before),
    )
    return {key: make_headline(period, now[key], then[key], targets) for key in now}


def headline(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    *,
    as_of: datetime,
    zone: str = DEFAULT_ZONE,
    targets: Targets | None = None,
) -> Headline:
    """The headline of ``wards`` (one or several, as one group) for ``period`` and the period before."""
    records = load_records(conn, wards, Period(previous_period(period).start, period.end))
    return headlines_from_records(conn, records, wards, period, as_of=as_of, zone=zone, targets=targets)[ALL]


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
    """Headlines of every ward of the cache (or of ``wards``, e.g. a manager's) and of their total.

    Read from the day totals the cache maintains on write (``headline_totals``): milliseconds
    for a whole hospital, where counting its records takes tens of seconds.
    """
    codes = sorted(wards) if wards is not None else [c for (c,) in conn.execute(select(WardRow.code))]
    targets = targets or Targets()
    as_of = require_utc(as_of, "as_of")
    now = tallies_from_counts(ward_counts(conn, codes, period, as_of=as_of), codes)
    then = tallies_from_counts(ward_counts(conn, codes, previous_period(period), as_of=as_of), codes)
    found = {key: make_headline(period, now[key], then[key], targets) for key in now}
    total = found.pop(ALL)
    return HospitalHeadlines(found, total)


def tallies_from_counts(counts: Mapping[str, WardCounts], wards: Sequence[str]) -> dict[str, Tally]:
    """The Tally of each of ``wards`` and of all of them (key :data:`ALL`), as ``tallies`` makes them."""
    codes = list(dict.fromkeys(wards))
    result: dict[str, Tally] = {}
    for key in [*wards, ALL]:
        # As in ``tallies``: rates count a record once per group, the plain counts sum the members.
        own = [counts[w] for w in (codes if key == ALL else [key]) if w in counts]
        members = [counts[w] for w in (wards if key == ALL else [key]) if w in counts]
        seconds = [s for c in own for s in c.seconds]
        result[key] = Tally(
            miss=Rate(sum(c.missed for c in own), sum(c.closed for c in own)),
            on_time=Rate(sum(c.on_time for c in own), sum(c.discharges for c in own)),
            reach=Rate(sum(c.reached for c in own), sum(c.attempted for c in own)),
            satisfaction=Rate(sum(c.satisfied for c in own), sum(c.votes for c in own)),
            durations=(
                Durations(len(seconds), statistics.median(seconds), statistics.fmean(seconds))
                if seconds
                else NO_DURATIONS
            ),
            completed=sum(c.completed for c in members),
            responses=sum(c.filled for c in members),
            diseases=frozenset().union(*(c.diseases for c in own)),
            open_critical=sum(c.open_critical for c in members),
        )
    return result
