"""The tasks behind a headline number (the dashboard's drill-down), without Qt.

Each list uses the same population as the figure it explains (see
``nurse_app.domain.metrics`` and ``headline``), over the same records
``load_records`` reads, so "漏访率 3/40" opens exactly three missed tasks.
Patient identifiers are masked as in the report's detail lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.metrics import EXCLUDED_FROM_MISS_RATE, Period
from nurse_app.domain.model import AlertSeverity, CallOutcome, FollowUpTask, TaskStatus
from nurse_app.domain.privacy import mask_phone
from nurse_app.reports.details import AttemptNote, mask_name
from nurse_app.reports.headline import OPEN_ALERT_STATUSES
from nurse_app.reports.records import ScopeRecords, load_records
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import AlertRow
from nurse_app.store.repository import CacheRepository

__all__ = ["DRILLABLE", "DrillRow", "drill_row", "drill_rows", "tasks_behind"]

# The figures whose population is a set of tasks (durations, satisfaction and diseases are not).
DRILLABLE = ("miss", "reach", "completed", "open_critical")


@dataclass(frozen=True, slots=True)
class DrillRow:
    """One task behind a number; ``counted`` is whether it is in the numerator (missed, reached …)."""

    task_id: str
    ward_code: str
    patient: str
    mrn: str
    phone: str
    plan_code: str
    step_no: int
    due_at: datetime
    window_end: datetime
    assignee: str
    status: str
    counted: bool
    attempts: tuple[AttemptNote, ...]


def _missed(task: FollowUpTask) -> bool:
    # DESIGN "Missed": the window closed without a recorded completion, whatever the attempts.
    return not (
        task.status == TaskStatus.COMPLETED
        and task.completed_at is not None
        and task.completed_at <= task.window_end
    )


def drill_rows(
    records: ScopeRecords,
    wards: Sequence[str],
    period: Period,
    key: str,
    *,
    as_of: datetime,
    alert_tasks: Sequence[str] = (),
) -> tuple[DrillRow, ...]:
    """The rows behind figure ``key`` (one of :data:`DRILLABLE`) from already loaded records."""
    scope = set(wards)
    own = [t for t in records.tasks if t.ward_code in scope]
    attempts_of: dict[str, list[AttemptNote]] = defaultdict(list)
    reached: dict[str, bool] = {}
    for a in sorted(records.attempts, key=lambda a: a.started_at):
        attempts_of[a.task_id].append(AttemptNote(a.started_at, a.nurse, a.outcome))
        reached[a.task_id] = reached.get(a.task_id, False) or a.outcome == CallOutcome.REACHED
    picked: list[tuple[FollowUpTask, bool]] = []
    if key == "miss":
        picked = [
            (t, True)
            for t in own
            if t.status not in EXCLUDED_FROM_MISS_RATE
            and t.window_end in period
            and t.window_end <= as_of
            and _missed(t)
        ]
    elif key == "reach":
        picked = [(t, reached[t.id]) for t in own if t.id in reached and t.due_at in period]
    elif key == "completed":
        picked = [(t, True) for t in own if t.status == TaskStatus.COMPLETED and t.completed_at in period]
    elif key == "open_critical":
        wanted = set(alert_tasks)
        picked = [(t, True) for t in own if t.id in wanted]
    else:
        raise ValueError(f"figure '{key}' has no list of tasks; expected one of {', '.join(DRILLABLE)}")
    rows = [drill_row(records, task, counted, attempts_of.get(task.id, ())) for task, counted in picked]
    return tuple(sorted(rows, key=lambda r: (not r.counted, r.window_end, r.mrn)))


def drill_row(
    records: ScopeRecords, task: FollowUpTask, counted: bool, attempts: Sequence[AttemptNote]
) -> DrillRow:
    """The masked row of ``task`` (its patient from ``records``) with the call ``attempts`` shown."""
    patient = records.patients.get(task.patient_id)
    return DrillRow(
        task.id,
        task.ward_code,
        mask_name(patient.name) if patient else "",
        patient.mrn if patient else "",
        mask_phone(patient.phone) if patient else "",
        task.plan_code,
        task.step_no,
        task.due_at,
        task.window_end,
        task.assignee or "",
        str(task.status),
        counted,
        tuple(attempts),
    )


def _open_critical_tasks(conn: Executor, wards: Sequence[str], period: Period) -> list[str]:
    """Tasks of the critical alerts the "open critical alerts" figure counts (same query as headline)."""
    a = AlertRow.__table__
    query = select(a.c.task_id).where(
        a.c.ward_code.in_(list(wards)),
        a.c.severity == AlertSeverity.CRITICAL.value,
        a.c.status.in_(OPEN_ALERT_STATUSES),
        a.c.raised_at >= period.start,
        a.c.raised_at < period.end,
    )
    return [task_id for (task_id,) in conn.execute(query)]


def tasks_behind(
    conn: Executor, wards: Sequence[str], period: Period, key: str, *, as_of: datetime
) -> tuple[DrillRow, ...]:
    """Load the scope's records and list the tasks behind figure ``key`` for ``period``."""
    if key not in DRILLABLE:
        raise ValueError(f"figure '{key}' has no list of tasks; expected one of {', '.join(DRILLABLE)}")
    records = load_records(conn, wards, period, with_patients=True)
    alert_tasks = _open_critical_tasks(conn, wards, period) if key == "open_critical" else ()
    if alert_tasks:
        # An alert's task may fall outside the period's task selection: make sure it is loaded.
        known = {t.id for t in records.tasks}
        if not set(alert_tasks) <= known:
            records = _with_tasks(conn, records, wards, alert_tasks)
    return drill_rows(records, wards, period, key, as_of=as_of, alert_tasks=alert_tasks)


def _with_tasks(
    conn: Executor, records: ScopeRecords, wards: Sequence[str], task_ids: Sequence[str]
) -> ScopeRecords:
    if not isinstance(conn, Session):
        return records
    repo = CacheRepository(conn)
    tasks = list(records.tasks)
    patients = dict(records.patients)
    known = {t.id for t in tasks}
    for task_id in task_ids:
        if task_id in known:
            continue
        task = repo.get_task(task_id)
        if task is None or task.ward_code not in wards:
            continue
        tasks.append(task)
        patient = repo.get_patient(task.patient_id)
        if patient is not None:
            patients[patient.id] = patient
    return ScopeRecords(tuple(tasks), records.attempts, records.encounters, records.responses, patients)
