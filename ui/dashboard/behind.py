"""The rows behind every headline number and every breakdown cell of the dashboard (no Qt here).

``nurse_app.reports.drilldown`` lists the tasks behind four figures (miss,
reach, completed, open critical alerts). The manager may click any number, so
this module adds the other six over the same records (``load_records``) and by
the same population rules as ``nurse_app.domain.metrics`` / ``headline.tallies``:

* **on time (24 h)**: one row per discharge judged (its :func:`first_task`), counted when on time;
* **call durations** (median and mean): one row per reached call the figure measures;
* **satisfaction**: one row per response that carries satisfaction answers (the figure counts
  answers, so each row says how many of its answers were "satisfied" or above);
* **scales filled**: one row per response submitted in the period and not corrected since;
* **diseases covered**: one row per task of the population, with its ICD-10 category.

The four of ``drilldown`` keep its shape: the miss rate lists the missed tasks
(its numerator: the tasks closed in time need no review), reach lists every task
called (reached or not), completed the completed tasks, and open critical alerts
the tasks of those alerts (one row per task, so a task with two open alerts shows
once while the card counts two).

Every figure of the dashboard therefore has rows behind it; none is a bare
number (a card is only clickable when its population is not empty). A
breakdown cell (ward / nurse / plan / diagnosis group) narrows the same rows with the
grouping rule of that figure (durations group by the nurse who made the call,
satisfaction by the nurse who submitted the survey, on time by the first task's
assignee, the others by the task's assignee), exactly as ``metrics._Grouper`` does.
A diagnosis group is the same for every figure: the ICD-10 category of the primary
diagnosis of the row's encounter (``nurse_app.reports.diagnosis``).

This belongs next to ``nurse_app.reports.drilldown``; it lives here while that
module is owned by another change, and imports only ``nurse_app``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from nurse_app.domain.metrics import ON_TIME_LIMIT, Period, first_task, satisfaction_votes
from nurse_app.domain.model import SATISFIED_ORDINAL, CallOutcome, FollowUpTask, TaskStatus
from nurse_app.reports.details import AttemptNote
from nurse_app.reports.diagnosis import NO_DIAGNOSIS, diagnosis_group, task_diagnosis_groups, task_groups
from nurse_app.reports.drilldown import DRILLABLE as TASK_LISTS
from nurse_app.reports.drilldown import DrillRow, drill_row, drill_rows, tasks_behind
from nurse_app.reports.headline import FIGURE_KEYS
from nurse_app.reports.records import ScopeRecords, load_records
from nurse_app.store.metrics_sql import Executor

__all__ = [
    "BREAKDOWN_KEYS",
    "DRILL_KEYS",
    "Detail",
    "DrillResult",
    "GroupFilter",
    "drill",
    "drill_from_records",
]

# Every headline figure has rows behind it (see the module docstring).
DRILL_KEYS: tuple[str, ...] = FIGURE_KEYS
# The figures of a breakdown table's columns (the first column is the group's name).
BREAKDOWN_KEYS: tuple[str, ...] = ("miss", "on_time", "reach", "satisfaction", "duration_median", "completed")
GROUPS = ("ward", "nurse", "plan", "diagnosis")


@dataclass(frozen=True, slots=True)
class GroupFilter:
    """One breakdown cell's group: ``by`` is ward / nurse / plan / diagnosis, ``key`` the group.

    ``''`` is the unassigned nurse, or the tasks without a diagnosis (``NO_DIAGNOSIS``).
    """

    by: str
    key: str

    def __post_init__(self) -> None:
        if self.by not in GROUPS:
            raise ValueError(f"unknown breakdown '{self.by}'; expected one of {', '.join(GROUPS)}")


@dataclass(frozen=True, slots=True)
class Detail:
    """What put a row into its figure, beyond the task itself (only the fields of its figure are set)."""

    discharged_at: datetime | None = None
    first_call_at: datetime | None = None
    call_started_at: datetime | None = None
    call_nurse: str = ""
    call_seconds: float | None = None
    submitted_at: datetime | None = None
    submitted_by: str = ""
    questionnaire: str = ""
    satisfied: int = 0
    answers: int = 0
    icd10_group: str = ""
    diagnosis: str = ""  # the primary diagnosis, code and description ("I50.9 心力衰竭")


NO_DETAIL = Detail()


@dataclass(frozen=True, slots=True)
class DrillResult:
    """The rows behind figure ``key`` (``details`` aligned with ``rows``), optionally one group's."""

    key: str
    rows: tuple[DrillRow, ...]
    details: tuple[Detail, ...]
    group: GroupFilter | None = None

    @property
    def counted(self) -> int:
        """The figure's numerator as the rows show it (answers for satisfaction, else rows)."""
        if self.key == "satisfaction":
            return sum(d.satisfied for d in self.details)
        return sum(1 for r in self.rows if r.counted)

    @property
    def total(self) -> int:
        """The figure's population as the rows show it (answers for satisfaction, else rows)."""
        if self.key == "satisfaction":
            return sum(d.answers for d in self.details)
        return len(self.rows)

    @property
    def seconds(self) -> tuple[float, ...]:
        return tuple(d.call_seconds for d in self.details if d.call_seconds is not None)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(d.icd10_group for d in self.details if d.icd10_group)


