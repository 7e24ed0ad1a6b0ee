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

Batches are pipelined (``Pusher.push``): the next batch is read and built, and the last
answer recorded, while a request is in flight, with the same guarantees as one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from nurse_app.domain.codec import format_utc
from nurse_app.domain.model import utc_now
from nurse_app.store import outbox
from nurse_app.store.outbox import OutboxEntry
from server_sync.client import state
from server_sync.client.auth import Authenticator
from server_sync.client.errors import JournalLost, SeqGap
from server_sync.client.http import EncodedJson, encode_json
from server_sync.client.progress import ProgressTracker
from server_sync.protocol import MAX_MUTATIONS_PER_PUSH, PROTOCOL_VERSION

log = logging.getLogger(__name__)

VERSIONED = frozenset({"patient", "task"})  # payloads with a ``version`` the service merges against
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
Fault = Callable[[str], None]  # test seam: called at "before_send" and "before_ack"
STARTUP_WAIT = 1.0  # seconds to let the sender thread start a request before recording meanwhile


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
        progress: ProgressTracker | None = None,
    ) -> None:
        self.auth = auth
        self.progress = progress or ProgressTracker()
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
        """Push every pending entry. Raises ServiceUnavailable/AuthExpired/… with nothing lost.

        Pipelined: while batch N travels to the service (on a sender thread), the answer to N-1 is
        recorded in the cache and batch N+1 is read and built, so the PC's work and the service's
        overlap. Still one request at a time and in seq order: N+1 leaves only once N's answer has
        given the versions its edits are based on.
        """
        result = PushResult()
        client_id = self.client_id()
        # Leaving the block waits for a request still in flight: no push outlives this call.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push") as sender:
            self._push_pipelined(client_id, sender, result)
        with self.sessions() as session, session.begin():
            if not outbox.has_pending_any(session):
                state.delete_prefix(session, state.BASE)  # every record's version is pulled fresh now
        return result

    def _push_pipelined(self, client_id: str, sender: ThreadPoolExecutor, result: PushResult) -> None:
        answered: _Answered | None = None  # the last answer, not yet recorded in the cache
        ready = self._prepare(after_seq=0)
        while True:
            if not ready.entries:
                if answered is None:
                    return
                # Nothing followed when this was read: record the last answer, then look again
                # (the desk may have queued more meanwhile).
                self._record(answered)
                ready, answered = self._prepare(after_seq=answered.last_seq), None
                continue
            if answered is not None:
                ready.rebase(answered.produced)
            in_flight = _submit_and_let_start(sender, self._send, _push_body(client_id, ready.encoded))
            if answered is not None:
                # Recorded before waiting on the next request, so a failure of that request (or a
                # crash while it is in flight) finds every earlier answer in the cache. Should this
                # transaction fail instead, neither batch counts as delivered here: both are sent
                # again by the next push and come back as duplicates.
                self._record(answered)
                answered = None
            # Rebinding ``sent`` frees the batch sent before: thousands of objects, better freed
            # here than between an answer and the next request.
            sent, ready = ready, self._prepare(after_seq=ready.entries[-1].seq)
            try:
                body = in_flight.result()
            except SeqGap as gap:
                log.info("service expects seq %d: re-sending the journal from there", gap.expected_seq)
                self.replay(
                    client_id,
                    after_seq=gap.expected_seq - 1,
                    until_seq=sent.entries[0].seq - 1,
                    result=result,
                )
                ready = self._prepare(after_seq=0)  # the refused batch is still pending: from the oldest
                continue
            if self.fault:
                self.fault("before_ack")
            answered = self._tally(sent.entries, body, result)

    def _prepare(self, *, after_seq: int) -> _Prepared:
        """The next batch after ``after_seq``, built and encoded on the bases stored so far.

        Runs while the batch before it is in flight: the versions that one produces are not known
        yet, and ``_Prepared.rebase`` puts them in once its answer is in (see module doc).
        """
        with self.sessions() as session:
            batch = outbox.pending_batch(
                session,
                max_count=self.batch_size,
                max_bytes=self.max_bytes,
                after_seq=after_seq,
                one_edit_of=VERSIONED,
            )
            bases = _bases(session, batch)
        mutations = [_mutation(entry, bases) for entry in batch]
        return _Prepared(batch, mutations, list(map(_encoded, mutations, batch)))

    def replay(self, client_id: str, *, after_seq: int, until_seq: int | None, result: PushResult) -> None:
        """Re-send journal entries (acknowledged or not) after ``after_seq``, up to ``until_seq``.

        Sequential (rare, and it stops at the first missing entry): each batch is recorded before
        the next one is read.
        """
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
        body = self.auth.request("POST", "/sync/push", body=_push_body(client_id, [])).body
        return int(body["last_applied_seq"]), str(body["server_epoch"])

    # --- one batch -------------------------------------------------------------------------------------

    def _send(self, body: EncodedJson) -> dict[str, Any]:
        """One batch's push request (on the sender thread when pipelined); the service's answer."""
        if self.fault:
            self.fault("before_send")
        # A push answer's integers (seqs, versions) all fit in 64 bits: orjson may decode it.
        return self.auth.request("POST", "/sync/push", body=body, decode=orjson.loads).body

    def _send_and_ack(
        self, client_id: str, batch: list[OutboxEntry], bases: dict[tuple[str, str], int], result: PushResult
    ) -> None:
        body = self._send(
            _push_body(client_id, [_encoded(_mutation(entry, bases), entry) for entry in batch])
        )
        if self.fault:
            self.fault("before_ack")
        self._record(self._tally(batch, body, result))

    def _tally(self, batch: list[OutboxEntry], body: dict[str, Any], result: PushResult) -> _Answered:
        """Count the answer's results; what the cache must record of them."""
        by_seq = {entry.seq: entry for entry in batch}
        answered = _Answered(acked=[], produced={}, last_seq=batch[-1].seq)
        for item in body["results"]:
            entry = by_seq.get(item["seq"])
            if entry is None:
                continue
            answered.acked.append(entry.seq)
            status = item["status"]
            result.count(status)
            key = (entry.entity, entry.entity_id)
            if status == "applied" and entry.entity in VERSIONED and item.get("server_version"):
                answered.produced[key] = int(item["server_version"])
            elif status in ("conflict", "rejected") and entry.op == "upsert":
                result.refetch.append(key)
        result.sent += len(batch)
        result.batches += 1
        result.server_epoch = body["server_epoch"]
        self.progress.add_sent(len(batch))
        return answered

    def _record(self, answered: _Answered) -> None:
        """Record a whole answer in one local transaction: every result, or none.

        None: the batch is simply sent again and comes back as duplicates.
        """
        with self.sessions() as session, session.begin():
            outbox.acknowledge(session, answered.acked, at=self.clock())
            if answered.produced:
                # Only records with further edits still queued need their new version remembered.
                waiting = outbox.pending_among(session, answered.produced, after_seq=answered.last_seq)
                state.set_many(
                    session,
                    {
                        f"{state.BASE}{entity}:{entity_id}": str(version)
                        for (entity, entity_id), version in answered.produced.items()
                        if (entity, entity_id) in waiting
                    },
                )


