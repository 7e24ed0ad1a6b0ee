"""Report totals kept up to date on write: per ward and per day, so the dashboard reads days, not records.

Every headline figure counts records by one timestamp each (tasks by window
end, due or completion time, encounters by discharge, attempts by start,
responses by submission, alerts by raising), so a period's figure is the sum
of its days. Computing the hospital's two months from the records means
joining hundreds of thousands of rows, tens of seconds on a 500 k-task cache;
summing 100 wards × 61 days of totals takes milliseconds.

Triggers of migration 0006 keep the tables below exact on every write —
repository, sync pull (upserts and tombstones), bulk loads — in the writer's
own transaction, so no write path can forget them:

* ``report_*_facts``: what one task, encounter, response or reached call adds
  to the figures (its day, ward and flags, plus counts that come from other
  tables: a task's attempts, whether an encounter has a task and its timely
  contacts, a response's satisfaction answers and corrections);
* ``report_day_totals`` / ``report_day_diagnoses``: the sums of those
  contributions per (day, ward), maintained by the fact tables' triggers
  (old contribution out, new one in), and open critical alerts straight from
  ``alerts``. Call durations stay one row per call: a median needs the values.

A "day" is a calendar day at UTC+8 (``TOTALS_DAY_OFFSET``, the hospital's
Asia/Shanghai), so a Shanghai month is whole days; the parts of a period that
are not whole days (another zone's month edges, the cut at "now") are read
from the records (``nurse_app.reports.headline_totals``).

The tables are declared here on the cache's ``Base`` so that the schema
comparison with the migrations sees them; ``nurse_app.store.models`` imports
this module (migration 0006 declares its own copy, as a revision must).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from nurse_app.domain.metrics import Period
from nurse_app.store.models import Base

if TYPE_CHECKING:  # metrics_sql imports the models, which import this module
    from nurse_app.store.metrics_sql import Executor

__all__ = [
    "MAINTAINING_TRIGGER",
    "TOTALS_DAY_OFFSET",
    "DaySplit",
    "ReportCallFactRow",
    "ReportDayDiagnosisRow",
    "ReportDayTotalsRow",
    "ReportEncounterFactRow",
    "ReportResponseFactRow",
    "ReportTaskFactRow",
    "day_start",
    "split_into_days",
    "totals_day",
    "totals_maintained",
]

# Days of the totals begin at local midnight of UTC+8 (Asia/Shanghai has no DST). Migration 0006
# writes the same offset into its triggers ('+28800 seconds'); changing it needs a new migration.
TOTALS_DAY_OFFSET = timedelta(hours=8)

# A trigger of migration 0006: present only where the totals are maintained. A database made by
# ``Base.metadata.create_all`` has the tables (declared below) but neither triggers nor totals.
MAINTAINING_TRIGGER = "report_tasks_ai"


def _count() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


class ReportDayTotalsRow(Base):
    """The additive figures of one ward on one day, each counted on its own record's day."""

    __tablename__ = "report_day_totals"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # 'YYYY-MM-DD' at UTC+8
    ward_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    closed: Mapped[int] = _count()  # miss rate, by window_end: tasks judged …
    missed: Mapped[int] = _count()  # … and missed
    completed: Mapped[int] = _count()  # by completed_at
    discharges: Mapped[int] = _count()  # on-time rate, by discharged_at: discharges with a task …
    on_time: Mapped[int] = _count()  # … contacted within 24 h
    attempted: Mapped[int] = _count()  # reach rate, by due_at: tasks with an attempt …
    reached: Mapped[int] = _count()  # … and reached
    filled: Mapped[int] = _count()  # by submitted_at: responses no other response supersedes …
    votes: Mapped[int] = _count()  # … their satisfaction answers …
    satisfied: Mapped[int] = _count()  # … at "satisfied" or above
    open_critical: Mapped[int] = _count()  # by raised_at: critical alerts open or escalated

    __table_args__ = ({"sqlite_with_rowid": False},)


