"""Patient reminders per plan step: the day before a scheduled call, and "请回电" after a failed attempt.

Every reminder is decided once (idempotency key per task / attempt) and either
queued or recorded as skipped with its reason: opted out, no phone, rate limit.
One that falls in quiet hours is queued to go out when they end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_sync.service.core.db import Database
from server_sync.service.notify import config as notify_config
from server_sync.service.notify import outbox
from server_sync.service.notify.models import SKIPPED, NotifyMessageRow, NotifyOptOutRow
from server_sync.service.notify.templates import render
from server_sync.service.records.models import PatientRow, TaskRow

FAILED_OUTCOMES = frozenset({"no_answer", "busy"})


def record_opt_out(
    *, db_session: Session, patient_id: str, actor: str, now: datetime, reason: str = ""
) -> None:
    """The patient asked for no reminders (kept until withdrawn)."""
    if db_session.get(NotifyOptOutRow, patient_id) is None:
        db_session.add(
            NotifyOptOutRow(patient_id=patient_id, recorded_by=actor, recorded_at=now, reason=reason)
        )


def _skip_reason(
    db_session: Session, patient: dict[str, Any], policy: notify_config.Policy, now: datetime
) -> str | None:
    if db_session.get(NotifyOptOutRow, patient["id"]) is not None:
        return "opted_out"
    if not str(patient.get("phone") or "").strip():
        return "no_phone"
    sent_today = db_session.execute(
        select(func.count(NotifyMessageRow.id)).where(
            NotifyMessageRow.patient_id == patient["id"],
            NotifyMessageRow.event.like("reminder%"),
            NotifyMessageRow.status != SKIPPED,
            NotifyMessageRow.created_at > now - timedelta(days=1),
        )
    ).scalar_one()
    if sent_today >= policy.reminders_per_day:
        return "rate_limited"
    return None


def _queue(
    db_session: Session,
    *,
    key: str,
    event: str,
    template: str,
    patient: dict[str, Any],
    ward_code: str,
    values: dict[str, object],
    now: datetime,
) -> NotifyMessageRow | None:
    if outbox.exists(db_session, key):
        return None
    cfg = notify_config.load(db_session)
    reason = _skip_reason(db_session, patient, cfg.policy, now)
    if reason is None and "sms" not in cfg.channels:
        reason = "no_sms_channel"
    body = render(
        cfg.templates,
        template,
        cfg.policy.lang,
        {"patient": outbox.mask_name(str(patient.get("name", ""))), "ward": ward_code, **values},
    )
    return outbox.enqueue(
        db_session,
        key=key,
        event=event,
        channel="sms",
        recipient=str(patient.get("phone") or ""),
        body=body,
        now=now,
        patient_id=patient["id"],
        not_before=cfg.policy.quiet_over(now),
        skipped_reason=reason,
    )


def queue_callback_reminder(
    db_session: Session, *, attempt: Any, ward_code: str, patient: dict[str, Any], now: datetime
) -> NotifyMessageRow | None:
    """After a failed call attempt: ask the patient to call back (in the push transaction)."""
    outcome = getattr(attempt.outcome, "value", attempt.outcome)
    if outcome not in FAILED_OUTCOMES:
        return None
    phone = notify_config.load(db_session).policy.callback_phone
    return _queue(
        db_session,
        key=f"reminder_callback:{attempt.id}",
        event="reminder_callback",
        template="reminder_callback",
        patient=patient,
        ward_code=ward_code,
        values={"phone": phone},
        now=now,
    )


def queue_day_before(database: Database, *, now: datetime, limit: int = 500) -> int:
    """Queue (or record as skipped) the reminders of pending tasks due tomorrow; returns how many decided."""

    def work(db_session: Session) -> int:
        cfg = notify_config.load(db_session)
        zone = ZoneInfo(cfg.policy.zone)
        tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
        decided = 0
        rows = db_session.scalars(
            select(TaskRow).where(TaskRow.status == "pending", TaskRow.deleted.is_(False)).limit(20_000)
        ).all()
        for task in rows:
            due = datetime.fromisoformat(str(task.payload["due_at"]).replace("Z", "+00:00"))
            if due.astimezone(zone).date() != tomorrow:
                continue
            patient = db_session.get(PatientRow, task.patient_id)
            if patient is None:
                continue
            queued = _queue(
                db_session,
                key=f"reminder_day_before:{task.id}:{due.date().isoformat()}",
                event="reminder_day_before",
                template="reminder_day_before",
                patient=patient.payload,
                ward_code=task.ward_code or "",
                values={"date": due.astimezone(zone).strftime("%m-%d"), "phone": cfg.policy.callback_phone},
                now=now,
            )
            decided += queued is not None
            if decided >= limit:
                break
        return decided

    return database.run_write(work)