def _matches(group: GroupFilter | None, *, ward: str, nurse: str | None, plan: str, diagnosis: str) -> bool:
    if group is None:
        return True
    value = {"ward": ward, "nurse": nurse or "", "plan": plan, "diagnosis": diagnosis}[group.by]
    return value == group.key


def _row_matches(group: GroupFilter | None, row: DrillRow, diagnoses: dict[str, str]) -> bool:
    """A task list's row: grouped by the task (ward, assignee, plan, its encounter's diagnosis)."""
    diagnosis = diagnoses.get(row.task_id, NO_DIAGNOSIS)
    return _matches(group, ward=row.ward_code, nurse=row.assignee, plan=row.plan_code, diagnosis=diagnosis)


def _task_matches(group: GroupFilter | None, task: FollowUpTask, dx: Diagnoses, *, nurse: str | None) -> bool:
    """A row of ``task``: its ward, plan and diagnosis group, and the nurse the figure groups by."""
    return _matches(group, ward=task.ward_code, nurse=nurse, plan=task.plan_code, diagnosis=dx[task.id])


class _Rows:
    """Builds masked ``DrillRow`` s over one ``ScopeRecords`` (the shape ``drill_rows`` gives)."""

    def __init__(self, records: ScopeRecords) -> None:
        self.records = records
        self.attempts_of: dict[str, list[AttemptNote]] = defaultdict(list)
        for a in sorted(records.attempts, key=lambda a: a.started_at):
            self.attempts_of[a.task_id].append(AttemptNote(a.started_at, a.nurse, a.outcome))

    def row(self, task: FollowUpTask, counted: bool, also: Sequence[str] = ()) -> DrillRow:
        """``also``: other tasks whose calls belong with this row (an encounter's later steps)."""
        notes = [n for task_id in (task.id, *also) for n in self.attempts_of.get(task_id, ())]
        return drill_row(self.records, task, counted, sorted(notes, key=lambda n: n.started_at))


@dataclass(frozen=True, slots=True)
class _Pick:
    task: FollowUpTask
    counted: bool
    detail: Detail
    also: tuple[str, ...] = ()  # on time: the discharge's other tasks, whose calls count too


Picked = list[_Pick]
Diagnoses = dict[str, str]  # task id → diagnosis group