class ReportDayDiagnosisRow(Base):
    """How many listed tasks due that day have an encounter with this primary ICD-10 code."""

    __tablename__ = "report_day_diagnoses"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    icd10: Mapped[str] = mapped_column(String(16), primary_key=True)  # as stored; grouped when read
    tasks: Mapped[int] = _count()

    __table_args__ = ({"sqlite_with_rowid": False},)


class ReportTaskFactRow(Base):
    """A task's contribution: its days, ward and flags, and the counts of its attempts."""

    __tablename__ = "report_task_facts"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32))
    due_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    window_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    judged: Mapped[int] = _count()  # 1 unless cancelled or paused
    missed: Mapped[int] = _count()  # 1 unless completed by window_end
    completed_day: Mapped[str | None] = mapped_column(String(10), nullable=True)  # only if completed
    listed: Mapped[int] = _count()  # 1 unless cancelled (diseases covered)
    icd10: Mapped[str | None] = mapped_column(String(16), nullable=True)  # its encounter's primary code
    attempts: Mapped[int] = _count()
    reached: Mapped[int] = _count()  # attempts with outcome 'reached'

    __table_args__ = ({"sqlite_with_rowid": False},)


class ReportEncounterFactRow(Base):
    """An encounter's contribution to the on-time rate."""

    __tablename__ = "report_encounter_facts"

    encounter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32))
    discharge_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    deadline: Mapped[str | None] = mapped_column(String(26), nullable=True)  # discharge + 24 h, stored text
    has_tasks: Mapped[int] = _count()  # 0/1: the on-time rate counts discharges with a task
    contacts: Mapped[int] = _count()  # attempts on its tasks started by the deadline

    __table_args__ = ({"sqlite_with_rowid": False},)


class ReportResponseFactRow(Base):
    """A response's contribution; a row without ward is a response not (yet) stored that others correct."""

    __tablename__ = "report_response_facts"

    response_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ward_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # its task's ward
    submit_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    corrections: Mapped[int] = _count()  # other responses that supersede it
    votes: Mapped[int] = _count()
    satisfied: Mapped[int] = _count()

    __table_args__ = ({"sqlite_with_rowid": False},)


class ReportCallFactRow(Base):
    """A reached call with an end: its ward, start day and duration in whole microseconds."""

    __tablename__ = "report_call_facts"

    attempt_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32))
    start_day: Mapped[str] = mapped_column(String(10))
    micros: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # A period's durations, ward by ward in index order: no table row read, no sort for GROUP BY.
        Index("ix_report_call_facts_ward_day", "ward_code", "start_day", "micros"),
        {"sqlite_with_rowid": False},
    )


# ---------------------------------------------------------------------------
# Days


def totals_day(moment: datetime) -> date:
    """The totals day a UTC moment is counted on."""
    return (moment.astimezone(UTC) + TOTALS_DAY_OFFSET).date()


def day_start(day: date) -> datetime:
    """The UTC moment a totals day begins."""
    return datetime.combine(day, time(0), tzinfo=UTC) - TOTALS_DAY_OFFSET


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A period as whole totals days ``[first_day, end_day)`` plus the parts outside them."""

    first_day: str | None  # 'YYYY-MM-DD'; None when the period holds no whole day
    end_day: str | None
    edges: tuple[Period, ...]


def split_into_days(period: Period) -> DaySplit:
    """The whole days inside ``period`` and the (at most two) partial-day edges around them."""
    first = totals_day(period.start)
    if day_start(first) < period.start:
        first += timedelta(days=1)
    end = totals_day(period.end)  # day_start(end) <= period.end: every day before it is inside
    if first >= end:
        return DaySplit(None, None, (period,) if period.end > period.start else ())
    edges = []
    if day_start(first) > period.start:
        edges.append(Period(period.start, day_start(first)))
    if period.end > day_start(end):
        edges.append(Period(day_start(end), period.end))
    return DaySplit(first.isoformat(), end.isoformat(), tuple(edges))


def totals_maintained(executor: Executor) -> bool:
    """Whether this database keeps the report totals (a migrated SQLite cache does)."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name != "sqlite":
        return False
    query = text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name")
    return executor.execute(query, {"name": MAINTAINING_TRIGGER}).first() is not None
