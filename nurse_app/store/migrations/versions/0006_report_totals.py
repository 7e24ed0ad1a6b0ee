"""Report totals per ward and day, kept exact by triggers on every write (``nurse_app.store.report_totals``).

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06

Why triggers: the dashboard's figures join tasks, attempts, encounters and
responses; on a 500 k-task cache that is tens of seconds of index lookups
however the SQL is written, while summed day totals take milliseconds. Every
path that writes the cache (repository, sync pull upserts and tombstones,
bulk loads of the demo and the benchmarks) then keeps them without knowing
about them, in its own transaction.

Two layers, each trigger a few statements:

1. The records' triggers keep one *fact* row per task, encounter, response and
   reached call: what it adds to the figures, with the counts that come from
   other tables (a task's attempts; whether an encounter has a task, and its
   contacts within 24 h of discharge; a response's satisfaction answers and
   corrections).
   A child row moves its parent's counts by ±1 (primary-key lookups), and a
   trigger never reads its own table, whose secondary indexes ``bulk_insert``
   drops while it loads it. Facts are written by upsert, so a re-applied
   record is harmless.
2. The facts' triggers (and the alerts') move each figure family's
   contribution in ``report_day_totals`` / ``report_day_diagnoses``: the old
   contribution out, the new one in, only when it changed.

Days are local days at UTC+8 (``date(…, '+28800 seconds')``). SQL mirrors of the
domain definitions, as in ``metrics_sql`` / ``headline_sql``: timestamps are
text ``'YYYY-MM-DD HH:MM:SS.ffffff'``; "discharge + 24 h" is built the way
``metrics_sql.add_seconds`` builds it; a duration is whole microseconds.

Existing records are counted once here, set-based, before the triggers exist.
Not handled (as nowhere in the cache): ``INSERT OR REPLACE`` (its implicit
delete fires no trigger) and primary-key changes of rows that have children.
A later migration that rebuilds one of these tables (alembic batch mode) drops
its triggers and must create them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SATISFIED_ORDINAL = 4  # nurse_app.domain.model.SATISFIED_ORDINAL when this revision was written


def day(moment: str) -> str:
    """The totals day of a stored timestamp (NULL stays NULL); the fraction cannot change the date."""
    return f"date(substr({moment}, 1, 19), '+28800 seconds')"


def deadline(discharged: str) -> str:
    """Discharge + 24 h as stored text (``metrics_sql.add_seconds``), comparable with started_at."""
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', substr({discharged}, 1, 19), '+86400 seconds')"
        f" || substr({discharged}, 20))"
    )


def micros(start: str, end: str) -> str:
    """``end − start`` in whole microseconds: exactly ``timedelta`` arithmetic (``headline_sql``)."""

    def seconds(column: str) -> str:
        return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"

    def fraction(column: str) -> str:
        return f"CAST(substr({column}, 21, 6) AS INTEGER)"

    return f"(({seconds(end)} - {seconds(start)}) * 1000000 + ({fraction(end)} - {fraction(start)}))"


# ---------------------------------------------------------------------------
# Tables


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def _create_tables() -> None:
    day_key = [
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("ward_code", sa.String(32), primary_key=True),
    ]
    op.create_table(
        "report_day_totals",
        *day_key,
        *(
            _count(name)
            for name in (
                "closed",
                "missed",
                "completed",
                "discharges",
                "on_time",
                "attempted",
                "reached",
                "filled",
                "votes",
                "satisfied",
                "open_critical",
            )
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_day_diagnoses",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("ward_code", sa.String(32), primary_key=True),
        sa.Column("icd10", sa.String(16), primary_key=True),
        _count("tasks"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_task_facts",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("due_day", sa.String(10), nullable=True),
        sa.Column("window_day", sa.String(10), nullable=True),
        _count("judged"),
        _count("missed"),
        sa.Column("completed_day", sa.String(10), nullable=True),
        _count("listed"),
        sa.Column("icd10", sa.String(16), nullable=True),
        _count("attempts"),
        _count("reached"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_encounter_facts",
        sa.Column("encounter_id", sa.String(36), primary_key=True),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("discharge_day", sa.String(10), nullable=True),
        sa.Column("deadline", sa.String(26), nullable=True),
        _count("has_tasks"),
        _count("contacts"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_response_facts",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("ward_code", sa.String(32), nullable=True),
        sa.Column("submit_day", sa.String(10), nullable=True),
        _count("corrections"),
        _count("votes"),
        _count("satisfied"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_call_facts",
        sa.Column("attempt_id", sa.String(36), primary_key=True),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.Column("start_day", sa.String(10), nullable=False),
        sa.Column("micros", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_report_call_facts_ward_day", "report_call_facts", ["ward_code", "start_day", "micros"]
    )


# ---------------------------------------------------------------------------
# Layer 1: records → facts. "{r}" stands for NEW or OLD.

TASK_FACT_COLUMNS = (
    "task_id",
    "ward_code",
    "due_day",
    "window_day",
    "judged",
    "missed",
    "completed_day",
    "listed",
    "icd10",
    "attempts",
    "reached",
)


def _task_fact_values(r: str, *, new: bool = False) -> str:
    """The fact of task ``r`` (a NEW row or a tasks alias) with its attempts counted, or, for a task
    just inserted, with none (see ``RECORD_TRIGGERS``); attempt writes then move the counts by ±1."""
    return ", ".join(
        (
            f"{r}.id",
            f"{r}.ward_code",
            day(f"{r}.due_at"),
            day(f"{r}.window_end"),
            # pure.miss_rate: cancelled and paused tasks leave the population (EXCLUDED_FROM_MISS_RATE).
            f"{r}.status NOT IN ('cancelled', 'paused')",
            f"NOT ({r}.status = 'completed' AND {r}.completed_at IS NOT NULL "
            f"AND {r}.completed_at <= {r}.window_end)",
            f"CASE WHEN {r}.status = 'completed' THEN {day(f'{r}.completed_at')} END",
            f"{r}.status <> 'cancelled'",
            f"(SELECT primary_icd10 FROM encounters WHERE id = {r}.encounter_id)",
            "0" if new else f"(SELECT count(*) FROM call_attempts WHERE task_id = {r}.id)",
            "0"
            if new
            else f"(SELECT count(*) FROM call_attempts WHERE task_id = {r}.id AND outcome = 'reached')",
        )
    )


def _upsert(table: str, key: str, columns: Sequence[str], values: str, source: str = "WHERE true") -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key.split(", "))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} {source} "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates};"
    )


def _has_tasks(encounter: str) -> str:
    return f"EXISTS (SELECT 1 FROM tasks WHERE encounter_id = {encounter})"


def _contacts_of_task(task: str) -> str:
    """Attempts of ``task`` started by the deadline of the encounter fact being updated."""
    return (
        f"(SELECT count(*) FROM call_attempts WHERE task_id = {task} "
        "AND started_at <= report_encounter_facts.deadline)"
    )


def _call_fact(attempt: str) -> str:
    """Upsert the call fact of attempt ``attempt`` when it reached the patient and has an end."""
    return _upsert(
        "report_call_facts",
        "attempt_id",
        ("attempt_id", "ward_code", "start_day", "micros"),
        f"{attempt}.id, tasks.ward_code, {day(f'{attempt}.started_at')}, "
        f"{micros(f'{attempt}.started_at', f'{attempt}.ended_at')}",
        f"FROM tasks WHERE tasks.id = {attempt}.task_id AND {attempt}.outcome = 'reached' "
        f"AND {attempt}.ended_at IS NOT NULL",
    )


def _attempt_counts(r: str, sign: str) -> str:
    """Attempt ``r`` added to (sign '+') or taken from ('-') its task's and its encounter's counts."""
    return (
        f"UPDATE report_task_facts SET attempts = attempts {sign} 1, "
        f"reached = reached {sign} ({r}.outcome = 'reached') WHERE task_id = {r}.task_id;"
        f"UPDATE report_encounter_facts SET contacts = contacts {sign} 1 "
        f"WHERE encounter_id = (SELECT encounter_id FROM tasks WHERE id = {r}.task_id) "
        f"AND {r}.started_at <= deadline;"
    )


# An attempt counted in (NEW) or out (OLD): its task's and encounter's counts, its call fact.
_ATTEMPT_IN = _attempt_counts("NEW", "+") + _call_fact("NEW")
_ATTEMPT_OUT = _attempt_counts("OLD", "-") + "DELETE FROM report_call_facts WHERE attempt_id = OLD.id;"


ENCOUNTER_FACT_COLUMNS = ("encounter_id", "ward_code", "discharge_day", "deadline", "has_tasks", "contacts")


def _encounter_fact_values(r: str, *, new: bool = False) -> str:
    """The fact of encounter ``r`` (a NEW row or an encounters alias), like ``_task_fact_values``."""
    return ", ".join(
        (
            f"{r}.id",
            f"{r}.ward_code",
            day(f"{r}.discharged_at"),
            deadline(f"{r}.discharged_at"),
            "0" if new else _has_tasks(f"{r}.id"),
            "0"
            if new
            else "(SELECT count(*) FROM tasks JOIN call_attempts ON call_attempts.task_id = tasks.id "
            f"WHERE tasks.encounter_id = {r}.id "
            f"AND call_attempts.started_at <= {deadline(f'{r}.discharged_at')})",
        )
    )


def _encounter_fact(r: str, *, new: bool = False) -> str:
    values = _encounter_fact_values(r, new=new)
    return _upsert("report_encounter_facts", "encounter_id", ENCOUNTER_FACT_COLUMNS, values)


def _response_fact(r: str, *, new: bool = False) -> str:
    rated = f"response_id = {r}.id AND is_satisfaction AND ordinal IS NOT NULL"
    votes = "0" if new else f"(SELECT count(*) FROM response_answers WHERE {rated})"
    satisfied = (
        "0"
        if new
        else f"(SELECT count(*) FROM response_answers WHERE {rated} AND ordinal >= {SATISFIED_ORDINAL})"
    )
    # Not a column here, so kept on conflict: the corrections already counted for this id (a
    # correction may arrive first).
    return _upsert(
        "report_response_facts",
        "response_id",
        ("response_id", "ward_code", "submit_day", "votes", "satisfied"),
        f"{r}.id, (SELECT ward_code FROM tasks WHERE id = {r}.task_id), {day(f'{r}.submitted_at')}, "
        f"{votes}, {satisfied}",
    )


def _correction(r: str, sign: str) -> str:
    """Response ``r`` counted as (or no longer as) a correction of the response it supersedes."""
    return (
        f"INSERT INTO report_response_facts (response_id, corrections) SELECT {r}.supersedes, {sign}1 "
        f"WHERE {r}.supersedes IS NOT NULL AND {r}.supersedes <> {r}.id "
        f"ON CONFLICT (response_id) DO UPDATE SET corrections = corrections {sign} 1;"
    )


def _answer_votes(r: str, sign: str) -> str:
    rated = f"{r}.is_satisfaction AND {r}.ordinal IS NOT NULL"
    return (
        f"UPDATE report_response_facts SET votes = votes {sign} ({rated}), "
        f"satisfied = satisfied {sign} ({rated} AND {r}.ordinal >= {SATISFIED_ORDINAL}) "
        f"WHERE response_id = {r}.response_id;"
    )


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


# Inserts are the busy path (a first pull writes tens of thousands of tasks), so an inserted row's
# fact starts with no children: the foreign keys, on for every cache connection, refuse an attempt,
# task or answer before its task, encounter or response. Updates and deletes recount (rare).
RECORD_TRIGGERS: dict[str, str] = {
    # --- tasks: own fact; its encounter's task flag and contacts; the ward of its calls and responses.
    "report_tasks_ai": "AFTER INSERT ON tasks BEGIN "
    + _upsert("report_task_facts", "task_id", TASK_FACT_COLUMNS, _task_fact_values("NEW", new=True))
    # Only an encounter's first task writes its fact.
    + "UPDATE report_encounter_facts SET has_tasks = 1 "
    "WHERE encounter_id = NEW.encounter_id AND NOT has_tasks;"
    " END",
    "report_tasks_au": "AFTER UPDATE ON tasks WHEN "
    + _changed("id", "ward_code", "due_at", "window_end", "status", "completed_at", "encounter_id")
    + " BEGIN "
    "DELETE FROM report_task_facts WHERE task_id = OLD.id AND OLD.id IS NOT NEW.id;"
    + _upsert("report_task_facts", "task_id", TASK_FACT_COLUMNS, _task_fact_values("NEW"))
    + " END",
    "report_tasks_au_encounter": "AFTER UPDATE ON tasks WHEN " + _changed("id", "encounter_id") + " BEGIN "
    f"UPDATE report_encounter_facts SET has_tasks = {_has_tasks('OLD.encounter_id')}, "
    f"contacts = contacts - {_contacts_of_task('OLD.id')} WHERE encounter_id = OLD.encounter_id;"
    "UPDATE report_encounter_facts SET has_tasks = 1, "
    f"contacts = contacts + {_contacts_of_task('NEW.id')} WHERE encounter_id = NEW.encounter_id;"
    " END",
    "report_tasks_au_ward": "AFTER UPDATE ON tasks WHEN " + _changed("ward_code") + " BEGIN "
    "UPDATE report_call_facts SET ward_code = NEW.ward_code "
    "WHERE attempt_id IN (SELECT id FROM call_attempts WHERE task_id = NEW.id);"
    "UPDATE report_response_facts SET ward_code = NEW.ward_code "
    "WHERE response_id IN (SELECT id FROM responses WHERE task_id = NEW.id);"
    " END",
    "report_tasks_ad": "AFTER DELETE ON tasks BEGIN "
    "DELETE FROM report_task_facts WHERE task_id = OLD.id;"
    f"UPDATE report_encounter_facts SET has_tasks = {_has_tasks('OLD.encounter_id')}, "
    f"contacts = contacts - {_contacts_of_task('OLD.id')} WHERE encounter_id = OLD.encounter_id;"
    # The pure definitions ignore calls and responses whose task is gone.
    "DELETE FROM report_call_facts WHERE attempt_id IN (SELECT id FROM call_attempts WHERE task_id = OLD.id);"
    "UPDATE report_response_facts SET ward_code = NULL "
    "WHERE response_id IN (SELECT id FROM responses WHERE task_id = OLD.id);"
    " END",
    # --- call attempts: their task's counts, their encounter's contacts, the call fact.
    "report_call_attempts_ai": f"AFTER INSERT ON call_attempts BEGIN {_ATTEMPT_IN} END",
    "report_call_attempts_au": "AFTER UPDATE ON call_attempts WHEN "
    + _changed("id", "task_id", "started_at", "ended_at", "outcome")
    + f" BEGIN {_ATTEMPT_OUT}{_ATTEMPT_IN} END",
    "report_call_attempts_ad": f"AFTER DELETE ON call_attempts BEGIN {_ATTEMPT_OUT} END",
    # --- encounters: own fact; when it changes, the primary code on its tasks' facts.
    "report_encounters_ai": "AFTER INSERT ON encounters BEGIN " + _encounter_fact("NEW", new=True) + " END",
    "report_encounters_au": "AFTER UPDATE ON encounters WHEN "
    + _changed("id", "ward_code", "discharged_at", "primary_icd10")
    + " BEGIN "
    "DELETE FROM report_encounter_facts WHERE encounter_id = OLD.id AND OLD.id IS NOT NEW.id;"
    + _encounter_fact("NEW")
    + "UPDATE report_task_facts SET icd10 = NEW.primary_icd10 "
    "WHERE task_id IN (SELECT id FROM tasks WHERE encounter_id = NEW.id);"
    " END",
    "report_encounters_ad": "AFTER DELETE ON encounters BEGIN "
    "DELETE FROM report_encounter_facts WHERE encounter_id = OLD.id;"
    "UPDATE report_task_facts SET icd10 = NULL "
    "WHERE task_id IN (SELECT id FROM tasks WHERE encounter_id = OLD.id);"
    " END",
    # --- responses: own fact; the one it corrects (which may arrive later: a placeholder fact).
    "report_responses_ai": "AFTER INSERT ON responses BEGIN "
    + _response_fact("NEW", new=True)
    + _correction("NEW", "+")
    + " END",
    "report_responses_au": "AFTER UPDATE ON responses WHEN "
    + _changed("id", "task_id", "submitted_at", "supersedes")
    + " BEGIN "
    "UPDATE report_response_facts SET ward_code = NULL, submit_day = NULL "
    "WHERE response_id = OLD.id AND OLD.id IS NOT NEW.id;"
    + _correction("OLD", "-")
    + _response_fact("NEW")
    + _correction("NEW", "+")
    + " END",
    "report_responses_ad": "AFTER DELETE ON responses BEGIN "
    "UPDATE report_response_facts SET ward_code = NULL, submit_day = NULL WHERE response_id = OLD.id;"
    + _correction("OLD", "-")
    + "DELETE FROM report_response_facts "
    "WHERE response_id IN (OLD.id, OLD.supersedes) AND ward_code IS NULL AND corrections = 0;"
    " END",
    # --- answers: their response's satisfaction votes.
    "report_response_answers_ai": "AFTER INSERT ON response_answers BEGIN "
    + _answer_votes("NEW", "+")
    + " END",
    "report_response_answers_au": "AFTER UPDATE ON response_answers WHEN "
    + _changed("response_id", "is_satisfaction", "ordinal")
    + " BEGIN "
    + _answer_votes("OLD", "-")
    + _answer_votes("NEW", "+")
    + " END",
    "report_response_answers_ad": "AFTER DELETE ON response_answers BEGIN "
    + _answer_votes("OLD", "-")
    + " END",
}


# ---------------------------------------------------------------------------
# Layer 2: contributions → day totals.


class Family(NamedTuple):
    """What one row of ``source`` adds to ``target`` at (day, ward[, extra keys]) when ``counts`` holds.

    Expressions are written with ``{r}`` for the row (NEW, OLD, or the backfill's alias). (A NamedTuple,
    not a dataclass: alembic loads this file outside ``sys.modules``, where dataclasses fail.)
    """

    name: str
    source: str
    day: str
    counts: str
    deltas: dict[str, str]
    target: str = "report_day_totals"
    keys: tuple[tuple[str, str], ...] = (("ward_code", "{r}.ward_code"),)

    def _key_columns(self) -> list[str]:
        return ["day", *(column for column, _ in self.keys)]

    def _key_values(self, r: str) -> list[str]:
        return [self.day.format(r=r), *(value.format(r=r) for _, value in self.keys)]

    def _apply(self, values: Sequence[str], where: str, tail: str = "") -> str:
        columns = [*self._key_columns(), *self.deltas]
        sums = ", ".join(f"{c} = {c} + excluded.{c}" for c in self.deltas)
        return (
            f"INSERT INTO {self.target} ({', '.join(columns)}) SELECT {', '.join(values)} "
            f"{where} {tail} ON CONFLICT ({', '.join(self._key_columns())}) DO UPDATE SET {sums};"
        )

    def move(self, r: str, sign: str) -> str:
        """Add (sign '') or take away (sign '-') the contribution of row ``r``."""
        values = [*self._key_values(r), *(f"{sign}({e.format(r=r)})" for e in self.deltas.values())]
        return self._apply(values, f"WHERE {self.counts.format(r=r)}")

    def backfill(self) -> str:
        """The contributions of every existing row, summed per key."""
        values = [*self._key_values("f"), *(f"sum({e.format(r='f')})" for e in self.deltas.values())]
        group = ", ".join(self._key_values("f"))
        return self._apply(
            values, f"FROM {self.source} f WHERE {self.counts.format(r='f')}", f"GROUP BY {group}"
        )

    def triggers(self) -> dict[str, str]:
        prefix = f"report_{self.source.removeprefix('report_')}_{self.name}"
        # The contribution changes iff one of the expressions it is made of does.
        parts = [self.day, self.counts, *(v for _, v in self.keys), *self.deltas.values()]
        changed = " OR ".join(f"({p.format(r='OLD')}) IS NOT ({p.format(r='NEW')})" for p in parts)
        return {
            f"{prefix}_ai": f"AFTER INSERT ON {self.source} WHEN {self.counts.format(r='NEW')} "
            f"BEGIN {self.move('NEW', '')} END",
            f"{prefix}_ad": f"AFTER DELETE ON {self.source} WHEN {self.counts.format(r='OLD')} "
            f"BEGIN {self.move('OLD', '-')} END",
            f"{prefix}_au": f"AFTER UPDATE ON {self.source} WHEN {changed} "
            f"BEGIN {self.move('OLD', '-')} {self.move('NEW', '')} END",
        }


FAMILIES = (
    Family(
        "miss", "report_task_facts", "{r}.window_day", "{r}.judged", {"closed": "1", "missed": "{r}.missed"}
    ),
    Family(
        "completed",
        "report_task_facts",
        "{r}.completed_day",
        "{r}.completed_day IS NOT NULL",
        {"completed": "1"},
    ),
    Family(
        "reach",
        "report_task_facts",
        "{r}.due_day",
        "{r}.attempts > 0",
        {"attempted": "1", "reached": "{r}.reached > 0"},
    ),
    Family(
        "diagnoses",
        "report_task_facts",
        "{r}.due_day",
        # Blank codes count for nothing (read side: str.strip; SQLite trim is spaces only, so never more).
        "{r}.listed AND trim({r}.icd10) <> '' AND {r}.due_day IS NOT NULL",
        {"tasks": "1"},
        target="report_day_diagnoses",
        keys=(("ward_code", "{r}.ward_code"), ("icd10", "{r}.icd10")),
    ),
    Family(
        "on_time",
        "report_encounter_facts",
        "{r}.discharge_day",
        "{r}.discharge_day IS NOT NULL AND {r}.has_tasks",
        {"discharges": "1", "on_time": "{r}.contacts > 0"},
    ),
    Family(
        "satisfaction",
        "report_response_facts",
        "{r}.submit_day",
        "{r}.ward_code IS NOT NULL AND {r}.submit_day IS NOT NULL AND {r}.corrections = 0",
        {"filled": "1", "votes": "{r}.votes", "satisfied": "{r}.satisfied"},
    ),
    Family(
        "open_critical",
        "alerts",
        day("{r}.raised_at"),
        "{r}.severity = 'critical' AND {r}.status IN ('open', 'escalated')",
        {"open_critical": "1"},
    ),
)


# ---------------------------------------------------------------------------
# Counting what is already stored (set-based, before any trigger exists).

BACKFILL_FACTS = (
    "INSERT INTO report_task_facts (" + ", ".join(TASK_FACT_COLUMNS) + ") "
    "SELECT " + _task_fact_values("t") + " FROM tasks t",
    "INSERT INTO report_encounter_facts (" + ", ".join(ENCOUNTER_FACT_COLUMNS) + ") "
    "SELECT " + _encounter_fact_values("e") + " FROM encounters e",
    "INSERT INTO report_response_facts (response_id, ward_code, submit_day, votes, satisfied) "
    f"SELECT r.id, t.ward_code, {day('r.submitted_at')}, coalesce(v.votes, 0), coalesce(v.satisfied, 0) "
    "FROM responses r LEFT JOIN tasks t ON t.id = r.task_id LEFT JOIN ("
    f"SELECT response_id, count(*) AS votes, sum(ordinal >= {SATISFIED_ORDINAL}) AS satisfied "
    "FROM response_answers WHERE is_satisfaction AND ordinal IS NOT NULL GROUP BY response_id"
    ") v ON v.response_id = r.id",
    "INSERT INTO report_response_facts (response_id, corrections) "
    "SELECT supersedes, count(*) FROM responses WHERE supersedes IS NOT NULL AND supersedes <> id "
    "GROUP BY supersedes ON CONFLICT (response_id) DO UPDATE SET corrections = excluded.corrections",
    "INSERT INTO report_call_facts (attempt_id, ward_code, start_day, micros) "
    f"SELECT a.id, t.ward_code, {day('a.started_at')}, {micros('a.started_at', 'a.ended_at')} "
    "FROM call_attempts a JOIN tasks t ON t.id = a.task_id "
    "WHERE a.outcome = 'reached' AND a.ended_at IS NOT NULL",
)


# Page cache while counting: the fact tables are filled in key order of other tables, so their
# pages are hit at random; the connection's 32 MB would be re-read and re-decrypted over and over.
BACKFILL_CACHE_KIB = 256 * 1024


def upgrade() -> None:
    _create_tables()
    previous = op.get_bind().exec_driver_sql("PRAGMA cache_size").scalar()
    op.execute(f"PRAGMA cache_size = -{BACKFILL_CACHE_KIB}")
    try:
        for statement in BACKFILL_FACTS:
            op.execute(statement)
        for family in FAMILIES:
            op.execute(family.backfill())
    finally:
        op.execute(f"PRAGMA cache_size = {int(previous)}")
    triggers = dict(RECORD_TRIGGERS)
    for family in FAMILIES:
        triggers.update(family.triggers())
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    bind = op.get_bind()
    names = bind.execute(
        sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report\\_%' ESCAPE '\\'"
        )
    ).scalars()
    for name in list(names):
        op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_report_call_facts_ward_day", table_name="report_call_facts")
    for table in (
        "report_call_facts",
        "report_response_facts",
        "report_encounter_facts",
        "report_task_facts",
        "report_day_diagnoses",
        "report_day_totals",
    ):
        op.drop_table(table)