def _on_time(
    records: ScopeRecords, scope: set[str], period: Period, as_of: datetime, group: GroupFilter | None
) -> Picked:
    # metrics.on_time_rate: encounters of the scope discharged in the period, 24 h fully passed,
    # with a task; the earliest attempt over all the encounter's tasks decides.
    tasks_of: dict[str, list[FollowUpTask]] = defaultdict(list)
    encounter_of_task: dict[str, str] = {}
    for task in records.tasks:
        tasks_of[task.encounter_id].append(task)
        encounter_of_task[task.id] = task.encounter_id
    earliest: dict[str, datetime] = {}
    for attempt in records.attempts:
        encounter_id = encounter_of_task.get(attempt.task_id)
        if encounter_id is not None and (
            encounter_id not in earliest or attempt.started_at < earliest[encounter_id]
        ):
            earliest[encounter_id] = attempt.started_at
    picked: Picked = []
    for enc in records.encounters:
        discharged = enc.discharged_at
        first = first_task(tasks_of.get(enc.id, ()))
        if enc.ward_code not in scope or discharged is None or first is None or discharged not in period:
            continue
        if discharged + ON_TIME_LIMIT > as_of:
            continue
        diagnosis = diagnosis_group(enc)
        if not _matches(
            group, ward=enc.ward_code, nurse=first.assignee, plan=first.plan_code, diagnosis=diagnosis
        ):
            continue
        contact = earliest.get(enc.id)
        on_time = contact is not None and contact <= discharged + ON_TIME_LIMIT
        others = tuple(t.id for t in tasks_of[enc.id] if t.id != first.id)
        picked.append(_Pick(first, on_time, Detail(discharged_at=discharged, first_call_at=contact), others))
    return picked


def _durations(
    own: dict[str, FollowUpTask],
    records: ScopeRecords,
    period: Period,
    group: GroupFilter | None,
    dx: Diagnoses,
) -> Picked:
    # metrics.call_durations: reached attempts with an end, started in the period; by the caller.
    picked: Picked = []
    for attempt in records.attempts:
        task = own.get(attempt.task_id)
        if (
            task is None
            or attempt.outcome != CallOutcome.REACHED
            or attempt.ended_at is None
            or attempt.started_at not in period
        ):
            continue
        if not _task_matches(group, task, dx, nurse=attempt.nurse):
            continue
        seconds = (attempt.ended_at - attempt.started_at).total_seconds()
        detail = Detail(call_started_at=attempt.started_at, call_nurse=attempt.nurse, call_seconds=seconds)
        picked.append(_Pick(task, True, detail))
    return picked


def _live_responses(records: ScopeRecords, own: dict[str, FollowUpTask], period: Period):  # type: ignore[no-untyped-def]
    superseded = {r.supersedes for r in records.responses if r.supersedes and r.supersedes != r.id}
    for r in records.responses:
        task = own.get(r.task_id)
        if task is not None and r.id not in superseded and r.submitted_at in period:
            yield r, task


def _satisfaction(
    own: dict[str, FollowUpTask],
    records: ScopeRecords,
    period: Period,
    group: GroupFilter | None,
    dx: Diagnoses,
) -> Picked:
    # metrics.satisfaction_rate: the first answer per item, flagged satisfaction, with an ordinal.
    picked: Picked = []
    for r, task in _live_responses(records, own, period):
        if not _task_matches(group, task, dx, nurse=r.submitted_by):
            continue
        votes = [a.ordinal for a in satisfaction_votes(r.answers)]
        if not votes:
            continue
        satisfied = sum(1 for v in votes if v >= SATISFIED_ORDINAL)
        detail = Detail(
            submitted_at=r.submitted_at,
            submitted_by=r.submitted_by,
            questionnaire=r.questionnaire_code,
            satisfied=satisfied,
            answers=len(votes),
        )
        picked.append(_Pick(task, satisfied == len(votes), detail))
    return picked


def _responses(
    own: dict[str, FollowUpTask],
    records: ScopeRecords,
    period: Period,
    group: GroupFilter | None,
    dx: Diagnoses,
) -> Picked:
    # headline "Scales filled": responses submitted in the period that no correction supersedes.
    picked: Picked = []
    for r, task in _live_responses(records, own, period):
        if _task_matches(group, task, dx, nurse=task.assignee):
            detail = Detail(
                submitted_at=r.submitted_at, submitted_by=r.submitted_by, questionnaire=r.questionnaire_code
            )
            picked.append(_Pick(task, True, detail))
    return picked


