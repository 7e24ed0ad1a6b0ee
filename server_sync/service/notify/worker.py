"""Delivering the notification outbox: claim, send, record — each message out exactly once.

Claiming is a short transaction that marks rows ``sending`` with a lease:
PostgreSQL/MariaDB take them with ``FOR UPDATE SKIP LOCKED`` so several
workers share the queue; on SQLite only the holder of the ``notify_worker_lease``
row delivers. Sending happens outside any transaction; the result is recorded
afterwards, guarded by ``claimed_by`` so a worker whose lease ran out cannot
overwrite another's result. A crash between send and record leaves the row
``sending`` until its lease expires and it is sent again with the same
idempotency key (header / Message-ID) for the receiver to drop.

Order: a channel with a message waiting for its backoff is held back, so a
recovered channel delivers in the order the events happened.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, or_, select, update

from server_sync.service.alerts.service import mark_notified
from server_sync.service.core.db import Database
from server_sync.service.notify import config as notify_config
from server_sync.service.notify.channels import Channel, DeliveryError, Outgoing, build_channels
from server_sync.service.notify.models import (
    DEAD,
    PENDING,
    RETRY,
    SENDING,
    SENT,
    NotifyLeaseRow,
    NotifyMessageRow,
)

LEASE_NAME = "delivery"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    key: str
    channel: str
    recipient: str
    subject: str
    body: str
    attempts: int
    alert_id: str | None
    event: str


@dataclass(slots=True)
class StepResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """Exponential backoff after the ``attempts``-th failure."""
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))


class NotifyWorker:
    """One delivery worker (a process may run several; tests run them with a controlled clock)."""

    def __init__(
        self, database: Database, *, worker_id: str | None = None, http: httpx.Client | None = None
    ) -> None:
        self.database = database
        self.worker_id = worker_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.http = http or httpx.Client(timeout=10)

    def close(self) -> None:
        self.http.close()

    # --- claim ---------------------------------------------------------------------------

    def _hold_lease(self, db_session, now: datetime, seconds: float) -> bool:
        lease = db_session.get(NotifyLeaseRow, LEASE_NAME)
        until = now + timedelta(seconds=seconds)
        if lease is None:
            db_session.add(NotifyLeaseRow(name=LEASE_NAME, holder=self.worker_id, expires_at=until))
            return True
        if lease.holder != self.worker_id and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = self.worker_id, until
        return True

    def claim(self, *, now: datetime, limit: int = 100) -> list[Claimed]:
        """Take up to ``limit`` due messages (oldest first) for this worker."""

        def work(db_session) -> list[Claimed]:
            policy = notify_config.load(db_session).policy
            if self.database.is_sqlite and not self._hold_lease(db_session, now, policy.lease_seconds):
                return []
            held = db_session.scalars(
                select(NotifyMessageRow.channel)
                .where(NotifyMessageRow.status == RETRY, NotifyMessageRow.next_attempt_at > now)
                .distinct()
            ).all()
            query = (
                select(NotifyMessageRow)
                .where(
                    or_(
                        and_(
                            NotifyMessageRow.status.in_((PENDING, RETRY)),
                            NotifyMessageRow.next_attempt_at <= now,
                        ),
                        and_(NotifyMessageRow.status == SENDING, NotifyMessageRow.claimed_until < now),
                    )
                )
                .order_by(NotifyMessageRow.id)
                .limit(limit)
            )
            if held:
                query = query.where(NotifyMessageRow.channel.not_in(held))
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = db_session.scalars(query).all()
            until = now + timedelta(seconds=policy.lease_seconds)
            claimed = []
            for row in rows:
                row.status, row.claimed_by, row.claimed_until = SENDING, self.worker_id, until
                row.attempts += 1
                claimed.append(
                    Claimed(
                        row.id,
                        row.idempotency_key,
                        row.channel,
                        row.recipient,
                        row.subject,
                        row.body,
                        row.attempts,
                        row.alert_id,
                        row.event,
                    )
                )
            return claimed

        return self.database.run_write(work)

    # --- send and record -----------------------------------------------------------------

    def deliver_step(self, *, now: datetime, limit: int = 100) -> StepResult:
        """Claim due messages, send them, record each result. Returns what happened."""
        result = StepResult()
        claimed = self.claim(now=now, limit=limit)
        result.claimed = len(claimed)
        if not claimed:
            return result
        with self.database.session() as db_session:
            cfg = notify_config.load(db_session)
        channels = build_channels(cfg.channels, self.http)
        outcomes: list[tuple[Claimed, str, str | None]] = []  # (message, status, error)
        failed_channels: set[str] = set()
        for message in claimed:
            if message.channel in failed_channels:
                outcomes.append((message, "release", None))
                continue
            channel: Channel | None = channels.get(message.channel)
            try:
                if channel is None:
                    raise DeliveryError(f"channel {message.channel} is not configured")
                channel.send(Outgoing(message.key, message.recipient, message.subject, message.body))
            except DeliveryError as error:
                limit_ = int(
                    cfg.channels.get(message.channel, {}).get("max_attempts", cfg.policy.max_attempts)
                )
                dead = error.permanent or message.attempts >= limit_
                outcomes.append((message, DEAD if dead else RETRY, error.reason))
                if not dead:
                    failed_channels.add(message.channel)
                result.errors.append(error.reason)
                continue
            outcomes.append((message, SENT, None))
        self._record(outcomes, now=now, policy=cfg.policy, result=result)
        return result

    def _record(self, outcomes, *, now: datetime, policy, result: StepResult) -> None:
        retry_at: dict[str, datetime] = {}

        def work(db_session) -> None:
            for message, status, error in outcomes:
                mine = and_(NotifyMessageRow.id == message.id, NotifyMessageRow.claimed_by == self.worker_id)
                values: dict = {"claimed_by": None, "claimed_until": None}
                if status == SENT:
                    values |= {"status": SENT, "sent_at": now, "last_error": None}
                elif status == RETRY:
                    at = now + backoff(message.attempts, policy.backoff_seconds, policy.backoff_max_seconds)
                    retry_at[message.channel] = at
                    values |= {"status": RETRY, "next_attempt_at": at, "last_error": error}
                elif status == DEAD:
                    values |= {"status": DEAD, "last_error": f"after {message.attempts} attempt(s): {error}"}
                else:  # not tried: its channel failed earlier in this step; wait with it
                    at = retry_at.get(message.channel, now)
                    values |= {
                        "status": RETRY,
                        "next_attempt_at": at,
                        "attempts": NotifyMessageRow.attempts - 1,
                    }
                changed = db_session.execute(update(NotifyMessageRow).where(mine).values(**values)).rowcount
                if changed and status == SENT and message.alert_id and message.event == "alert_raised":
                    mark_notified(
                        db_session,
                        alert_id=message.alert_id,
                        now=now,
                        detail=f"{message.channel} {message.key}",
                    )
                if changed:
                    key = {SENT: "sent", RETRY: "retried", DEAD: "dead"}.get(status, "released")
                    setattr(result, key, getattr(result, key) + 1)

        self.database.run_write(work)
