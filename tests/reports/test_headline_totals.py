"""The dashboard's maintained day totals (migration 0006) give exactly the pure definitions' figures.

A hypothesis property writes random records (the metrics agreement test's
worlds: times on and next to every edge a definition turns on) into a migrated
cache through the write paths of the app — bulk loads, sync-pull upserts,
updates, deletes — then compares ``hospital_headlines``' numbers (day totals
plus the records for partial days) with ``headline.tallies`` over the same
records, and the record-only path as well. Deleting everything must leave no
totals behind: what every trigger adds, its reverse takes away.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from test_metrics_agree import MONTH_EDGES, WARDS, World, near, world_enrollments, world_patients, worlds

from nurse_app.domain.metrics import Period
from nurse_app.domain.model import (
    Alert,
    AlertSeverity,
    AlertStatus,
    Answer,
    Diagnosis,
    TaskStatus,
    Ward,
)
from nurse_app.reports import headline_sql
from nurse_app.reports.headline import hospital_headlines, tallies, tallies_from_counts
from nurse_app.reports.headline_totals import ward_counts
from nurse_app.reports.records import ScopeRecords
from nurse_app.reports.scope import month_period
from nurse_app.reports.ward_counts import new_counts
from nurse_app.store import mapping as m
from nurse_app.store import repository
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade, upgrade_to_head
from nurse_app.store.models import (
    AlertRow,
    Base,
    CallAttemptRow,
    EncounterRow,
    EnrollmentRow,
    PatientRow,
    ResponseAnswerRow,
    ResponseRow,
    TaskRow,
    WardRow,
)
from nurse_app.store.report_totals import (
    ReportCallFactRow,
    ReportDayDiagnosisRow,
    ReportDayTotalsRow,
    ReportEncounterFactRow,
    ReportResponseFactRow,
    ReportTaskFactRow,
    day_start,
    split_into_days,
    totals_maintained,
)

KEY = "7a" * 32
RECORD_TABLES = (
    AlertRow,
    ResponseAnswerRow,
    ResponseRow,
    CallAttemptRow,
    TaskRow,
    EnrollmentRow,
    EncounterRow,
    PatientRow,
)
REPORT_TABLES = (
    ReportDayTotalsRow,
    ReportDayDiagnosisRow,
    ReportTaskFactRow,
    ReportEncounterFactRow,
    ReportResponseFactRow,
    ReportCallFactRow,
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("totals") / "cache.db"
    engine = open_cache(path, KEY)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


# ---------------------------------------------------------------------------
# Writing a world the ways the app writes


def world_rows(world: World) -> dict[str, list[dict[str, Any]]]:
    """Column dicts by table, for ``bulk_insert`` (with the patients and enrollments the world implies)."""
    return {
        "patients": [m.patient_values(p) for p in world_patients(world)],
        "encounters": [m.encounter_values(e) for e in world.encounters],
        "enrollments": [m.enrollment_values(e) for e in world_enrollments(world)],
        "tasks": [m.task_values(t) for t in world.tasks],
        "call_attempts": [m.attempt_values(a) for a in world.attempts],
        "responses": [m.response_values(r) for r in world.responses],
        "response_answers": [v for r in world.responses for v in m.response_answer_values(r)],
    }


def ensure_wards(conn: Connection) -> None:
    known = set(conn.execute(select(WardRow.code)).scalars())
    for code in sorted(set(WARDS) - known):
        conn.execute(insert(WardRow.__table__), [m.ward_values(Ward(code, code, "内科"))])


def load(conn: Connection, world: World) -> None:
    ensure_wards(conn)
    repository.bulk_insert(conn, {name: rows for name, rows in world_rows(world).items() if rows})


def upsert(conn: Connection, table: Any, values: dict[str, Any]) -> None:
    """The sync pull's write: insert, or overwrite every column of the stored row."""
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: statement.excluded[name] for name in values if not table.c[name].primary_key},
    )
    conn.execute(statement, [values])


