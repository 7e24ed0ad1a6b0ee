"""The working state of one push batch: rows loaded once, changes and audit rows buffered.

Rows a batch may modify are loaded together up front with ``FOR UPDATE`` (in a
fixed order, so concurrent batches lock in the same order); everything written
besides the records themselves is buffered and inserted in bulk at the end,
after which the change counter is taken — the last step before commit.

With ``bulk=True`` (the push path) the records themselves bypass the ORM too:
they are loaded with Core into plain ``Record`` objects (one SELECT … IN per
entity), changed in memory, and written at ``finish`` with one executemany per
table (INSERT for new records, UPDATE for changed ones). Nothing is written
before ``finish``, exactly as with the ORM under ``no_autoflush``. Without it
(intake, which mixes ORM queries in) rows are ORM objects flushed by the session.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role, User
from server_sync.service.audit.models import AuditEventRow
from server_sync.service.core.counter import take_numbers
from server_sync.service.core.ids import time_ordered_id
from server_sync.service.records.models import ROW_TYPES, PatientWardRow, RecordColumns, RecordHistoryRow
from server_sync.service.sync.models import ChangeRow, SyncIssueRow

_CHUNK = 500
# Flag of the tombstone a ward gets when a record moves out of it (kept when the record changes again).
MOVED = "moved"

# Payload fields naming the records a mutation refers to, loaded in bulk before applying.
_REFERENCES = {
    "encounter": (("patient_id", "patient"),),
    "enrollment": (("encounter_id", "encounter"), ("patient_id", "patient")),
    "task": (("patient_id", "patient"),),
    "call_attempt": (("task_id", "task"),),
    "response": (("task_id", "task"),),
    "alert": (("task_id", "task"),),
}


class Rejected(Exception):
    """This mutation can never apply (bad payload, wrong ward, unknown reference)."""


class Record:
    """A record row outside the ORM (bulk mode): attributes named after the table's columns."""

    __slots__ = ()
    _columns: tuple[str, ...] = ()
    _column_getter: Any = None  # attrgetter of every column: one C call per snapshot

    def _values(self) -> tuple[Any, ...]:
        return self._column_getter(self)


def _record_type(entity: str) -> type[Record]:
    table = ROW_TYPES[entity].__table__  # type: ignore[attr-defined]
    columns = tuple(column.name for column in table.columns)
    return type(
        f"{entity.title().replace('_', '')}Record",
        (Record,),
        {
            "__slots__": (*columns, "_loaded"),
            "_columns": columns,
            "_column_getter": attrgetter(*columns),
            "entity": entity,
            "table": table,
        },
    )


RECORD_TYPES: dict[str, type[Record]] = {entity: _record_type(entity) for entity in ROW_TYPES}


def make_record(entity: str, values: Any, *, loaded: bool) -> Any:
    """A Record of ``entity`` from a column mapping; ``loaded`` keeps a snapshot to detect changes."""
    record = RECORD_TYPES[entity]()
    for name in record._columns:
        setattr(record, name, values[name])
    record._loaded = record._values() if loaded else None
    return record


@dataclass(slots=True)
class _Emission:
    entity: str
    row: RecordColumns
    op: str
    flags: str = ""


