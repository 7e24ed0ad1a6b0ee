"""The ward manager's rates, defined once as pure functions over domain objects.

DESIGN.md "Definitions that every number uses" is the specification; each
function below cites the sentence it implements and pins down the edge cases
the sentence leaves open. ``nurse_app.store.metrics_sql`` computes the same
numbers as SQL aggregates, and ``tests/test_metrics_agree.py`` proves the two
agree on random data, so a miss rate on the desktop and on the server never
differ.

Conventions shared by every rate:

* A :class:`Period` is half-open, ``[start, end)``, of aware UTC datetimes.
* ``as_of`` is "now": windows that have not closed yet are not judged.
* Results are ``dict[str, Rate]`` (or ``dict[str, Durations]``) keyed by the
  value of the :class:`GroupBy` dimension; an unassigned nurse is ``''``.
* ``month`` is ``'YYYY-MM'`` in the ward's zone. The zone's UTC offset is taken
  once, at ``period.start``: exact for Asia/Shanghai (fixed UTC+8, no DST);
  for a zone with DST, moments on the other side of a switch inside the period
  are still shifted by the offset in force at the period start. SQL engines
  cannot cheaply apply per-row zone rules, and one offset keeps both sides equal.
* Records whose task is not among the given tasks are ignored, as an SQL inner
  join would ignore them. Ids are assumed unique.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from nurse_app.domain.calling_hours import zone_of
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import (
    DEFAULT_ZONE,
    SATISFIED_ORDINAL,
    Answer,
    CallAttempt,
    CallOutcome,
    Encounter,
    FollowUpTask,
    Response,
    TaskStatus,
    require_utc,
)

__all__ = [
    "EXCLUDED_FROM_MISS_RATE",
    "ON_TIME_LIMIT",
    "Durations",
    "GroupBy",
    "Period",
    "Rate",
    "RateRow",
    "RateTable",
    "build_rate_table",
    "call_durations",
    "first_answer_per_item",
    "first_task",
    "miss_rate",
    "month_key",
    "on_time_rate",
    "rate_table",
    "reach_rate",
    "satisfaction_rate",
    "satisfaction_votes",
    "zone_offset",
]

# DESIGN "Miss rate": cancelled excluded. A paused task (patient readmitted) is on
# hold, not failed by the ward, so it leaves the population as well.
EXCLUDED_FROM_MISS_RATE = frozenset({TaskStatus.CANCELLED, TaskStatus.PAUSED})

# DESIGN "On-time rate (24 h)": first contact attempt within 24 h of discharge, limit inclusive.
ON_TIME_LIMIT = timedelta(hours=24)


class GroupBy(StrEnum):
    """The dimensions a ward manager reviews rates by."""

    WARD = "ward"
    NURSE = "nurse"
    PLAN = "plan"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open reporting period ``[start, end)`` of aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # Normalise to UTC so that both the pure and the SQL side bind the same instants.
        object.__setattr__(self, "start", require_utc(self.start, "period start"))
        object.__setattr__(self, "end", require_utc(self.end, "period end"))
        if self.end < self.start:
            raise DomainError(
                f"period ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
            )

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator`` of ``denominator``; ``value`` is None for an empty population, never 0/0 = 0."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator


@dataclass(frozen=True, slots=True)
class Durations:
    """Count, median and mean of call durations in seconds (None when there are no calls)."""

    count: int
    median_s: float | None
    mean_s: float | None


def zone_offset(zone: str, at: datetime) -> timedelta:
    """UTC offset of ``zone`` at ``at`` — whole seconds, so SQL can shift by an integer."""
    offset = zone_of(zone).utcoffset(require_utc(at, "offset moment"))
    if offset is None or offset % timedelta(seconds=1):
        raise DomainError(f"zone '{zone}' has no whole-second UTC offset at {at.isoformat()}")
    return offset


def month_key(moment: datetime, offset: timedelta) -> str:
    """``'YYYY-MM'`` of a UTC moment seen at a fixed UTC ``offset``."""
    return (moment + offset).strftime("%Y-%m")


class _Grouper:
    """Maps a record's ward / nurse / plan / time to the key of the chosen dimension."""

    def __init__(self, by: GroupBy, period: Period, zone: str) -> None:
        self.by = GroupBy(by)
        self.offset = zone_offset(zone, period.start)

    def key(self, *, ward: str, nurse: str | None, plan: str, moment: datetime) -> str:
        if self.by is GroupBy.WARD:
            return ward
        if self.by is GroupBy.NURSE:
            return nurse or ""
        if self.by is GroupBy.PLAN:
            return plan
        return month_key(moment, self.offset)