@st.composite
def histories(draw: st.DrawFn) -> tuple[World, World, list[Alert]]:
    """A world as first loaded, the world after later edits, and alerts on its responses."""
    first = draw(worlds())
    later = World(
        encounters=list(first.encounters),
        tasks=list(first.tasks),
        attempts=list(first.attempts),
        responses=list(first.responses),
        period=first.period,
        as_of=first.as_of,
        zone=first.zone,
    )
    edges = [*MONTH_EDGES, first.as_of, first.period.start, first.period.end]
    for i, task in enumerate(later.tasks):
        if draw(st.integers(0, 2)) == 0:  # a sync pull overwrites the task with a later state
            status = draw(st.sampled_from(TaskStatus))
            later.tasks[i] = replace(
                task,
                status=status,
                ward_code=draw(st.sampled_from((task.ward_code, *WARDS))),
                encounter_id=draw(st.sampled_from([e.id for e in later.encounters])),
                window_end=draw(st.sampled_from((task.window_end, near(draw, edges)))),
                completed_at=near(draw, [task.window_end]) if status == TaskStatus.COMPLETED else None,
            )
    for i, enc in enumerate(later.encounters):
        if draw(st.integers(0, 3)) == 0:  # discharge time, ward or diagnosis corrected
            later.encounters[i] = replace(
                enc,
                discharged_at=draw(st.sampled_from((None, enc.discharged_at, near(draw, edges)))),
                ward_code=draw(st.sampled_from(WARDS)),
                diagnoses=draw(
                    st.sampled_from(((), enc.diagnoses, _diagnosis("I50.9"), _diagnosis(" e11 ")))
                ),
            )
    later.attempts = [a for a in later.attempts if draw(st.integers(0, 4)) > 0]  # tombstones
    later.responses = [r for r in later.responses if draw(st.integers(0, 4)) > 0]
    if later.responses and draw(st.booleans()):  # a late correction
        old = draw(st.sampled_from(later.responses))
        later.responses.append(
            replace(old, id="resp-late", supersedes=old.id, answers=(Answer("sat1", None, 5, True),))
        )
    gone = {t.id for t in later.tasks if draw(st.integers(0, 5)) == 0}
    later.tasks = [t for t in later.tasks if t.id not in gone]
    later.attempts = [a for a in later.attempts if a.task_id not in gone]
    later.responses = [r for r in later.responses if r.task_id not in gone]
    alerts = [
        Alert(
            r.id,
            r.task_id,
            "pat-0",
            draw(st.sampled_from(WARDS)),
            "SBP",
            draw(st.sampled_from(AlertSeverity)),
            "SBP 190",
            near(draw, edges),
            status=draw(st.sampled_from(AlertStatus)),
            id=f"alert-{i}",
        )
        for i, r in enumerate(later.responses)
        if draw(st.booleans())
    ]
    return first, later, alerts


def _diagnosis(code: str) -> tuple[Diagnosis, ...]:
    return (Diagnosis(code, "dx", primary=True),)


def apply_later(conn: Connection, first: World, later: World, alerts: list[Alert]) -> None:
    """Turn the stored ``first`` into ``later`` the way a sync pull does: tombstones, then upserts."""
    kept_attempts = {a.id for a in later.attempts}
    kept_responses = {r.id for r in later.responses}
    kept_tasks = {t.id for t in later.tasks}
    doomed_responses = [r.id for r in first.responses if r.id not in kept_responses]
    conn.execute(delete(ResponseAnswerRow).where(ResponseAnswerRow.response_id.in_(doomed_responses)))
    conn.execute(delete(ResponseRow).where(ResponseRow.id.in_(doomed_responses)))
    conn.execute(delete(CallAttemptRow).where(CallAttemptRow.id.not_in(kept_attempts)))
    conn.execute(delete(TaskRow).where(TaskRow.id.not_in(kept_tasks)))
    for enc in later.encounters:
        upsert(conn, EncounterRow.__table__, m.encounter_values(enc))
    for task in later.tasks:
        upsert(conn, TaskRow.__table__, m.task_values(task))
    for response in later.responses:
        if response.id not in {r.id for r in first.responses}:
            conn.execute(insert(ResponseRow.__table__), [m.response_values(response)])
            conn.execute(insert(ResponseAnswerRow.__table__), m.response_answer_values(response))
    if alerts:
        conn.execute(insert(AlertRow.__table__), [m.alert_values(a) for a in alerts])
        # An alert acknowledged later: its status changes in place.
        conn.execute(
            update(AlertRow).where(AlertRow.id == alerts[0].id).values(status=AlertStatus.ACKNOWLEDGED.value)
        )
        alerts[0] = replace(alerts[0], status=AlertStatus.ACKNOWLEDGED)


def clear(conn: Connection) -> None:
    for row_class in RECORD_TABLES:
        conn.execute(delete(row_class))


