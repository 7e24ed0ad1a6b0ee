"""A small local cache for the worklist tests: rows inserted through the table objects, Shanghai times."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, event, insert

from nurse_app.store.models import (
    AlertRow,
    Base,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseRow,
    TaskRow,
    WardRow,
)
from nurse_app.store.worklist import (
    WorklistRow,
    WorklistTab,
    worklist,
    worklist_counts,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAB = WorklistTab
OPEN_TABS = (TAB.DUE_NOW, TAB.OVERDUE, TAB.UPCOMING)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as the UTC instant the cache stores."""
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


NOW = local(2026, 3, 2, 10, 0)  # 02:00Z
TODAY_START = local(2026, 3, 2)  # 2026-03-01T16:00Z
DAY = timedelta(days=1)


class Cache:
    """A cache file with helpers that insert rows through the table objects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: Engine = create_engine(f"sqlite:///{path}")
        # A throwaway file needs no fsync; with it every DDL statement costs ~20 ms here.
        event.listen(self.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA synchronous=OFF"))
        Base.metadata.create_all(self.engine)
        self._n = 0
        self._conn: Connection | None = None
        with self.engine.begin() as conn:
            conn.execute(
                insert(WardRow.__table__),
                [{"code": code, "name": code, "department": "心内科"} for code in ("W1", "W2", "W3")],
            )

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Insert everything inside the block in one transaction (one fsync, not hundreds)."""
        with self.engine.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    def _write(self) -> AbstractContextManager[Connection]:
        return nullcontext(self._conn) if self._conn is not None else self.engine.begin()

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:04d}"

    def patient(
        self,
        name: str = "张三",
        *,
        mrn: str | None = None,
        phone: str = "13800000000",
        sex: str = "female",
        birth_date: date = date(1958, 5, 1),
    ) -> str:
        pid = self._next("p")
        with self._write() as conn:
            conn.execute(
                insert(PatientRow.__table__),
                {
                    "id": pid,
                    "mrn": mrn or f"MRN{self._n:06d}",
                    "name": name,
                    "sex": sex,
                    "birth_date": birth_date,
                    "phone": phone,
                    "phone_last4": phone[-4:],
                },
            )
            conn.execute(
                insert(EncounterRow.__table__),
                {"id": f"e-{pid}", "patient_id": pid, "ward_code": "W1", "admitted_at": NOW - 10 * DAY},
            )
            conn.execute(
                insert(EnrollmentRow.__table__),
                {
                    "id": f"en-{pid}",
                    "patient_id": pid,
                    "encounter_id": f"e-{pid}",
                    "plan_code": "HF",
                    "plan_version": 1,
                    "source": "auto",
                    "status": "active",
                    "enrolled_at": NOW - 9 * DAY,
                },
            )
        return pid

    def task(
        self,
        patient_id: str | None = None,
        *,
        due_at: datetime,
        window_end: datetime | None = None,
        status: str = "pending",
        ward: str = "W1",
        assignee: str | None = "nurse_li",
        plan: str = "HF",
        next_attempt_at: datetime | None = None,
        completed_at: datetime | None = None,
        task_id: str | None = None,
        attempts: int = 0,
    ) -> str:
        patient_id = patient_id or self.patient()
        tid = task_id or self._next("t")
        with self._write() as conn:
            conn.execute(
                insert(TaskRow.__table__),
                {
                    "id": tid,
                    "enrollment_id": f"en-{patient_id}",
                    "patient_id": patient_id,
                    "encounter_id": f"e-{patient_id}",
                    "ward_code": ward,
                    "plan_code": plan,
                    "plan_version": 1,
                    "step_no": 1,
                    "due_at": due_at,
                    "window_end": window_end or due_at + 3 * DAY,
                    "assignee": assignee,
                    "status": status,
                    "attempts": attempts,
                    "next_attempt_at": next_attempt_at,
                    "completed_at": completed_at,
                },
            )
        return tid

    def alert(self, task_id: str, status: str = "open") -> None:
        with self._write() as conn:
            (patient_id, ward) = conn.execute(
                TaskRow.__table__.select()
                .with_only_columns(TaskRow.__table__.c.patient_id, TaskRow.__table__.c.ward_code)
                .where(TaskRow.__table__.c.id == task_id)
            ).one()
            rid = self._next("r")
            conn.execute(
                insert(ResponseRow.__table__),
                {
                    "id": rid,
                    "task_id": task_id,
                    "questionnaire_code": "VITALS",
                    "questionnaire_version": 1,
                    "submitted_by": "nurse_li",
                    "submitted_at": NOW - DAY,
                },
            )
            conn.execute(
                insert(AlertRow.__table__),
                {
                    "id": self._next("a"),
                    "response_id": rid,
                    "task_id": task_id,
                    "patient_id": patient_id,
                    "ward_code": ward,
                    "rule_code": "SBP_GE_180",
                    "severity": "critical",
                    "message": "收缩压 ≥ 180",
                    "raised_at": NOW - DAY,
                    "status": status,
                },
            )

    def rows(self, tab: WorklistTab, *, now: datetime = NOW, **kw: Any) -> list[WorklistRow]:
        with self.engine.connect() as conn:
            return worklist(conn, tab=tab, now=now, **kw)

    def ids(self, tab: WorklistTab, *, now: datetime = NOW, **kw: Any) -> list[str]:
        return [row.task_id for row in self.rows(tab, now=now, **kw)]

    def tabs_of(self, task_id: str, **kw: Any) -> list[WorklistTab]:
        """Every tab the task appears in (the open tabs must never share a task)."""
        return [tab for tab in WorklistTab if task_id in self.ids(tab, **kw)]

    def counts(self, *, now: datetime = NOW, **kw: Any) -> dict[WorklistTab, int]:
        with self.engine.connect() as conn:
            return worklist_counts(conn, now=now, **kw)
