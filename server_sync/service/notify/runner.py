"""One step of the notification worker (escalations, reminders, delivery) and its loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server_sync.service.alerts.service import escalate_due
from server_sync.service.core.db import Database
from server_sync.service.notify.reminders import queue_day_before
from server_sync.service.notify.worker import NotifyWorker, StepResult

log = logging.getLogger("followup.notify")


@dataclass(slots=True)
class WorkerStep:
    escalated: int
    reminders: int
    delivery: StepResult


def run_step(worker: NotifyWorker, *, now: datetime, reminders: bool = True) -> WorkerStep:
    """Escalate overdue alerts, decide due reminders, then deliver what is due — all at ``now``."""
    escalated = escalate_due(worker.database, now=now)
    decided = queue_day_before(worker.database, now=now) if reminders else 0
    return WorkerStep(escalated, decided, worker.deliver_step(now=now))


def run_forever(
    database: Database,
    *,
    clock: Callable[[], datetime],
    idle_seconds: float = 1.0,
    reminder_every: float = 300.0,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """The ``followup-server notify-worker`` loop: busy while there is work, idle briefly otherwise."""
    worker = NotifyWorker(database)
    last_reminders = 0.0
    try:
        while not stop():
            due_reminders = time.monotonic() - last_reminders >= reminder_every
            try:
                step = run_step(worker, now=clock(), reminders=due_reminders)
            except Exception:
                log.exception("notify worker step failed")
                time.sleep(idle_seconds)
                continue
            if due_reminders:
                last_reminders = time.monotonic()
            if step.delivery.claimed == 0 and step.escalated == 0:
                time.sleep(idle_seconds)
    finally:
        worker.close()