def leftover_totals(conn: Connection) -> dict[str, int]:
    """Report rows that still count something (all-zero day rows may stay)."""
    found = {}
    for row_class in REPORT_TABLES:
        table = row_class.__table__
        if row_class is ReportDayTotalsRow:
            counters = [c for c in table.c if c.name not in ("day", "ward_code")]
            where = func.max(*(func.abs(c) for c in counters)) > 0
            found[table.name] = conn.execute(
                select(func.count()).select_from(table).where(where)
            ).scalar_one()
        elif row_class is ReportDayDiagnosisRow:
            found[table.name] = conn.execute(select(func.count()).where(table.c.tasks != 0)).scalar_one()
        else:
            found[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return {name: n for name, n in found.items() if n}


# ---------------------------------------------------------------------------
# Comparing


def stored_records(conn: Connection) -> ScopeRecords:
    """Every record of the cache as domain objects (answers from response_answers, as load_records)."""
    answers: dict[str, list[Answer]] = {}
    for row in conn.execute(select(ResponseAnswerRow).order_by(ResponseAnswerRow.link_id)):
        answers.setdefault(row.response_id, []).append(
            Answer(row.link_id, None, row.ordinal, bool(row.is_satisfaction))
        )
    responses = tuple(
        replace(m.response_from_row(row), answers=tuple(answers.get(row.id, ())))
        for row in conn.execute(select(ResponseRow))
    )
    return ScopeRecords(
        tuple(m.task_from_row(r) for r in conn.execute(select(TaskRow))),
        tuple(m.attempt_from_row(r) for r in conn.execute(select(CallAttemptRow))),
        tuple(m.encounter_from_row(r) for r in conn.execute(select(EncounterRow))),
        responses,
    )


def assert_same_figures(
    conn: Connection, wards: list[str], period: Period, as_of: datetime, zone: str
) -> None:
    expected = tallies(
        stored_records(conn),
        wards,
        period,
        as_of=as_of,
        zone=zone,
        open_critical=headline_sql.open_critical_alerts(conn, wards, period),
    )
    assert tallies_from_counts(ward_counts(conn, wards, period, as_of=as_of), wards) == expected
    from_records = new_counts()
    headline_sql.record_counts(conn, from_records, wards, period, as_of=as_of)
    assert tallies_from_counts(from_records, wards) == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(history=histories(), subset=st.booleans())
def test_totals_equal_the_pure_definitions(
    engine: Engine, history: tuple[World, World, list[Alert]], subset: bool
) -> None:
    first, later, alerts = history
    wards = sorted(WARDS)[:2] if subset else sorted(WARDS)
    with engine.begin() as conn:
        try:
            load(conn, first)
            assert_same_figures(conn, wards, first.period, first.as_of, first.zone)
            apply_later(conn, first, later, alerts)
            assert_same_figures(conn, wards, later.period, later.as_of, later.zone)
            # Whole Shanghai months too, read from whole days only.
            for period in (Period(MONTH_EDGES[0], MONTH_EDGES[5]), Period(MONTH_EDGES[5], MONTH_EDGES[10])):
                assert_same_figures(conn, wards, period, later.as_of, later.zone)
        finally:
            clear(conn)
        assert leftover_totals(conn) == {}


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_bulk_load_with_indexes_rebuilt(engine: Engine, world: World) -> None:
    """The triggers do not rely on the indexes bulk_insert drops while it loads a table."""
    threshold = repository._REBUILD_MIN_ROWS
    repository._REBUILD_MIN_ROWS = 1
    try:
        with engine.begin() as conn:
            load(conn, world)
            assert_same_figures(conn, sorted(WARDS), world.period, world.as_of, world.zone)
            clear(conn)
            assert leftover_totals(conn) == {}
    finally:
        repository._REBUILD_MIN_ROWS = threshold


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_upgrade_counts_what_is_already_stored(world: World) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_cache(Path(folder) / "old.db", KEY)
        try:
            upgrade(engine, "0005")
            with engine.begin() as conn:
                load(conn, world)
            upgrade_to_head(engine)
            with engine.begin() as conn:
                assert totals_maintained(conn)
                assert_same_figures(conn, sorted(WARDS), world.period, world.as_of, world.zone)
                clear(conn)
                assert leftover_totals(conn) == {}
        finally:
            engine.dispose()


# ---------------------------------------------------------------------------
# Days and what the dashboard reads


def test_a_shanghai_month_is_whole_days_and_other_periods_have_edges() -> None:
    october = month_period("2026-10")  # Asia/Shanghai: 2026-09-30 16:00 UTC …
    split = split_into_days(october)
    assert (split.first_day, split.end_day, split.edges) == ("2026-10-01", "2026-11-01", ())
    utc_october = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    split = split_into_days(utc_october)
    assert (split.first_day, split.end_day) == ("2026-10-02", "2026-11-01")
    assert split.edges == (
        Period(utc_october.start, day_start(datetime(2026, 10, 2).date())),
        Period(day_start(datetime(2026, 11, 1).date()), utc_october.end),
    )
    hour = Period(october.start + timedelta(hours=3), october.start + timedelta(hours=4))
    assert split_into_days(hour).first_day is None and split_into_days(hour).edges == (hour,)
    assert split_into_days(Period(october.start, october.start)).edges == ()


def test_dashboard_reads_no_record_for_whole_past_months(engine: Engine) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as conn:
            hospital_headlines(conn, month_period("2026-10"), as_of=datetime(2026, 11, 28, tzinfo=UTC))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    records = ("FROM tasks", "FROM call_attempts", "FROM responses", "FROM encounters", "FROM alerts")
    assert statements and not [s for s in statements if any(r in s for r in records)]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_a_database_without_the_triggers_is_counted_from_its_records(world: World) -> None:
    """``create_all`` makes the report tables (declared on Base) but no triggers: they must not be trusted."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            assert "report_day_totals" in inspect(conn).get_table_names()
            assert not totals_maintained(conn)
            load(conn, world)
            assert_same_figures(conn, sorted(WARDS), world.period, world.as_of, world.zone)
    finally:
        engine.dispose()