def _diseases(
    own: dict[str, FollowUpTask],
    records: ScopeRecords,
    period: Period,
    group: GroupFilter | None,
    dx: Diagnoses,
) -> Picked:
    # headline "Diseases covered": primary diagnoses of non-cancelled tasks due in the period.
    primary = {e.id: e.primary_diagnosis for e in records.encounters}
    picked: Picked = []
    for task in own.values():
        diagnosis = primary.get(task.encounter_id)
        if task.due_at not in period or task.status == TaskStatus.CANCELLED:
            continue
        if not diagnosis or not diagnosis.icd10.strip():
            continue
        if _task_matches(group, task, dx, nurse=task.assignee):
            category = dx[task.id]  # diagnosis_group: the headline's icd10_group of this diagnosis
            text = f"{diagnosis.icd10.strip()} {diagnosis.description}".strip()
            picked.append(_Pick(task, True, Detail(icd10_group=category, diagnosis=text)))
    return picked


_SORTS: dict[str, Callable[[tuple[DrillRow, Detail]], object]] = {
    "on_time": lambda pair: (pair[0].counted, pair[1].discharged_at, pair[0].mrn),
    "duration_median": lambda pair: (-(pair[1].call_seconds or 0.0), pair[0].mrn),
    "duration_mean": lambda pair: (-(pair[1].call_seconds or 0.0), pair[0].mrn),
    "satisfaction": lambda pair: (pair[0].counted, pair[1].submitted_at, pair[0].mrn),
    "responses": lambda pair: (pair[1].submitted_at, pair[0].mrn),
    "diseases": lambda pair: (pair[1].icd10_group, pair[0].due_at, pair[0].mrn),
}


def drill_from_records(
    records: ScopeRecords,
    wards: Sequence[str],
    period: Period,
    key: str,
    *,
    as_of: datetime,
    alert_tasks: Sequence[str] = (),
    group: GroupFilter | None = None,
) -> DrillResult:
    """The rows behind figure ``key`` of ``wards`` (or of one group of them) from loaded records."""
    if key not in DRILL_KEYS:
        raise ValueError(f"unknown figure '{key}'; expected one of {', '.join(DRILL_KEYS)}")
    if group is not None and group.by == "ward":
        wards = [w for w in wards if w == group.key]
    dx = task_groups(records.tasks, records.encounters)
    if key in TASK_LISTS:
        rows = drill_rows(records, wards, period, key, as_of=as_of, alert_tasks=alert_tasks)
        rows = tuple(r for r in rows if _row_matches(group, r, dx))
        return DrillResult(key, rows, (NO_DETAIL,) * len(rows), group)
    scope = set(wards)
    own = {t.id: t for t in records.tasks if t.ward_code in scope}
    if key == "on_time":
        picked = _on_time(records, scope, period, as_of, group)
    elif key in ("duration_median", "duration_mean"):
        picked = _durations(own, records, period, group, dx)
    elif key == "satisfaction":
        picked = _satisfaction(own, records, period, group, dx)
    elif key == "responses":
        picked = _responses(own, records, period, group, dx)
    else:
        picked = _diseases(own, records, period, group, dx)
    maker = _Rows(records)
    pairs = sorted(((maker.row(p.task, p.counted, p.also), p.detail) for p in picked), key=_SORTS[key])  # type: ignore[arg-type]
    return DrillResult(key, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), group)


def drill(
    conn: Executor,
    wards: Sequence[str],
    period: Period,
    key: str,
    *,
    as_of: datetime,
    group: GroupFilter | None = None,
) -> DrillResult:
    """Load the scope's records and list the rows behind figure ``key`` (optionally one group's)."""
    if key in TASK_LISTS:
        # tasks_behind also loads the tasks of open alerts raised in the period but due outside it.
        narrowed = [w for w in wards if group is None or group.by != "ward" or w == group.key]
        rows = tasks_behind(conn, narrowed, period, key, as_of=as_of)
        # The task lists keep no encounters: read the diagnosis groups only when filtering by them.
        by_diagnosis = group is not None and group.by == "diagnosis"
        dx = task_diagnosis_groups(conn, [r.task_id for r in rows]) if by_diagnosis else {}
        rows = tuple(r for r in rows if _row_matches(group, r, dx))
        return DrillResult(key, rows, (NO_DETAIL,) * len(rows), group)
    records = load_records(conn, wards, period, with_patients=True)
    return drill_from_records(records, wards, period, key, as_of=as_of, group=group)