def _tally(pairs: Iterable[tuple[str, bool]]) -> dict[str, Rate]:
    """Count (key, hit) pairs into one Rate per key."""
    hits: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for key, hit in pairs:
        totals[key] += 1
        hits[key] += int(hit)
    return {key: Rate(hits[key], totals[key]) for key in sorted(totals)}


def _is_missed(task: FollowUpTask) -> bool:
    # Only the recorded completion counts, not the status: a task still 'pending'
    # after its window closed is missed even if the sweep has not marked it yet.
    return not (
        task.status == TaskStatus.COMPLETED
        and task.completed_at is not None
        and task.completed_at <= task.window_end
    )


def miss_rate(
    tasks: Iterable[FollowUpTask], period: Period, *, as_of: datetime, by: GroupBy, zone: str = DEFAULT_ZONE
) -> dict[str, Rate]:
    """DESIGN "Miss rate = missed ÷ tasks whose window closed in the period (cancelled excluded)".

    Population: tasks not cancelled or paused whose ``window_end`` is in the
    period and ``<= as_of``. Missed: not completed at or before ``window_end``,
    whatever the number of attempts. Grouped by the task's ward, assignee,
    plan, or the month of ``window_end``.
    """
    as_of = require_utc(as_of, "as_of")
    grouper = _Grouper(by, period, zone)
    return _tally(
        (
            grouper.key(ward=t.ward_code, nurse=t.assignee, plan=t.plan_code, moment=t.window_end),
            _is_missed(t),
        )
        for t in tasks
        if t.status not in EXCLUDED_FROM_MISS_RATE and t.window_end in period and t.window_end <= as_of
    )


def first_task(tasks: Iterable[FollowUpTask]) -> FollowUpTask | None:
    """The task an encounter is attributed to: lowest ``step_no``, ties broken by the lowest id."""
    return min(tasks, key=lambda t: (t.step_no, t.id), default=None)


def on_time_rate(
    encounters: Iterable[Encounter],
    tasks: Iterable[FollowUpTask],
    attempts: Iterable[CallAttempt],
    period: Period,
    *,
    as_of: datetime,
    by: GroupBy,
    zone: str = DEFAULT_ZONE,
) -> dict[str, Rate]:
    """DESIGN "On-time rate (24 h): share of discharges whose first contact attempt happened within 24 h".

    Population: encounters discharged in the period that have at least one task
    and whose 24 h have fully passed by ``as_of`` (``discharged_at + 24 h <= as_of``).
    On time: the earliest attempt over all the encounter's tasks started at or
    before ``discharged_at + 24 h``. Grouped by the encounter's ward, the
    assignee / plan of its :func:`first_task`, or the month of ``discharged_at``.
    """
    as_of = require_utc(as_of, "as_of")
    grouper = _Grouper(by, period, zone)
    tasks_of: dict[str, list[FollowUpTask]] = defaultdict(list)
    encounter_of_task: dict[str, str] = {}
    for task in tasks:
        tasks_of[task.encounter_id].append(task)
        encounter_of_task[task.id] = task.encounter_id
    earliest: dict[str, datetime] = {}
    for attempt in attempts:
        encounter_id = encounter_of_task.get(attempt.task_id)
        if encounter_id is not None and (
            encounter_id not in earliest or attempt.started_at < earliest[encounter_id]
        ):
            earliest[encounter_id] = attempt.started_at

    def judged() -> Iterable[tuple[str, bool]]:
        for enc in encounters:
            discharged = enc.discharged_at
            first = first_task(tasks_of.get(enc.id, ()))
            if discharged is None or first is None or discharged not in period:
                continue
            if discharged + ON_TIME_LIMIT > as_of:
                continue  # the 24 h are still running: too early to call it late
            key = grouper.key(
                ward=enc.ward_code, nurse=first.assignee, plan=first.plan_code, moment=discharged
            )
            contact = earliest.get(enc.id)
            yield key, contact is not None and contact <= discharged + ON_TIME_LIMIT

    return _tally(judged())


def _tasks_by_id(tasks: Iterable[FollowUpTask]) -> dict[str, FollowUpTask]:
    return {task.id: task for task in tasks}


