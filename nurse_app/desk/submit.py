"""Submitting a filled scale: validated, stored append-only with its alerts, the task completed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import NotFound, _check_ward
from nurse_app.domain import tasks as task_rules
from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import FormDefinition, Problem, evaluate, prune_hidden, to_answers
from nurse_app.domain.forms.critical_rules import Overrides
from nurse_app.domain.model import Alert, AuditAction, FollowUpTask, Response, TaskStatus
from nurse_app.store import outbox


class FormInvalid(DomainError):
    """The answers break the scale's rules; nothing was stored."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("; ".join(f"{p.link_id}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Submitted:
    response: Response
    alerts: tuple[Alert, ...]
    task: FollowUpTask


def _answered_codes(responses: list[Response]) -> set[str]:
    superseded = {r.supersedes for r in responses if r.supersedes}
    return {r.questionnaire_code for r in responses if r.id not in superseded}


def submit_response(
    ctx: DeskContext,
    task_id: str,
    definition: FormDefinition,
    answers: Mapping[str, object],
    *,
    lang: str = "zh_CN",
    overrides: Overrides | None = None,
    supersedes: str | None = None,
) -> Submitted:
    """Store the response of ``definition`` for ``task_id``; the task completes once all its scales are in.

    Answers of hidden items are dropped; any problem blocks the submission
    (``FormInvalid`` with every problem, in ``lang``). Critical rules raise
    alerts stored and queued with the response in the same transaction.
    """
    evaluation = evaluate(definition, answers, lang, overrides)
    if not evaluation.ok:
        raise FormInvalid(evaluation.problems)
    now = ctx.now()
    with ctx.unit_of_work() as (repo, session):
        task = repo.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, task.ward_code)
        if task.status not in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED) and supersedes is None:
            raise DomainError("record the call as reached before submitting the scale")
        kept = prune_hidden(definition, answers)
        first_score = next(iter(evaluation.scores.values()), None)
        response = Response(
            task.id,
            definition.code,
            definition.version,
            to_answers(definition, kept),
            ctx.user.username,
            now,
            score=None if first_score is None else first_score.value,
            supersedes=supersedes,
        )
        repo.add_response(response)
        outbox.enqueue(session, "response", response, now=now)
        alerts = tuple(
            Alert(
                response.id,
                task.id,
                task.patient_id,
                task.ward_code,
                raised.rule_code,
                raised.severity,
                raised.message_zh,
                now,
            )
            for raised in evaluation.alerts
        )
        for alert in alerts:
            repo.add_alert(alert)
            outbox.enqueue(session, "alert", alert, now=now)
        answered = _answered_codes(repo.responses_of_task(task.id))
        if task.status is TaskStatus.IN_PROGRESS and set(task.questionnaires) <= answered:
            task_rules.complete_with_response(task, now)
            repo.save_tasks([task])
            outbox.enqueue(session, "task", task, now=now)
        ctx.audit(repo, session, AuditAction.CREATE, "response", response.id, definition.code)
    return Submitted(response, alerts, task)
