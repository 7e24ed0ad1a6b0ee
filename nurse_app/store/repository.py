"""Reading and writing domain objects in the local cache.

``CacheRepository`` works inside the caller's Session and never commits: the
caller commits a change together with its outbox row (DESIGN "Sync"), in one
transaction. ``bulk_insert`` is the Core fast path for loading many rows at
once (demo data, first pull of a ward).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import islice, repeat
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Dialect, Table, delete, select
from sqlalchemy.orm import Session

from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import (
    Alert,
    AuditEvent,
    CallAttempt,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Plan,
    Response,
    User,
    Ward,
)
from nurse_app.store import mapping as m
from nurse_app.store.models import (
    AlertRow,
    AuditEventRow,
    Base,
    CallAttemptRow,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    PlanRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
    UserRow,
    UserWardRow,
    UtcDateTime,
    WardRow,
)

__all__ = ["CacheRepository", "bulk_insert"]

T = TypeVar("T")
_ID_CHUNK = 500  # well under SQLite's bound-parameter limit


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class CacheRepository:
    """Save/get/list of the domain entities on one Session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- configuration and people -------------------------------------------------------------

    def save_ward(self, ward: Ward) -> None:
        """Insert or update a ward."""
        self.session.merge(WardRow(**m.ward_values(ward)))

    def get_ward(self, code: str) -> Ward | None:
        row = self.session.get(WardRow, code)
        return None if row is None else m.ward_from_row(row)

    def save_user(self, user: User) -> None:
        """Insert or update a user and replace their ward list (the offline-login verifier is kept)."""
        self.session.merge(UserRow(**m.user_values(user)))
        wanted = {v["ward_code"] for v in m.user_ward_values(user)}
        current = set(
            self.session.scalars(select(UserWardRow.ward_code).where(UserWardRow.username == user.username))
        )
        if current - wanted:
            self.session.execute(
                delete(UserWardRow).where(
                    UserWardRow.username == user.username, UserWardRow.ward_code.in_(current - wanted)
                )
            )
        self.session.add_all(UserWardRow(username=user.username, ward_code=c) for c in wanted - current)

    def get_user(self, username: str) -> User | None:
        row = self.session.get(UserRow, username)
        if row is None:
            return None
        wards = self.session.scalars(select(UserWardRow.ward_code).where(UserWardRow.username == username))
        return m.user_from_row(row, wards)

    def save_patient(self, patient: Patient) -> None:
        """Insert or update a patient (``phone_last4`` is derived here)."""
        self.session.merge(PatientRow(**m.patient_values(patient)))

    def get_patient(self, patient_id: str) -> Patient | None:
        row = self.session.get(PatientRow, patient_id)
        return None if row is None else m.patient_from_row(row)

    def save_encounter(self, encounter: Encounter) -> None:
        """Insert or update an encounter."""
        self.session.merge(EncounterRow(**m.encounter_values(encounter)))

    def get_encounter(self, encounter_id: str) -> Encounter | None:
        row = self.session.get(EncounterRow, encounter_id)
        return None if row is None else m.encounter_from_row(row)

    def save_plan(self, plan: Plan) -> None:
        """Insert or update one plan version (config arrives server-authoritative by pull)."""
        self.session.merge(PlanRow(**m.plan_values(plan)))

    def get_plan(self, code: str, version: int) -> Plan | None:
        row = self.session.get(PlanRow, (code, version))
        return None if row is None else m.plan_from_row(row)

    # --- follow-up work ------------------------------------------------------------------------

    def save_enrollment(self, enrollment: Enrollment) -> None:
        """Insert or update an enrollment."""
        self.session.merge(EnrollmentRow(**m.enrollment_values(enrollment)))

    def get_enrollment(self, enrollment_id: str) -> Enrollment | None:
        row = self.session.get(EnrollmentRow, enrollment_id)
        return None if row is None else m.enrollment_from_row(row)

    def save_tasks(self, tasks: Iterable[FollowUpTask]) -> None:
        """Insert new tasks and update known ones (one SELECT per 500 ids, not one per task)."""
        for chunk in _chunks(tasks, _ID_CHUNK):
            values = [m.task_values(task) for task in chunk]
            ids = [v["id"] for v in values]
            known = {row.id: row for row in self.session.scalars(select(TaskRow).where(TaskRow.id.in_(ids)))}
            for v in values:
                row = known.get(v["id"])
                if row is None:
                    self.session.add(TaskRow(**v))
                else:
                    for column, value in v.items():
                        setattr(row, column, value)

    def get_task(self, task_id: str) -> FollowUpTask | None:
        row = self.session.get(TaskRow, task_id)
        return None if row is None else m.task_from_row(row)

    def tasks_of_patient(self, patient_id: str) -> list[FollowUpTask]:
        """All tasks of a patient, earliest due first."""
        rows = self.session.scalars(
            select(TaskRow).where(TaskRow.patient_id == patient_id).order_by(TaskRow.due_at, TaskRow.step_no)
        )
        return [m.task_from_row(row) for row in rows]

    def add_attempt(self, attempt: CallAttempt) -> bool:
        """Append a call attempt; True if new, False if this exact attempt is already stored.

        Append-only: the same id with different content raises DomainError (a
        correction is a new record, never an edit).
        """
        existing = self.session.get(CallAttemptRow, attempt.id)
        if existing is not None:
            return _same_or_raise("call attempt", attempt, m.attempt_from_row(existing))
        self.session.add(CallAttemptRow(**m.attempt_values(attempt)))
        return True

    def attempts_of_task(self, task_id: str) -> list[CallAttempt]:
        """The attempts of a task in call order."""
        rows = self.session.scalars(
            select(CallAttemptRow)
            .where(CallAttemptRow.task_id == task_id)
            .order_by(CallAttemptRow.started_at, CallAttemptRow.id)
        )
        return [m.attempt_from_row(row) for row in rows]

    def add_response(self, response: Response) -> bool:
        """Append a response and its ``response_answers`` rows; True if new, False if already stored.

        Append-only like attempts; a correction is a new Response whose
        ``supersedes`` names the old one.
        """
        if response.supersedes == response.id:
            raise DomainError(f"response {response.id} cannot supersede itself")
        existing = self.session.get(ResponseRow, response.id)
        if existing is not None:
            return _same_or_raise("response", response, m.response_from_row(existing))
        self.session.add(ResponseRow(**m.response_values(response)))
        # models.py has no relationship(), so the unit of work does not order inserts by foreign key:
        # the parent row must reach the database before its answers.
        self.session.flush()
        self.session.add_all(ResponseAnswerRow(**v) for v in m.response_answer_values(response))
        return True

    def get_response(self, response_id: str) -> Response | None:
        row = self.session.get(ResponseRow, response_id)
        return None if row is None else m.response_from_row(row)

    def responses_of_task(self, task_id: str) -> list[Response]:
        """Every response of a task, superseded ones included, oldest first."""
        rows = self.session.scalars(
            select(ResponseRow)
            .where(ResponseRow.task_id == task_id)
            .order_by(ResponseRow.submitted_at, ResponseRow.id)
        )
        return [m.response_from_row(row) for row in rows]

    def add_alert(self, alert: Alert) -> None:
        """Insert an alert, or update a known one (acknowledge/escalate change its status fields)."""
        self.session.merge(AlertRow(**m.alert_values(alert)))

    def get_alert(self, alert_id: str) -> Alert | None:
        row = self.session.get(AlertRow, alert_id)
        return None if row is None else m.alert_from_row(row)

    def alerts_of_task(self, task_id: str) -> list[Alert]:
        rows = self.session.scalars(
            select(AlertRow).where(AlertRow.task_id == task_id).order_by(AlertRow.raised_at, AlertRow.id)
        )
        return [m.alert_from_row(row) for row in rows]

    def record_audit(self, event: AuditEvent) -> bool:
        """Append an audit event (append-only, like attempts); True if new."""
        existing = self.session.get(AuditEventRow, event.id)
        if existing is not None:
            return _same_or_raise("audit event", event, m.audit_from_row(existing))
        self.session.add(AuditEventRow(**m.audit_values(event)))
        return True

    def audit_of_entity(self, entity: str, entity_id: str) -> list[AuditEvent]:
        rows = self.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
            .order_by(AuditEventRow.at, AuditEventRow.id)
        )
        return [m.audit_from_row(row) for row in rows]


