"""The report's detail lists: missed follow-ups, critical alerts, satisfaction by item with comments.

Patient identifiers are masked here, once, so no renderer (PDF, CSV, xlsx,
dashboard) can print a full name or phone number by accident.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from nurse_app.domain.metrics import (
    EXCLUDED_FROM_MISS_RATE,
    Period,
    first_answer_per_item,
    satisfaction_votes,
)
from nurse_app.domain.model import (
    SATISFIED_ORDINAL,
    AlertSeverity,
    CallOutcome,
    Response,
    TaskStatus,
)
from nurse_app.domain.privacy import mask_phone
from nurse_app.reports.headline import OPEN_ALERT_STATUSES
from nurse_app.reports.records import ScopeRecords
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import AlertRow, PatientRow

__all__ = [
    "AlertLine",
    "AlertSummary",
    "AttemptNote",
    "Comment",
    "MissedFollowUp",
    "SatisfactionItem",
    "critical_alerts",
    "mask_name",
    "missed_follow_ups",
    "satisfaction_results",
]


def mask_name(name: str) -> str:
    """'王小芳' → '王*芳', '李娜' → '李*', 'Mary Ann Lee' → 'M**********e': first and last character kept."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True, slots=True)
class AttemptNote:
    started_at: datetime
    nurse: str
    outcome: CallOutcome


@dataclass(frozen=True, slots=True)
class MissedFollowUp:
    """One missed follow-up, identifiers already masked."""

    patient: str
    mrn: str
    phone: str
    plan_code: str
    step_no: int
    due_at: datetime
    window_end: datetime
    assignee: str
    attempts: tuple[AttemptNote, ...]


def _missed(status: TaskStatus, completed_at: datetime | None, window_end: datetime) -> bool:
    # DESIGN "Missed": the window closed without a completion, whatever the attempts (as metrics.miss_rate).
    return not (status == TaskStatus.COMPLETED and completed_at is not None and completed_at <= window_end)


def missed_follow_ups(
    records: ScopeRecords, wards: Sequence[str], period: Period, as_of: datetime
) -> tuple[MissedFollowUp, ...]:
    """The tasks the miss rate counts as missed, oldest window first."""
    attempts_of: dict[str, list[AttemptNote]] = defaultdict(list)
    for a in records.attempts:
        attempts_of[a.task_id].append(AttemptNote(a.started_at, a.nurse, a.outcome))
    lines = []
    for t in records.tasks:
        if (
            t.ward_code not in wards
            or t.status in EXCLUDED_FROM_MISS_RATE
            or t.window_end not in period
            or t.window_end > as_of
            or not _missed(t.status, t.completed_at, t.window_end)
        ):
            continue
        patient = records.patients.get(t.patient_id)
        lines.append(
            MissedFollowUp(
                mask_name(patient.name) if patient else "",
                patient.mrn if patient else "",
                mask_phone(patient.phone) if patient else "",
                t.plan_code,
                t.step_no,
                t.due_at,
                t.window_end,
                t.assignee or "",
                tuple(attempts_of.get(t.id, ())),
            )
        )
    return tuple(sorted(lines, key=lambda line: (line.window_end, line.mrn)))


@dataclass(frozen=True, slots=True)
class AlertLine:
    raised_at: datetime
    patient: str
    mrn: str
    rule_code: str
    message: str
    status: str
    acknowledged_by: str
    minutes_to_ack: float | None


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """Critical alerts raised in the period and how fast the ward acknowledged them."""

    lines: tuple[AlertLine, ...]
    acknowledged: int
    open: int
    median_ack_min: float | None
    max_ack_min: float | None

    @property
    def count(self) -> int:
        return len(self.lines)


def critical_alerts(conn: Executor, wards: Sequence[str], period: Period) -> AlertSummary:
    """Critical alerts of ``wards`` raised in ``period``, with minutes from raised to acknowledged."""
    a, p = AlertRow.__table__, PatientRow.__table__
    rows = conn.execute(
        select(
            a.c.raised_at,
            a.c.rule_code,
            a.c.message,
            a.c.status,
            a.c.acknowledged_by,
            a.c.acknowledged_at,
            p.c.name,
            p.c.mrn,
        )
        .select_from(a.join(p, p.c.id == a.c.patient_id))
        .where(
            a.c.ward_code.in_(list(wards)),
            a.c.severity == AlertSeverity.CRITICAL.value,
            and_(a.c.raised_at >= period.start, a.c.raised_at < period.end),
        )
        .order_by(a.c.raised_at, p.c.mrn)
    )
    lines = []
    for raised, rule, message, status, by, acked, name, mrn in rows:
        minutes = None if acked is None else (acked - raised).total_seconds() / 60
        lines.append(AlertLine(raised, mask_name(name), mrn, rule, message, status, by or "", minutes))
    waits = [line.minutes_to_ack for line in lines if line.minutes_to_ack is not None]
    return AlertSummary(
        tuple(lines),
        acknowledged=len(waits),
        open=sum(1 for line in lines if line.status in OPEN_ALERT_STATUSES),
        median_ack_min=statistics.median(waits) if waits else None,
        max_ack_min=max(waits) if waits else None,
    )


@dataclass(frozen=True, slots=True)
class SatisfactionItem:
    """Answers to one satisfaction item: count per level (1–5) and the satisfied share."""

    link_id: str
    questionnaire_code: str
    levels: dict[int, int]

    @property
    def answers(self) -> int:
        return sum(self.levels.values())

    @property
    def satisfied(self) -> int:
        return sum(n for level, n in self.levels.items() if level >= SATISFIED_ORDINAL)

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None


@dataclass(frozen=True, slots=True)
class Comment:
    submitted_at: datetime
    text: str


def _counted(records: ScopeRecords, wards: Sequence[str], period: Period) -> list[Response]:
    """Responses the satisfaction rate counts: submitted in the period, in the wards, not superseded."""
    ward_of = {t.id: t.ward_code for t in records.tasks}
    superseded = {r.supersedes for r in records.responses if r.supersedes and r.supersedes != r.id}
    return [
        r
        for r in records.responses
        if r.id not in superseded and r.submitted_at in period and ward_of.get(r.task_id) in wards
    ]


def satisfaction_results(
    records: ScopeRecords, wards: Sequence[str], period: Period
) -> tuple[tuple[SatisfactionItem, ...], tuple[Comment, ...]]:
    """Per-item results (same population as the satisfaction rate) and the patients' free-text comments.

    A comment is a non-empty text answer in a response that carries
    satisfaction answers (the survey's "comments and suggestions" item).
    """
    levels: dict[tuple[str, str], dict[int, int]] = {}
    comments = []
    for r in _counted(records, wards, period):
        first = first_answer_per_item(r.answers)  # one vote per item, as the rate counts it
        survey = satisfaction_votes(first)
        for answer in survey:
            counts = levels.setdefault((r.questionnaire_code, answer.link_id), {})
            level = int(answer.ordinal or 0)
            counts[level] = counts.get(level, 0) + 1
        if survey:
            for answer in first:
                if not answer.is_satisfaction and isinstance(answer.value, str) and answer.value.strip():
                    comments.append(Comment(r.submitted_at, answer.value.strip()))
    items = tuple(
        SatisfactionItem(link_id, code, dict(sorted(counts.items())))
        for (code, link_id), counts in levels.items()
    )
    return items, tuple(sorted(comments, key=lambda c: c.submitted_at))
