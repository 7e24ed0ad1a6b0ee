"""Plays out the calls of one enrollment up to "now" through the real scheduling engine.

Attempts, retries, reached calls, submitted scales and alerts are produced by
the same domain rules the app uses, so every rate the demo shows is one the
rules could really produce.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nurse_app.domain import tasks as task_rules
from nurse_app.domain.calling_hours import next_calling_moment
from nurse_app.domain.model import (
    Alert,
    AlertSeverity,
    AlertStatus,
    Answer,
    CallAttempt,
    CallingHours,
    CallOutcome,
    FollowUpTask,
    Plan,
    Response,
    TaskStatus,
)
from nurse_app.domain.scheduling import record_attempt

# Share of each outcome on a single call attempt, from typical ward follow-up logs.
_OUTCOME_WEIGHTS = (
    (CallOutcome.REACHED, 0.66),
    (CallOutcome.NO_ANSWER, 0.19),
    (CallOutcome.BUSY, 0.06),
    (CallOutcome.CALL_BACK, 0.03),
    (CallOutcome.WRONG_NUMBER, 0.015),
    (CallOutcome.REFUSED, 0.02),
    (CallOutcome.READMITTED, 0.008),
    (CallOutcome.DECEASED, 0.002),
)
_OUTCOMES = tuple(o for o, _ in _OUTCOME_WEIGHTS)
_WEIGHTS = tuple(w for _, w in _OUTCOME_WEIGHTS)
_SATISFACTION_WEIGHTS = ((5, 0.58), (4, 0.35), (3, 0.05), (2, 0.015), (1, 0.005))
SATISFACTION_ITEMS = ("overall", "nursing", "doctor", "environment", "discharge_guidance")


def rng_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(slots=True)
class Played:
    """Everything that happened to one enrollment's tasks."""

    attempts: list[CallAttempt] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CallContext:
    plan: Plan
    hours: CallingHours
    nurses: tuple[str, ...]
    promptness: float
    now: datetime


def play_enrollment(rng: random.Random, tasks: list[FollowUpTask], ctx: CallContext, played: Played) -> None:
    """Simulate every call of ``tasks`` (one enrollment, step order) that would have happened before now."""
    for task in tasks:
        if task.status is not TaskStatus.PENDING or task.due_at > ctx.now:
            continue
        if rng.random() < 0.012:
            continue  # forgotten entirely: the sweep will mark it missed
        when = _first_call_time(rng, task, ctx)
        while when is not None and when <= ctx.now and when <= task.window_end:
            when = _one_call(rng, task, tasks, when, ctx, played)


def _first_call_time(rng: random.Random, task: FollowUpTask, ctx: CallContext) -> datetime:
    window_hours = (task.window_end - task.due_at).total_seconds() / 3600
    if rng.random() < ctx.promptness:
        delay = rng.uniform(0.3, min(20.0, window_hours * 0.8))
    else:
        delay = rng.uniform(min(20.0, window_hours * 0.6), window_hours * 1.02)
    return next_calling_moment(task.due_at + timedelta(hours=delay), ctx.hours)


def _one_call(
    rng: random.Random,
    task: FollowUpTask,
    siblings: list[FollowUpTask],
    started: datetime,
    ctx: CallContext,
    played: Played,
) -> datetime | None:
    """Record one attempt; returns when the next attempt happens, or None when the task is settled."""
    outcome = rng.choices(_OUTCOMES, _WEIGHTS)[0]
    nurse = task.assignee if rng.random() < 0.9 or not ctx.nurses else rng.choice(ctx.nurses)
    ended = started + timedelta(seconds=_call_seconds(rng, outcome))
    attempt = CallAttempt(task.id, nurse or "", started, ended, outcome, id=rng_id(rng))
    call_back_at = (
        ended + timedelta(hours=rng.choice((2, 3, 20))) if outcome is CallOutcome.CALL_BACK else None
    )
    record_attempt(
        task, attempt, ctx.plan.retry, ctx.hours, now=ended, other_tasks=siblings, call_back_at=call_back_at
    )
    played.attempts.append(attempt)
    if outcome is CallOutcome.REACHED:
        submitted = ended + timedelta(seconds=rng.uniform(30, 300))
        if submitted <= ctx.now:
            _submit(rng, task, attempt, submitted, ctx, played)
        return None
    if task.status is TaskStatus.PENDING and task.next_attempt_at is not None:
        return task.next_attempt_at + timedelta(minutes=rng.uniform(0, 90))
    return None