@dataclass(slots=True)
class _Answered:
    """An answered batch: what the cache has to record of it."""

    acked: list[int]  # seqs the answer has a result for
    produced: dict[tuple[str, str], int]  # versions its applied patient/task edits produced
    last_seq: int  # the batch's last seq: the next batch starts after it


@dataclass(slots=True)
class _Prepared:
    """A batch read, built and encoded, ready to send once the answer before it is in."""

    entries: list[OutboxEntry]
    mutations: list[dict[str, Any]]  # without their payloads (see ``_encoded``)
    encoded: list[bytes]  # each mutation as JSON: only a rebased one is encoded again

    def rebase(self, produced: dict[tuple[str, str], int]) -> None:
        """Base edits of records the batch before changed on the versions it produced."""
        if not produced:
            return
        for index, entry in enumerate(self.entries):
            version = produced.get((entry.entity, entry.entity_id))
            if version is not None:
                mutation = self.mutations[index]
                mutation["base_version"] = _base_version(entry, version)
                self.encoded[index] = _encoded(mutation, entry)


def _submit_and_let_start(
    sender: ThreadPoolExecutor, send: Callable[[EncodedJson], dict[str, Any]], body: EncodedJson
) -> Future[dict[str, Any]]:
    """Submit ``send(body)`` and return once the sender thread runs it.

    This thread's next work (recording the answer before) would otherwise hold the interpreter
    lock while the sender wakes up, delaying the request the service waits for.
    """
    started = threading.Event()

    def run() -> dict[str, Any]:
        started.set()
        return send(body)

    in_flight = sender.submit(run)
    started.wait(STARTUP_WAIT)  # only an ordering hint: carry on regardless after that
    return in_flight


def _push_body(client_id: str, encoded_mutations: list[bytes]) -> EncodedJson:
    """The push request, from mutations encoded one by one (so most of it is encoded in advance)."""
    return EncodedJson(
        b"".join(
            (
                b'{"client_id":',
                encode_json(client_id),
                b',"protocol_version":',
                encode_json(PROTOCOL_VERSION),
                b',"mutations":[',
                b",".join(encoded_mutations),
                b"]}",
            )
        )
    )


def _mutation(entry: OutboxEntry, bases: dict[tuple[str, str], int]) -> dict[str, Any]:
    """The mutation ``entry`` sends, but for its payload (``_encoded`` adds it)."""
    base = None
    if entry.entity in VERSIONED:
        base = _base_version(entry, bases.get((entry.entity, entry.entity_id), 0))
    return {
        "mutation_id": entry.mutation_id,
        "seq": entry.seq,
        "entity": entry.entity,
        "op": entry.op,
        "entity_id": entry.entity_id,
        "base_version": base,
        "client_time": format_utc(entry.created_at),  # informational only: never used for ordering
    }


def _encoded(mutation: dict[str, Any], entry: OutboxEntry) -> bytes:
    """``mutation`` as JSON with the entry's payload: its stored JSON as is, not encoded again."""
    payload = entry.payload_json.encode() if entry.payload_json else encode_json(entry.payload)
    return b"".join((encode_json(mutation)[:-1], b',"payload":', payload, b"}"))


def _base_version(entry: OutboxEntry, produced: int) -> int | None:
    # The newer of: the version this PC last pulled, and the version its own last push produced.
    return max(produced, entry.payload.get("version") or 0) or None


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