def reach_rate(
    tasks: Iterable[FollowUpTask],
    attempts: Iterable[CallAttempt],
    period: Period,
    *,
    by: GroupBy,
    zone: str = DEFAULT_ZONE,
) -> dict[str, Rate]:
    """DESIGN "Reach rate: reached ÷ tasks with at least one attempt".

    Population: tasks whose ``due_at`` is in the period with at least one
    attempt (any task status). Reached: some attempt has outcome ``reached``.
    Grouped by the task's ward, assignee, plan, or the month of ``due_at``.
    """
    grouper = _Grouper(by, period, zone)
    by_id = _tasks_by_id(tasks)
    reached: dict[str, bool] = {}
    for attempt in attempts:
        if attempt.task_id in by_id:
            reached[attempt.task_id] = reached.get(attempt.task_id, False) or (
                attempt.outcome == CallOutcome.REACHED
            )
    return _tally(
        (grouper.key(ward=t.ward_code, nurse=t.assignee, plan=t.plan_code, moment=t.due_at), hit)
        for task_id, hit in reached.items()
        if (t := by_id[task_id]).due_at in period
    )


def call_durations(
    tasks: Iterable[FollowUpTask],
    attempts: Iterable[CallAttempt],
    period: Period,
    *,
    by: GroupBy,
    zone: str = DEFAULT_ZONE,
) -> dict[str, Durations]:
    """DESIGN "Call duration: ended − started of the attempt that reached the patient (median and mean)".

    Population: attempts with outcome ``reached``, a recorded ``ended_at`` and
    ``started_at`` in the period. Duration in seconds; the median of an even
    count is the mean of the two middle values. Grouped by the task's ward,
    the attempt's nurse (who made the call, not the assignee), the task's
    plan, or the month of ``started_at``.
    """
    grouper = _Grouper(by, period, zone)
    by_id = _tasks_by_id(tasks)
    seconds: dict[str, list[float]] = defaultdict(list)
    for attempt in attempts:
        task = by_id.get(attempt.task_id)
        if (
            task is None
            or attempt.outcome != CallOutcome.REACHED
            or attempt.ended_at is None
            or attempt.started_at not in period
        ):
            continue
        key = grouper.key(
            ward=task.ward_code, nurse=attempt.nurse, plan=task.plan_code, moment=attempt.started_at
        )
        seconds[key].append((attempt.ended_at - attempt.started_at).total_seconds())
    return {
        key: Durations(len(values), statistics.median(values), statistics.fmean(values))
        for key, values in sorted(seconds.items())
    }


def satisfaction_rate(
    tasks: Iterable[FollowUpTask],
    responses: Iterable[Response],
    period: Period,
    *,
    by: GroupBy,
    zone: str = DEFAULT_ZONE,
) -> dict[str, Rate]:
    """DESIGN "Satisfaction rate: share of satisfaction answers at 'satisfied' or above".

    Population: answers flagged ``is_satisfaction`` with an ordinal, of responses
    submitted in the period that no other response supersedes (a correction
    replaces the answer, it does not add a second vote — wherever the
    correction itself was submitted). Satisfied: ``ordinal >= SATISFIED_ORDINAL``.
    An item answered more than once in one response counts once, by its first
    answer — the store's ``response_answers`` keeps one row per item likewise.
    Grouped by the task's ward, the response's submitter, the task's plan, or
    the month of ``submitted_at``.
    """
    grouper = _Grouper(by, period, zone)
    by_id = _tasks_by_id(tasks)
    responses = list(responses)
    superseded = {r.supersedes for r in responses if r.supersedes is not None and r.supersedes != r.id}
    return _tally(
        (
            grouper.key(ward=t.ward_code, nurse=r.submitted_by, plan=t.plan_code, moment=r.submitted_at),
            answer.ordinal >= SATISFIED_ORDINAL,
        )
        for r in responses
        if r.id not in superseded and r.submitted_at in period and (t := by_id.get(r.task_id)) is not None
        for answer in satisfaction_votes(r.answers)
    )


def first_answer_per_item(answers: Iterable[Answer]) -> list[Answer]:
    """One answer per item, the first: an item answered twice in one response counts once."""
    first: dict[str, Answer] = {}
    for answer in answers:
        first.setdefault(answer.link_id, answer)
    return list(first.values())


def satisfaction_votes(answers: Iterable[Answer]) -> list[Answer]:
    """The answers of one response that count in the satisfaction rate (flagged, with an ordinal)."""
    return [a for a in first_answer_per_item(answers) if a.is_satisfaction and a.ordinal is not None]


# ---------------------------------------------------------------------------
# All five rates in one table (screen, CLI ``stats --by``, CSV/JSON export).

_NO_RATE = Rate(0, 0)
_NO_DURATIONS = Durations(0, None, None)


