"""Writing pulled changes into the local cache: bulk upserts in parent-first order, tombstones, holds.

Rules (DESIGN "Sync"):
* a record with pending outbox entries is never overwritten: its change is *held* and
  applied once the push is acknowledged (unless a newer change replaced it);
* a record whose parent (patient, encounter, task…) has not arrived yet is held too,
  because the feed orders by change number, not by foreign key — a patient edited
  after its task was created comes after the task;
* tombstones delete the record and what hangs from it locally.

Held changes live in ``sync_state`` (``held:<entity>:<id>``), written in the same
transaction as the page, so a crash never loses one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nurse_app.domain.codec import PayloadError, payload_to_entity
from nurse_app.domain.model import CallOutcome, FollowUpTask, TaskStatus
from nurse_app.store import mapping as m
from nurse_app.store.models import (
    AlertRow,
    AuditEventRow,
    CallAttemptRow,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
    WardRow,
)
from server_sync.client import state

log = logging.getLogger(__name__)

Key = tuple[str, str]
_CHUNK = 500

# Parent-first: a page is written in this order so foreign keys always resolve.
ORDER = ("patient", "encounter", "enrollment", "task", "call_attempt", "response", "alert", "audit_event")
TABLES: dict[str, Table] = {
    "ward": WardRow.__table__,  # type: ignore[dict-item]
    "patient": PatientRow.__table__,  # type: ignore[dict-item]
    "encounter": EncounterRow.__table__,  # type: ignore[dict-item]
    "enrollment": EnrollmentRow.__table__,  # type: ignore[dict-item]
    "task": TaskRow.__table__,  # type: ignore[dict-item]
    "call_attempt": CallAttemptRow.__table__,  # type: ignore[dict-item]
    "response": ResponseRow.__table__,  # type: ignore[dict-item]
    "alert": AlertRow.__table__,  # type: ignore[dict-item]
    "audit_event": AuditEventRow.__table__,  # type: ignore[dict-item]
}
VALUES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "patient": m.patient_values,
    "encounter": m.encounter_values,
    "enrollment": m.enrollment_values,
    "task": m.task_values,
    "call_attempt": m.attempt_values,
    "response": m.response_values,
    "alert": m.alert_values,
    "audit_event": m.audit_values,
}
# (column, parent entity) of every foreign key of the cache's clinical tables.
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "encounter": (("patient_id", "patient"), ("ward_code", "ward")),
    "enrollment": (("patient_id", "patient"), ("encounter_id", "encounter")),
    "task": (
        ("enrollment_id", "enrollment"),
        ("patient_id", "patient"),
        ("encounter_id", "encounter"),
        ("ward_code", "ward"),
    ),
    "call_attempt": (("task_id", "task"),),
    "response": (("task_id", "task"),),
    "alert": (("response_id", "response"), ("task_id", "task"), ("patient_id", "patient")),
}
CHILDREN: dict[str, list[tuple[str, str]]] = defaultdict(list)
for _child, _links in PARENTS.items():
    for _column, _parent in _links:
        CHILDREN[_parent].append((_child, _column))


_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(FollowUpTask))
_TASK_TIMES = ("due_at", "window_end", "next_attempt_at", "completed_at")
_TASK_INTS = ("plan_version", "step_no", "attempts", "version")


def _utc_text(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(timezone.utc)


def _task_values_fast(payload: dict[str, Any]) -> dict[str, Any]:
    """Cache columns of a task straight from its payload: the first pull of a ward is mostly tasks.

    Same result as ``mapping.task_values(payload_to_entity("task", payload))`` for a well-formed
    payload, a few times faster; anything unusual raises and the generic codec path decides.
    """
    if len(payload) != len(_TASK_FIELDS) or any(name not in payload for name in _TASK_FIELDS):
        raise ValueError("not the task shape this app knows")
    values = {name: payload[name] for name in _TASK_FIELDS if name != "questionnaires"}
    for name in _TASK_INTS:
        if type(values[name]) is not int:
            raise ValueError(name)
    for name in _TASK_TIMES:
        values[name] = _utc_text(values[name])
    values["status"] = TaskStatus(values["status"]).value
    if values["finished_by"] is not None:
        values["finished_by"] = CallOutcome(values["finished_by"]).value
    values["questionnaires_json"] = json.dumps(
        list(payload["questionnaires"]), ensure_ascii=False, separators=(",", ":")
    )
    return values


def _values(entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    if entity == "task":
        try:
            return _task_values_fast(payload)
        except (ValueError, TypeError, AttributeError):
            pass  # the generic path gives the precise refusal, or handles what the fast one does not
    return VALUES[entity](payload_to_entity(entity, payload))


def _key_column(entity: str) -> Any:
    table = TABLES[entity]
    return table.c.code if entity == "ward" else table.c.id


@dataclass(slots=True)
class Held:
    """Changes waiting to be applied, keyed by record; mirrored to ``sync_state`` on every page."""

    changes: dict[Key, dict[str, Any]] = field(default_factory=dict)
    _dirty: set[Key] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session) -> Held:
        held = cls()
        for key, value in state.with_prefix(session, state.HELD).items():
            _, entity, entity_id = key.split(":", 2)
            held.changes[(entity, entity_id)] = json.loads(value)
        return held

    def put(self, key: Key, change: dict[str, Any], why: str) -> None:
        self.changes[key] = {**change, "why": why}
        self._dirty.add(key)

    def drop(self, key: Key) -> None:
        if self.changes.pop(key, None) is not None:
            self._dirty.add(key)

    def save(self, session: Session) -> None:
        """Write the entries changed since the last save (in the page's transaction)."""
        gone = [f"{state.HELD}{e}:{i}" for e, i in self._dirty if (e, i) not in self.changes]
        state.delete_keys(session, gone)
        for key in self._dirty:
            if key in self.changes:
                state.set_json(session, f"{state.HELD}{key[0]}:{key[1]}", self.changes[key])
        self._dirty.clear()


@dataclass(slots=True)
class Applied:
    upserted: int = 0
    deleted: int = 0
    held: int = 0
    unreadable: int = 0
    keys: set[Key] = field(default_factory=set)  # every record the page named (re-download sweep)


class ChangeWriter:
    """Applies feed changes (dicts of ``protocol.Change`` shape) to the cache inside one Session."""

    def __init__(self, session: Session, held: Held) -> None:
        self.session = session
        self.held = held
        self.pending = _pending_keys(session)

    # --- the page --------------------------------------------------------------------------------

    def apply(self, changes: Iterable[dict[str, Any]]) -> Applied:
        """Apply one page; every change ends up written, deleted or held."""
        result = Applied()
        latest: dict[Key, dict[str, Any]] = {}
        for change in changes:
            key = (change["entity"], change["entity_id"])
            latest[key] = change  # a patient seen in two wards comes twice; the last is newest
        result.keys.update(latest)
        upserts: dict[str, list[tuple[Key, dict[str, Any]]]] = defaultdict(list)
        deletes: dict[str, list[str]] = defaultdict(list)
        for key, change in latest.items():
            if key in self.pending:
                self.held.put(key, change, "pending")
                result.held += 1
            elif change["op"] == "delete":
                deletes[key[0]].append(key[1])
                self.held.drop(key)
            else:
                upserts[key[0]].append((key, change))
        self._upsert(upserts, result)
        for entity in reversed(ORDER):
            if deletes.get(entity):
                result.deleted += self.delete_cascade(entity, deletes[entity])
        return result

    def _upsert(self, upserts: dict[str, list[tuple[Key, dict[str, Any]]]], result: Applied) -> None:
        written: dict[str, set[str]] = defaultdict(set)
        for entity in ORDER:
            pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for key, change in upserts.get(entity, ()):
                try:
                    pairs.append((_values(entity, change["payload"] or {}), change))
                except (PayloadError, KeyError, ValueError, TypeError) as error:
                    # Never the payload in the log: it is patient data.
                    log.warning("unreadable %s change %s skipped: %s", entity, key[1], type(error).__name__)
                    result.unreadable += 1
            missing = self._missing_parents(entity, [values for values, _ in pairs], written)
            ready = []
            for values, change in pairs:
                key = (entity, values["id"])
                if values["id"] in missing:
                    self.held.put(key, change, "orphan")
                    result.held += 1
                else:
                    self.held.drop(key)
                    ready.append(values)
                    written[entity].add(values["id"])
            if ready:
                self._write(entity, ready)
                result.upserted += len(ready)

    def _missing_parents(
        self, entity: str, rows: list[dict[str, Any]], written: dict[str, set[str]]
    ) -> set[str]:
        """Ids of ``rows`` whose parent records are neither in the cache nor written earlier in this page."""
        missing: set[str] = set()
        for column, parent in PARENTS.get(entity, ()):
            refs = {v[column] for v in rows if v.get(column) is not None}
            known = written[parent] | self._existing(parent, refs - written[parent])
            missing.update(v["id"] for v in rows if v.get(column) is not None and v[column] not in known)
        return missing

    def _existing(self, entity: str, ids: set[str]) -> set[str]:
        column = _key_column(entity)
        found: set[str] = set()
        ordered = sorted(ids)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            found.update(self.session.scalars(select(column).where(column.in_(chunk))))
        return found

    def _write(self, entity: str, rows: list[dict[str, Any]]) -> None:
        table = TABLES[entity]
        statement = sqlite_insert(table)
        columns = [name for name in rows[0] if not table.c[name].primary_key]
        statement = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={name: statement.excluded[name] for name in columns},
        )
        for start in range(0, len(rows), _CHUNK * 4):
            self.session.execute(statement, rows[start : start + _CHUNK * 4])
        if entity == "response":
            self._write_answers(rows)

    def _write_answers(self, rows: list[dict[str, Any]]) -> None:
        # Responses are append-only: their answer rows are written once and never change.
        answers = []
        for values in rows:
            response = m.response_from_row(_Row(values))
            answers.extend(m.response_answer_values(response))
        if answers:
            statement = sqlite_insert(ResponseAnswerRow.__table__).on_conflict_do_nothing()
            self.session.execute(statement, answers)

    # --- held changes ------------------------------------------------------------------------------

    def retry_orphans(self) -> int:
        """Apply held changes whose parents have arrived since; returns how many were applied."""
        total = 0
        while True:
            waiting = [c for c in self.held.changes.values() if c.get("why") == "orphan"]
            if not waiting:
                return total
            before = len(waiting)
            result = self.apply([_strip(c) for c in waiting])
            total += result.upserted
            still = sum(1 for c in self.held.changes.values() if c.get("why") == "orphan")
            if still >= before:
                return total

    def release_pending(self) -> int:
        """Apply held server changes of records whose local edits have all been acknowledged."""
        self.pending = _pending_keys(self.session)
        ready = [
            _strip(c)
            for key, c in self.held.changes.items()
            if c.get("why") == "pending" and key not in self.pending
        ]
        return self.apply(ready).upserted if ready else 0

    # --- deletions -----------------------------------------------------------------------------------

    def delete_cascade(self, entity: str, ids: Iterable[str]) -> int:
        """Delete records and every local record hanging from them (children first)."""
        doomed: dict[str, set[str]] = defaultdict(set)
        frontier = {entity: set(ids)}
        while frontier:
            next_frontier: dict[str, set[str]] = defaultdict(set)
            for parent, parent_ids in frontier.items():
                new = parent_ids - doomed[parent]
                if not new:
                    continue
                doomed[parent].update(new)
                for child, column in CHILDREN.get(parent, ()):
                    table = TABLES[child]
                    ordered = sorted(new)
                    for start in range(0, len(ordered), _CHUNK):
                        chunk = ordered[start : start + _CHUNK]
                        next_frontier[child].update(
                            self.session.scalars(select(table.c.id).where(table.c[column].in_(chunk)))
                        )
            frontier = {k: v for k, v in next_frontier.items() if v}
        count = 0
        for name in reversed(ORDER):
            chosen = sorted(doomed.get(name, ()))
            for start in range(0, len(chosen), _CHUNK):
                chunk = chosen[start : start + _CHUNK]
                if name == "response":
                    self.session.execute(
                        delete(ResponseAnswerRow).where(ResponseAnswerRow.response_id.in_(chunk))
                    )
                table = TABLES[name]
                count += self.session.execute(delete(table).where(table.c.id.in_(chunk))).rowcount or 0
            for record_id in chosen:
                self.held.drop((name, record_id))
        return count

    def sweep_unseen(self, seen: set[Key]) -> int:
        """After a full re-download: delete records the service no longer has (pending ones stay)."""
        self.pending = _pending_keys(self.session)
        count = 0
        for entity in ORDER:
            if entity == "audit_event":
                continue  # the local audit trail is this PC's own record, not a copy of the feed
            table = TABLES[entity]
            local = set(self.session.scalars(select(table.c.id)))
            gone = [i for i in local if (entity, i) not in seen and (entity, i) not in self.pending]
            if gone:
                count += self.delete_cascade(entity, gone)
        return count


class _Row:
    """Attribute access over a values dict, for ``mapping.*_from_row``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _strip(change: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in change.items() if k != "why"}


def _pending_keys(session: Session) -> set[Key]:
    from nurse_app.store import outbox

    return outbox.pending_keys(session)