@dataclass(slots=True)
class BatchContext:
    db_session: Session
    user: User
    device_id: str
    client_id: str
    now: datetime
    # A bulk import (seed-demo) of history: completions are attributed to the task's assignee.
    importing: bool = False
    # Records as plain Core-loaded objects written in bulk at finish (see the module doc).
    bulk: bool = False
    _rows: dict[tuple[str, str], RecordColumns | None] = field(default_factory=dict)
    _patient_wards: dict[str, set[str]] = field(default_factory=dict)
    _emissions: dict[tuple[str, str], _Emission] = field(default_factory=dict)
    _audit: list[dict[str, Any]] = field(default_factory=list)
    _history: list[dict[str, Any]] = field(default_factory=list)
    _issues: list[dict[str, Any]] = field(default_factory=list)
    _new: list[Any] = field(default_factory=list)
    _loaded: list[Any] = field(default_factory=list)
    _ward_links: list[dict[str, str]] = field(default_factory=list)
    # Records inserted by this batch: the feed holds no older entry of theirs to replace.
    _created: set[tuple[str, str]] = field(default_factory=set)
    _exits: list[tuple[str, str, str]] = field(default_factory=list)

    # --- scope ---------------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN

    def require_ward(self, ward_code: str | None, what: str) -> None:
        """Reject (not 403) a record outside the pusher's wards; the rest of the batch goes on."""
        if self.is_admin:
            return
        if ward_code is None or ward_code not in self.user.wards:
            raise Rejected(f"{what} belongs to ward {ward_code or '(none)'}, not one of your wards")

    def patient_wards(self, patient_id: str) -> set[str]:
        if patient_id not in self._patient_wards:
            codes = self.db_session.scalars(
                select(PatientWardRow.ward_code).where(PatientWardRow.patient_id == patient_id)
            ).all()
            self._patient_wards[patient_id] = set(codes)
        return self._patient_wards[patient_id]

    def link_patient_ward(self, patient_id: str, ward_code: str) -> bool:
        """Make a patient visible to a ward; True when the link is new."""
        wards = self.patient_wards(patient_id)
        if ward_code in wards:
            return False
        if self.bulk:
            self._ward_links.append({"patient_id": patient_id, "ward_code": ward_code})
        else:
            self.db_session.add(PatientWardRow(patient_id=patient_id, ward_code=ward_code))
        wards.add(ward_code)
        return True

    # --- rows ------------------------------------------------------------------------------

    def prefetch(self, wanted: dict[str, Iterable[str]], *, lock: bool) -> None:
        """Load the rows of ``wanted`` (entity → ids) in bulk; ``lock`` takes them FOR UPDATE."""
        for entity in sorted(wanted):
            model = ROW_TYPES[entity]
            ids = sorted({i for i in wanted[entity] if (entity, i) not in self._rows})
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                if self.bulk:
                    found = self._load(entity, model.id.in_(chunk), lock=lock)  # type: ignore[attr-defined]
                else:
                    query = select(model).where(model.id.in_(chunk)).order_by(model.id)
                    if lock:
                        query = query.with_for_update()
                    found = {row.id: row for row in self.db_session.scalars(query)}
                for record_id in chunk:
                    self._rows[(entity, record_id)] = found.get(record_id)
        patient_ids = [i for i in wanted.get("patient", ()) if i not in self._patient_wards]
        for start in range(0, len(patient_ids), _CHUNK):
            chunk = patient_ids[start : start + _CHUNK]
            for patient_id in chunk:
                self._patient_wards[patient_id] = set()
            links = self.db_session.execute(
                select(PatientWardRow.patient_id, PatientWardRow.ward_code).where(
                    PatientWardRow.patient_id.in_(chunk)
                )
            )
            for patient_id, ward_code in links:
                self._patient_wards[patient_id].add(ward_code)

    def prefetch_for(self, mutations: Iterable[Any]) -> None:
        """Lock the records a batch writes and load the records it refers to, in bulk."""
        targets: dict[str, set[str]] = {}
        references: dict[str, set[str]] = {}
        for mutation in mutations:
            if mutation.entity == "audit_event":
                continue
            targets.setdefault(mutation.entity, set()).add(mutation.entity_id)
            for field_name, entity in _REFERENCES.get(mutation.entity, ()):
                value = mutation.payload.get(field_name)
                if isinstance(value, str):
                    references.setdefault(entity, set()).add(value)
        self.prefetch(targets, lock=True)
        self.prefetch(references, lock=False)

    def _load(self, entity: str, where: Any, *, lock: bool, order: bool = True) -> dict[str, Any]:
        """Bulk mode: the rows matching ``where`` as Records (the batch's copy when it has one)."""
        table = RECORD_TYPES[entity].table  # type: ignore[attr-defined]
        query = select(table).where(where)
        if order:
            query = query.order_by(table.c.id)
        if lock:
            query = query.with_for_update()
        found: dict[str, Any] = {}
        for mapping in self.db_session.execute(query).mappings():
            known = self._rows.get((entity, mapping["id"]))
            if known is None:
                known = make_record(entity, mapping, loaded=True)
                self._loaded.append(known)
            found[known.id] = known
        return found

    def rows_where(self, entity: str, *criteria: Any) -> list[Any]:
        """The stored rows of ``entity`` matching ``criteria`` (the same objects as ``row`` returns)."""
        model = ROW_TYPES[entity]
        if not self.bulk:
            return list(self.db_session.scalars(select(model).where(*criteria)).all())
        found = self._load(entity, and_(*criteria), lock=False, order=False)
        for record_id, record in found.items():
            self._rows.setdefault((entity, record_id), record)
        return list(found.values())

    def row(self, entity: str, record_id: str) -> Any:
        """The current row of a record (None when unknown), from the batch's cache if loaded."""
        key = (entity, record_id)
        if key not in self._rows:
            if self.bulk:
                model = ROW_TYPES[entity]
                found = self._load(entity, model.id == record_id, lock=False, order=False)  # type: ignore[attr-defined]
                self._rows[key] = found.get(record_id)
            else:
                with self.db_session.no_autoflush:
                    self._rows[key] = self.db_session.get(ROW_TYPES[entity], record_id)
        return self._rows[key]

    def make_row(self, entity: str, **columns: Any) -> Any:
        """A new record row (not yet added): a Record in bulk mode, else an ORM object."""
        if self.bulk:
            return make_record(entity, columns, loaded=False)
        return ROW_TYPES[entity](**columns)

    def add_row(self, entity: str, row: Any) -> None:
        if self.bulk and isinstance(row, Record):
            self._new.append(row)
        else:
            self.db_session.add(row)
        self._rows[(entity, row.id)] = row
        self._created.add((entity, row.id))

    def remember_version(self, entity: str, row: RecordColumns) -> None:
        """Keep the row's current payload as history before it changes (merge base for later pushes)."""
        self._history.append(
            {"entity": entity, "entity_id": row.id, "version": row.version, "payload": row.payload}
        )

    def history_payload(self, entity: str, record_id: str, version: int) -> dict[str, Any] | None:
        """The payload a record had at ``version`` (this batch's buffer first), or None if unknown."""
        for item in reversed(self._history):
            if item["entity"] == entity and item["entity_id"] == record_id and item["version"] == version:
                return item["payload"]
        row = self.db_session.get(RecordHistoryRow, (entity, record_id, version))
        return None if row is None else row.payload

    # --- side effects ------------------------------------------------------------------------

    def emit(self, entity: str, row: RecordColumns, op: str = "upsert", flags: str = "") -> None:
        """Queue a change-feed entry for the row (the newest state is written at finish)."""
        self._emissions.pop((entity, row.id), None)  # re-insert: feed order follows the last change
        self._emissions[(entity, row.id)] = _Emission(entity, row, op, flags)

    def leave_ward(self, entity: str, record_id: str, ward_code: str) -> None:
        """The record moved out of ``ward_code``: that ward's desks get a tombstone and drop it."""
        self._exits.append((entity, record_id, ward_code))

    def _wards_of(self, emission: _Emission) -> list[str | None]:
        if emission.entity == "patient":
            return sorted(self.patient_wards(emission.row.id)) or [None]
        return [emission.row.ward_code]

    def audit(self, action: str, entity: str, entity_id: str, detail: str = "sync push") -> None:
        self._audit.append(
            {
                "id": time_ordered_id(),
                "actor": self.user.username,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "at": self.now,
                "device": self.device_id,
                "detail": detail,
                "source": "server",
            }
        )

    def has_audit(self, event_id: str) -> bool:
        return any(item["id"] == event_id for item in self._audit)

    def add_client_audit(self, event: Any) -> None:
        """Keep an audit event recorded on a desk (e.g. a phone number revealed on screen)."""
        self._audit.append(
            {
                "id": event.id,
                "actor": event.actor[:64],
                "action": event.action.value,
                "entity": event.entity[:16],
                "entity_id": event.entity_id[:64],
                "at": event.at,
                "device": (event.device or self.device_id)[:64],
                "detail": event.detail[:255],
                "source": "client",
            }
        )

    def issue(self, *, mutation: Any, kind: str, reason: str) -> None:
        self._issues.append(
            {
                "id": str(uuid.uuid4()),
                "client_id": self.client_id,
                "username": self.user.username,
                "mutation_id": mutation.mutation_id,
                "seq": mutation.seq,
                "entity": mutation.entity,
                "entity_id": mutation.entity_id[:64],
                "kind": kind,
                "reason": reason[:500],
                "payload": mutation.payload,
                "created_at": self.now,
            }
        )

    def finish(self) -> None:
        """Write everything buffered; the change counter is taken last and held until commit."""
        self.db_session.flush()
        if self.bulk:
            self._write_records()
        # Core executemany on the connection: the ORM's bulk-insert bookkeeping is not needed here.
        connection = self.db_session.connection()
        for model, rows in (
            (RecordHistoryRow, self._history),
            (AuditEventRow, self._audit),
            (SyncIssueRow, self._issues),
        ):
            for start in range(0, len(rows), _CHUNK):
                connection.execute(insert(model.__table__), rows[start : start + _CHUNK])  # type: ignore[arg-type]
        self._write_changes()

    def _write_records(self) -> None:
        """Bulk mode: one INSERT executemany per table for new records, one UPDATE for changed ones."""
        by_table: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for record in self._new:
            by_table[record.table].append(dict(zip(record._columns, record._values(), strict=True)))
        connection = self.db_session.connection()
        for table, rows in by_table.items():
            for start in range(0, len(rows), _CHUNK):
                connection.execute(insert(table), rows[start : start + _CHUNK])
        changed: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for record in self._loaded:
            values = record._values()
            if values != record._loaded:
                row = {f"v_{name}": value for name, value in zip(record._columns, values, strict=True)}
                row["k_id"] = record._loaded[record._columns.index("id")]
                changed[record.table].append(row)
                record._loaded = values
        for table, rows in changed.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("k_id"))
                .values({c.name: bindparam(f"v_{c.name}") for c in table.columns if c.name != "id"})
            )
            for start in range(0, len(rows), _CHUNK):
                connection.execute(statement, rows[start : start + _CHUNK])
        if self._ward_links:
            connection.execute(insert(PatientWardRow.__table__), self._ward_links)  # type: ignore[arg-type]
        self._new, self._loaded, self._ward_links = [], [], []

    def _write_changes(self) -> None:
        emissions = list(self._emissions.values())
        if not emissions and not self._exits:
            return
        by_entity: dict[str, list[str]] = defaultdict(list)
        for emission in emissions:
            if (emission.entity, emission.row.id) not in self._created:
                by_entity[emission.entity].append(emission.row.id)
        # Only the newest entry per record stays in the feed: a first pull downloads each record once.
        # A "moved" tombstone stays: the old ward's desks may pull long after the record changes again.
        for entity, ids in sorted(by_entity.items()):
            for start in range(0, len(ids), _CHUNK):
                self.db_session.execute(
                    delete(ChangeRow).where(
                        ChangeRow.entity == entity,
                        ChangeRow.entity_id.in_(sorted(ids[start : start + _CHUNK])),
                        ChangeRow.flags != MOVED,
                    )
                )
        wards = [self._wards_of(emission) for emission in emissions]
        current = {(e.entity, e.row.id): set(codes) for e, codes in zip(emissions, wards, strict=True)}
        exits = [x for x in dict.fromkeys(self._exits) if x[2] not in current.get(x[:2], ())]
        for entity, record_id, ward_code in exits:  # one tombstone per ward and record
            self.db_session.execute(
                delete(ChangeRow).where(
                    ChangeRow.entity == entity,
                    ChangeRow.entity_id == record_id,
                    ChangeRow.ward_code == ward_code,
                )
            )
        total = len(exits) + sum(len(codes) for codes in wards)
        number = take_numbers(db_session=self.db_session, count=total)
        # Tombstones first: a desk that sees both wards applies the record's new entry last.
        rows = [
            {
                "change_no": number + i,
                "entity": entity,
                "entity_id": record_id,
                "ward_code": ward_code,
                "op": "delete",
                "payload": None,
                "server_version": None,
                "flags": MOVED,
                "changed_at": self.now,
            }
            for i, (entity, record_id, ward_code) in enumerate(exits)
        ]
        number += len(exits)
        for emission, ward_codes in zip(emissions, wards, strict=True):
            row = emission.row
            deleted = emission.op == "delete"
            for ward_code in ward_codes:
                rows.append(
                    {
                        "change_no": number,
                        "entity": emission.entity,
                        "entity_id": row.id,
                        "ward_code": ward_code,
                        "op": emission.op,
                        "payload": None if deleted else row.payload,
                        "server_version": row.version,
                        "flags": emission.flags,
                        "changed_at": self.now,
                    }
                )
                number += 1
        connection = self.db_session.connection()
        for start in range(0, len(rows), _CHUNK):
            connection.execute(insert(ChangeRow.__table__), rows[start : start + _CHUNK])  # type: ignore[arg-type]