def _same_or_raise(what: str, new: T, stored: T) -> bool:
    # A retried save (sync replay, double click) of identical content is harmless; anything else is an edit.
    if new != stored:
        raise DomainError(
            f"{what} {getattr(new, 'id', '?')} is already recorded with different content; "
            "records of this kind are append-only (record a new one instead)"
        )
    return False


def bulk_insert(target: Session | Connection, table_rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> int:
    """Insert plain column dicts into tables by name with one executemany per table; returns the row count.

    The fast path for large loads (demo generator, first pull): tables are
    filled parents first (foreign-key order) whatever the order of
    ``table_rows``; values go through the column types (``UtcDateTime`` wants
    aware datetimes) but skip the ORM and per-row statement compilation; model
    column defaults fill keys a table's dicts leave out; all dicts of one table
    must carry the same keys. Foreign keys stay enforced. A batch that at least
    doubles a table is inserted in primary-key order with that table's
    secondary indexes dropped and rebuilt afterwards (several times faster than
    updating them row by row). Runs in the caller's transaction, never commits.
    """
    tables = Base.metadata.tables
    unknown = sorted(set(table_rows) - set(tables))
    if unknown:
        raise KeyError(f"unknown cache tables: {', '.join(unknown)}")
    connection = target.connection() if isinstance(target, Session) else target
    total = sum(len(rows) for rows in table_rows.values())
    # The page cache is what makes a big load fast (the default 8 MB thrashes on encrypted pages);
    # ~1 KiB per row, capped. It may change inside a transaction and is put back afterwards.
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    cache_kib = min(max(total, 64 * 1024), 1024 * 1024)
    connection.exec_driver_sql(f"PRAGMA cache_size = -{cache_kib}")
    # Millions of new tuples would trigger the cyclic GC over and over; they hold no cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for table in Base.metadata.sorted_tables:
            rows = table_rows.get(table.name)
            if rows:
                _insert_rows(connection, table, rows)
    finally:
        if gc_was_enabled:
            gc.enable()
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")
    return total


_REBUILD_MIN_ROWS = 50_000


def _utc_text(value: datetime | None) -> str | None:
    """``UtcDateTime`` bound for SQLite, ~3x faster than the generic processor (same text; tested)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; use UTC-aware times")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column.type, UtcDateTime):
        return _utc_text
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    given = list(rows[0])
    unknown = [name for name in given if name not in table.c]
    if unknown:
        raise KeyError(f"table {table.name} has no columns {', '.join(unknown)}")
    dialect = connection.dialect
    # Scalar model defaults fill left-out columns, as an ORM insert would apply them.
    used = [c for c in table.c if c.name in rows[0] or (c.default is not None and c.default.is_scalar)]
    columns: list[Iterable[Any]] = []
    for column in used:  # column by column: map() over one processor beats a per-row Python loop
        proc = _processor(column, dialect)
        if column.name in rows[0]:
            values = list(map(itemgetter(column.name), rows))
            columns.append(values if proc is None else list(map(proc, values)))
        else:
            value = column.default.arg  # type: ignore[union-attr]
            columns.append(repeat(value if proc is None else proc(value), len(rows)))
    names = [c.name for c in used]
    params = list(zip(*columns, strict=True))
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    indexes = _secondary_indexes(connection, table) if _worth_rebuilding(connection, table, len(rows)) else []
    key = [names.index(c.name) for c in table.primary_key.columns if c.name in names]
    if len(rows) >= _REBUILD_MIN_ROWS and len(key) == len(table.primary_key.columns):
        # Rows in primary-key order append to the primary-key b-tree instead of splitting random pages.
        params.sort(key=itemgetter(*key))
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    connection.exec_driver_sql(sql, params)
    for _, create_sql in indexes:
        connection.exec_driver_sql(create_sql)


def _secondary_indexes(connection: Connection, table: Table) -> list[tuple[str, str]]:
    # The indexes the file really has, so exactly those are restored; sql IS NULL marks the
    # automatic indexes of PRIMARY KEY / UNIQUE, which cannot be dropped.
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table.name,),
    )
    return [(name, sql) for name, sql in rows]


def _worth_rebuilding(connection: Connection, table: Table, incoming: int) -> bool:
    if incoming < _REBUILD_MIN_ROWS:
        return False
    # max(rowid) is an O(log n) size estimate; count(*) would scan a million rows.
    largest = connection.exec_driver_sql(f'SELECT max(rowid) FROM "{table.name}"').scalar()
    return incoming >= (largest or 0)
