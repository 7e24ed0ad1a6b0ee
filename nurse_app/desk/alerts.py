"""Critical-value alerts at the desk: the open ones of a task, and acknowledging one with what was done.

Acknowledging changes the local Alert (status, by, at), writes an audit event
that says what the nurse did, and queues both for the service, all in ONE
transaction: either the alert is acknowledged and will sync, or nothing
changed. The Alert record has no field for the action or note; they travel
in the audit event's ``detail`` ("<action>: <note>").
"""

from __future__ import annotations

from dataclasses import replace

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import NotFound, _check_ward
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import Alert, AlertStatus, AuditAction
from nurse_app.store import outbox

__all__ = ["ACK_ACTIONS", "NoteRequired", "acknowledge_alert", "open_alerts_of_task"]

ACK_ACTIONS = ("advised_ed_visit", "contacted_doctor", "scheduled_clinic", "other")
NOTE_MAX = 500
# An escalated alert still waits for someone to act on it; acknowledged/resolved ones are done.
_ACKNOWLEDGEABLE = (AlertStatus.OPEN, AlertStatus.ESCALATED)


class NoteRequired(DomainError):
    """Action "other" says nothing by itself: the nurse must write what she did."""


def open_alerts_of_task(ctx: DeskContext, task_id: str) -> list[Alert]:
    """Alerts of ``task_id`` still waiting for a nurse (open or escalated), oldest first."""
    with ctx.unit_of_work() as (repo, _session):
        task = repo.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, task.ward_code)
        return [a for a in repo.alerts_of_task(task_id) if AlertStatus(a.status) in _ACKNOWLEDGEABLE]


def acknowledge_alert(ctx: DeskContext, alert_id: str, action: str, note: str = "") -> Alert:
    """Mark ``alert_id`` acknowledged by the logged-in user, recording ``action`` (and ``note``).

    ``action`` is one of :data:`ACK_ACTIONS`; "other" needs a note
    (:class:`NoteRequired`). The alert, its audit event and their outbox rows
    commit together. Raises ``NotFound`` for an alert not on this PC and
    ``DomainError`` outside the user's wards or when already acknowledged.
    """
    if action not in ACK_ACTIONS:
        raise DomainError(f"unknown action '{action}'; expected one of {', '.join(ACK_ACTIONS)}")
    note = note.strip()[:NOTE_MAX]
    if action == "other" and not note:
        raise NoteRequired("say what was done when the action is 'other'")
    now = ctx.now()
    with ctx.unit_of_work() as (repo, session):
        alert = repo.get_alert(alert_id)
        if alert is None:
            raise NotFound(f"alert {alert_id} is not in this PC's cache")
        _check_ward(ctx, alert.ward_code)
        if AlertStatus(alert.status) not in _ACKNOWLEDGEABLE:
            raise DomainError(f"alert {alert_id} is already {AlertStatus(alert.status).value}")
        acknowledged = replace(
            alert, status=AlertStatus.ACKNOWLEDGED, acknowledged_by=ctx.user.username, acknowledged_at=now
        )
        repo.add_alert(acknowledged)
        outbox.enqueue(session, "alert", acknowledged, now=now)
        detail = f"{action}: {note}" if note else action
        ctx.audit(repo, session, AuditAction.UPDATE, "alert", acknowledged.id, detail)
    return acknowledged