@dataclass(frozen=True, slots=True)
class RateRow:
    """Every rate of one group value."""

    group: str
    miss: Rate = _NO_RATE
    on_time: Rate = _NO_RATE
    reach: Rate = _NO_RATE
    durations: Durations = _NO_DURATIONS
    satisfaction: Rate = _NO_RATE

    def as_dict(self) -> dict[str, Any]:
        """The flat row of :attr:`RateTable.COLUMNS` (rates as 0–1 fractions, None when undefined)."""
        return {
            "group": self.group,
            "miss_rate": self.miss.value,
            "missed": self.miss.numerator,
            "closed": self.miss.denominator,
            "on_time_rate": self.on_time.value,
            "on_time": self.on_time.numerator,
            "discharges": self.on_time.denominator,
            "reach_rate": self.reach.value,
            "reached": self.reach.numerator,
            "attempted": self.reach.denominator,
            "duration_median_s": self.durations.median_s,
            "duration_mean_s": self.durations.mean_s,
            "calls": self.durations.count,
            "satisfaction_rate": self.satisfaction.value,
            "satisfied": self.satisfaction.numerator,
            "satisfaction_answers": self.satisfaction.denominator,
        }


@dataclass(frozen=True, slots=True)
class RateTable:
    """One row per group value, sorted by group, with the text/JSON/CSV renderings a CLI needs."""

    by: GroupBy
    rows: tuple[RateRow, ...]

    COLUMNS = (
        "group",
        "miss_rate",
        "missed",
        "closed",
        "on_time_rate",
        "on_time",
        "discharges",
        "reach_rate",
        "reached",
        "attempted",
        "duration_median_s",
        "duration_mean_s",
        "calls",
        "satisfaction_rate",
        "satisfied",
        "satisfaction_answers",
    )

    def as_dicts(self) -> list[dict[str, Any]]:
        return [row.as_dict() for row in self.rows]

    def to_json(self) -> str:
        # ensure_ascii=False: ward and plan codes may be Chinese.
        return json.dumps({"by": self.by.value, "rows": self.as_dicts()}, ensure_ascii=False, indent=2)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.COLUMNS)
        writer.writeheader()
        for row in self.as_dicts():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out.getvalue()

    def to_text(self) -> str:
        """An aligned plain-text table: rates as percentages, durations in seconds, '-' when undefined."""

        def cell(name: str, value: object) -> str:
            if value is None:
                return "-"
            if name.endswith("_rate"):
                return f"{value * 100:.1f}%"  # type: ignore[operator]
            if name.startswith("duration_"):
                return f"{value:.1f}"
            return str(value)

        header = [self.by.value, *self.COLUMNS[1:]]
        body = [[cell(name, row[name]) for name in self.COLUMNS] for row in self.as_dicts()]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
        lines = [header, *body]
        return "\n".join(
            "  ".join(
                text.ljust(w) if i == 0 else text.rjust(w)
                for i, (text, w) in enumerate(zip(line, widths, strict=True))
            )
            for line in lines
        )


def build_rate_table(
    by: GroupBy,
    *,
    miss: Mapping[str, Rate],
    on_time: Mapping[str, Rate],
    reach: Mapping[str, Rate],
    durations: Mapping[str, Durations],
    satisfaction: Mapping[str, Rate],
) -> RateTable:
    """Join the five per-group results into rows; a group missing from one rate gets an empty value."""
    groups = sorted({*miss, *on_time, *reach, *durations, *satisfaction})
    return RateTable(
        GroupBy(by),
        tuple(
            RateRow(
                group=g,
                miss=miss.get(g, _NO_RATE),
                on_time=on_time.get(g, _NO_RATE),
                reach=reach.get(g, _NO_RATE),
                durations=durations.get(g, _NO_DURATIONS),
                satisfaction=satisfaction.get(g, _NO_RATE),
            )
            for g in groups
        ),
    )


def rate_table(
    *,
    encounters: Iterable[Encounter],
    tasks: Iterable[FollowUpTask],
    attempts: Iterable[CallAttempt],
    responses: Iterable[Response],
    period: Period,
    as_of: datetime,
    by: GroupBy,
    zone: str = DEFAULT_ZONE,
) -> RateTable:
    """All five rates of the period grouped by ``by``, computed in memory."""
    tasks, attempts = list(tasks), list(attempts)
    return build_rate_table(
        by,
        miss=miss_rate(tasks, period, as_of=as_of, by=by, zone=zone),
        on_time=on_time_rate(encounters, tasks, attempts, period, as_of=as_of, by=by, zone=zone),
        reach=reach_rate(tasks, attempts, period, by=by, zone=zone),
        durations=call_durations(tasks, attempts, period, by=by, zone=zone),
        satisfaction=satisfaction_rate(tasks, responses, period, by=by, zone=zone),
    )