def _call_seconds(rng: random.Random, outcome: CallOutcome) -> float:
    if outcome is CallOutcome.REACHED:
        # Structured forms keep a reached call near 9 minutes; log-normal around that.
        return min(1800.0, max(120.0, rng.lognormvariate(math.log(540), 0.35)))
    if outcome in (CallOutcome.NO_ANSWER, CallOutcome.CALL_BACK):
        return rng.uniform(25, 60)
    if outcome is CallOutcome.BUSY:
        return rng.uniform(3, 12)
    return rng.uniform(30, 150)


def _submit(
    rng: random.Random,
    task: FollowUpTask,
    attempt: CallAttempt,
    submitted: datetime,
    ctx: CallContext,
    played: Played,
) -> None:
    for code in task.questionnaires:
        answers = _satisfaction_answers(rng) if code == "satisfaction" else _clinical_answers(rng)
        score = sum(a.ordinal for a in answers if a.ordinal is not None)
        response = Response(task.id, code, 1, answers, attempt.nurse, submitted, score=score, id=rng_id(rng))
        played.responses.append(response)
        played.alerts.extend(_alerts_for(rng, task, response, ctx))
    task_rules.complete_with_response(task, submitted)


def _satisfaction_answers(rng: random.Random) -> tuple[Answer, ...]:
    levels = tuple(level for level, _ in _SATISFACTION_WEIGHTS)
    weights = tuple(weight for _, weight in _SATISFACTION_WEIGHTS)
    return tuple(
        Answer(item, str(level), float(level), is_satisfaction=True)
        for item, level in zip(
            SATISFACTION_ITEMS, rng.choices(levels, weights, k=len(SATISFACTION_ITEMS)), strict=True
        )
    )


def _clinical_answers(rng: random.Random) -> tuple[Answer, ...]:
    systolic = round(rng.gauss(132, 18))
    temperature = round(rng.gauss(36.7, 0.5), 1)
    pain = max(0, min(10, round(rng.gauss(2.5, 2.0))))
    adherence = rng.choices(("regular", "occasional_miss", "stopped"), (0.86, 0.11, 0.03))[0]
    return (
        Answer("systolic_bp", systolic),
        Answer("temperature", temperature),
        Answer("pain_nrs", pain, ordinal=float(pain)),
        Answer("medication_adherence", adherence),
    )


_ALERT_RULES = (
    (
        "systolic_bp",
        lambda v: v >= 180,
        "SBP_HIGH",
        AlertSeverity.CRITICAL,
        "收缩压≥180 mmHg，请立即联系医生",
    ),
    ("systolic_bp", lambda v: v <= 90, "SBP_LOW", AlertSeverity.CRITICAL, "收缩压≤90 mmHg，请立即联系医生"),
    ("temperature", lambda v: v >= 39.0, "FEVER", AlertSeverity.CRITICAL, "体温≥39.0 ℃"),
    ("pain_nrs", lambda v: v >= 7, "PAIN_SEVERE", AlertSeverity.WARNING, "疼痛评分≥7分"),
)


def _alerts_for(rng: random.Random, task: FollowUpTask, response: Response, ctx: CallContext) -> list[Alert]:
    values = {answer.link_id: answer.value for answer in response.answers}
    alerts = []
    for link_id, fires, code, severity, message in _ALERT_RULES:
        value = values.get(link_id)
        if value is None or not fires(value):
            continue
        alert = Alert(
            response.id,
            task.id,
            task.patient_id,
            task.ward_code,
            code,
            severity,
            message,
            response.submitted_at,
            id=rng_id(rng),
        )
        # Older alerts have been handled by the ward; the last day's may still be open.
        if ctx.now - response.submitted_at > timedelta(hours=rng.uniform(2, 30)):
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_by = response.submitted_by
            alert.acknowledged_at = response.submitted_at + timedelta(minutes=rng.uniform(1, 45))
        alerts.append(alert)
    return alerts
