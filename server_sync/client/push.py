"""Push: send the outbox in bounded batches in seq order; acknowledge each answer in one transaction.

Exactly-once comes from the service (it stores the client's last applied seq in
the transaction of the batch's effects); the client's part is to resend until
it has an answer, acknowledge every result of an answer together, and keep the
journal so a service that lost mutations (restore, 409 ``seq_gap``) gets them
again from the seq it asks for.

Patient and task edits carry ``base_version`` for the service's field merge. An
edit made offline after another edit of the same record must be based on the
version *that* edit produced, which only the answer tells: so a batch ends
before a second edit of the same patient or task, and the produced versions are
remembered (``base:`` keys in sync_state) until the outbox is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurse_app.domain.codec import format_utc
from nurse_app.domain.model import utc_now
from nurse_app.store import outbox
from nurse_app.store.outbox import OutboxEntry
from server_sync.client import state
from server_sync.client.auth import Authenticator
from server_sync.client.errors import JournalLost, SeqGap
from server_sync.protocol import MAX_MUTATIONS_PER_PUSH, PROTOCOL_VERSION

log = logging.getLogger(__name__)

VERSIONED = frozenset({"patient", "task"})  # payloads with a ``version`` the service merges against
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
Fault = Callable[[str], None]  # test seam: called at "before_send" and "before_ack"


@dataclass(slots=True)
class PushResult:
    sent: int = 0
    batches: int = 0
    applied: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    server_epoch: str | None = None
    # Records the service kept its own version of: fetched again so the cache shows the truth.
    refetch: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


class Pusher:
    def __init__(
        self,
        auth: Authenticator,
        sessions: Callable[[], Session],
        *,
        batch_size: int = MAX_MUTATIONS_PER_PUSH,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], datetime] = utc_now,
        fault: Fault | None = None,
    ) -> None:
        self.auth = auth
        self.sessions = sessions
        self.batch_size = min(batch_size, MAX_MUTATIONS_PER_PUSH)
        self.max_bytes = max_bytes
        self.clock = clock
        self.fault = fault

    def client_id(self) -> str:
        with self.sessions() as session, session.begin():
            return outbox.client_id(session)

    # --- the outbox ----------------------------------------------------------------------------------

    def push(self) -> PushResult:
        """Push every pending entry. Raises ServiceUnavailable/AuthExpired/… with nothing lost."""
        result = PushResult()
        client_id = self.client_id()
        while True:
            with self.sessions() as session:
                batch = outbox.pending_batch(session, max_count=self.batch_size, max_bytes=self.max_bytes)
                bases = _bases(session, batch)
            if not batch:
                break
            batch = _one_edit_per_record(batch)
            try:
                self._send_and_ack(client_id, batch, bases, result)
            except SeqGap as gap:
                log.info("service expects seq %d: re-sending the journal from there", gap.expected_seq)
                self.replay(
                    client_id, after_seq=gap.expected_seq - 1, until_seq=batch[0].seq - 1, result=result
                )
        with self.sessions() as session, session.begin():
            if not outbox.has_pending_any(session):
                state.delete_prefix(session, state.BASE)  # every record's version is pulled fresh now
        return result

    def replay(self, client_id: str, *, after_seq: int, until_seq: int | None, result: PushResult) -> None:
        """Re-send journal entries (acknowledged or not) after ``after_seq``, up to ``until_seq``."""
        expected = after_seq + 1
        while until_seq is None or expected <= until_seq:
            with self.sessions() as session:
                entries = outbox.journal_since(session, after_seq=expected - 1, limit=self.batch_size)
                bases = _bases(session, entries)
            if until_seq is not None:
                entries = [e for e in entries if e.seq <= until_seq]
            if not entries:
                if until_seq is None:
                    return
                raise JournalLost(
                    f"the central service needs this PC's changes from number {expected}, which were "
                    "deleted here after 30 days: contact IT (the service was restored from an old backup)"
                )
            if entries[0].seq != expected:
                raise JournalLost(
                    f"the central service needs this PC's changes from number {expected} but this PC "
                    f"keeps them only from {entries[0].seq}: contact IT"
                )
            entries = _one_edit_per_record(entries)
            self._send_and_ack(client_id, entries, bases, result)
            expected = entries[-1].seq + 1

    def last_applied_seq(self, client_id: str) -> tuple[int, str]:
        """The service's last applied seq of this client (an empty push), and its epoch."""
        body = self._post(client_id, [])
        return int(body["last_applied_seq"]), str(body["server_epoch"])

    # --- one batch -------------------------------------------------------------------------------------

    def _post(self, client_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        request = {"client_id": client_id, "protocol_version": PROTOCOL_VERSION, "mutations": mutations}
        return self.auth.request("POST", "/sync/push", body=request).body

    def _send_and_ack(
        self, client_id: str, batch: list[OutboxEntry], bases: dict[tuple[str, str], int], result: PushResult
    ) -> None:
        mutations = [_mutation(entry, bases) for entry in batch]
        if self.fault:
            self.fault("before_send")
        body = self._post(client_id, mutations)
        if self.fault:
            self.fault("before_ack")
        by_seq = {entry.seq: entry for entry in batch}
        acked: list[int] = []
        produced: dict[tuple[str, str], int] = {}
        for item in body["results"]:
            entry = by_seq.get(item["seq"])
            if entry is None:
                continue
            acked.append(entry.seq)
            result.count(item["status"])
            key = (entry.entity, entry.entity_id)
            if item["status"] == "applied" and entry.entity in VERSIONED and item.get("server_version"):
                produced[key] = int(item["server_version"])
            elif item["status"] in ("conflict", "rejected") and entry.op == "upsert":
                result.refetch.append(key)
        # One local transaction for the whole answer: either every result is recorded or none is
        # (then the batch is simply sent again and comes back as duplicates).
        with self.sessions() as session, session.begin():
            outbox.acknowledge(session, acked, at=self.clock())
            if produced:
                # Only records with further edits still queued need their new version remembered.
                waiting = outbox.pending_among(session, produced)
                state.set_many(
                    session,
                    {f"{state.BASE}{e}:{i}": str(v) for (e, i), v in produced.items() if (e, i) in waiting},
                )
        result.sent += len(batch)
        result.batches += 1
        result.server_epoch = body["server_epoch"]


def _mutation(entry: OutboxEntry, bases: dict[tuple[str, str], int]) -> dict[str, Any]:
    base = None
    if entry.entity in VERSIONED:
        # The newer of: the version this PC last pulled, and the version its own last push produced.
        base = max(bases.get((entry.entity, entry.entity_id), 0), entry.payload.get("version") or 0) or None
    return {
        "mutation_id": entry.mutation_id,
        "seq": entry.seq,
        "entity": entry.entity,
        "op": entry.op,
        "entity_id": entry.entity_id,
        "base_version": base,
        "payload": entry.payload,
        "client_time": format_utc(entry.created_at),  # informational only: never used for ordering
    }


def _bases(session: Session, batch: list[OutboxEntry]) -> dict[tuple[str, str], int]:
    """Versions produced by earlier pushes of the batch's patients and tasks (see module doc)."""
    keys = {(e.entity, e.entity_id) for e in batch if e.entity in VERSIONED}
    if not keys:
        return {}
    stored = state.with_prefix(session, state.BASE)
    found = {}
    for key in keys:
        value = stored.get(f"{state.BASE}{key[0]}:{key[1]}")
        if value is not None:
            found[key] = int(value)
    return found


def _one_edit_per_record(batch: list[OutboxEntry]) -> list[OutboxEntry]:
    """The longest prefix of ``batch`` with at most one edit of each patient and task."""
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(batch):
        if entry.entity in VERSIONED:
            key = (entry.entity, entry.entity_id)
            if key in seen:
                return batch[:index]
            seen.add(key)
    return batch
