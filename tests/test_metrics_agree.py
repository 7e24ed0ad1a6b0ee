"""The SQL rates (``nurse_app.store.metrics_sql``) equal the pure definitions (``nurse_app.domain.metrics``).

A hypothesis property builds random wards, nurses, plans, encounters, tasks,
attempts and responses (whole-millisecond UTC times, clustered on and next to
month starts, 24 h deadlines, window ends, period bounds and ``as_of``), stores
them in a fresh in-memory SQLite through the tables of ``models.py`` (column
values from ``nurse_app.store.mapping``), and compares every rate by every
GroupBy both ways: counts exactly, durations within 1 ms. Hand-made worlds then
pin each edge to the microsecond, and the server dialects' SQL is compiled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, event, func, insert, select
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from nurse_app.domain import metrics as pure
from nurse_app.domain.metrics import Durations, GroupBy, Period, Rate
from nurse_app.domain.model import (
    Answer,
    CallAttempt,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Response,
    Sex,
    TaskStatus,
    Ward,
)
from nurse_app.store import mapping
from nurse_app.store import metrics_sql as sql
from nurse_app.store.models import (
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

WARDS = ("W01", "W02", "心内科")
NURSES = ("nurse-a", "nurse-b", "Nurse-C")
PLANS = ("HF", "DM", "术后")
ZONES = ("Asia/Shanghai", "UTC", "Asia/Kolkata", "America/New_York")
DAY = timedelta(hours=24)
# Where the month key flips: local midnight on the 1st under each fixed offset the zones use
# (+8, 0, +5:30, and New York's −5 / −4; the offset is taken at the period start).
MONTH_EDGES = tuple(
    datetime(2024, month, 1, tzinfo=UTC) - timedelta(hours=offset)
    for month in (2, 3, 4)
    for offset in (8, 0, 5.5, -5, -4)
)
# Shanghai's February and March 2024, and a span that holds nearly all generated data.
PERIODS = (
    Period(MONTH_EDGES[0], MONTH_EDGES[5]),
    Period(MONTH_EDGES[5], MONTH_EDGES[10]),
    Period(MONTH_EDGES[0] - 60 * DAY, MONTH_EDGES[-1] + 60 * DAY),
)
DURATION_TOLERANCE_S = 1e-3  # SQLite resolves durations via julianday, to the millisecond


# ---------------------------------------------------------------------------
# Random data: whole milliseconds, and mostly on or next to an edge that some
# definition turns on (window_end, discharge + 24 h, month starts, period bounds, as_of).


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def near(draw: st.DrawFn, *groups: Iterable[datetime]) -> datetime:
    """A moment on a base (4 in 10), 1 ms or 1 s either side of it (3 in 10), else days around it.

    The base is drawn from one of the non-empty ``groups`` chosen with equal odds, so that
    one rare but decisive edge (say, a discharge's 24 h deadline) is not drowned by many others;
    with every group empty it is a month edge.
    """
    choices = [sorted(group) for group in groups if group] or [sorted(MONTH_EDGES)]
    base = draw(st.sampled_from(draw(st.sampled_from(choices))))
    roll = draw(st.integers(0, 9))
    if roll < 4:
        return base
    if roll < 7:
        return base + ms(draw(st.sampled_from([1, -1, 1000, -1000])))
    spread = 3 if roll < 9 else 40
    return base + ms(draw(st.integers(-spread * 86_400_000, spread * 86_400_000)))


@dataclass
class World:
    encounters: list[Encounter] = field(default_factory=list)
    tasks: list[FollowUpTask] = field(default_factory=list)
    attempts: list[CallAttempt] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    period: Period = PERIODS[-1]
    as_of: datetime = PERIODS[-1].end
    zone: str = "Asia/Shanghai"

    def deadlines(self) -> list[datetime]:
        """Each discharge's 24 h on-time limit."""
        return [e.discharged_at + DAY for e in self.encounters if e.discharged_at is not None]

    def moments(self) -> list[datetime]:
        """Every time the data holds."""
        found = [e.discharged_at for e in self.encounters if e.discharged_at is not None]
        found += [m for t in self.tasks for m in (t.due_at, t.window_end, t.completed_at) if m is not None]
        found += [a.started_at for a in self.attempts]
        found += [r.submitted_at for r in self.responses]
        return found


def one_in(draw: st.DrawFn, n: int) -> bool:
    return draw(st.integers(0, n - 1)) == 0


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World()
    for i in range(draw(st.integers(1, 5))):
        discharged = None if one_in(draw, 5) else near(draw, MONTH_EDGES)  # 1 in 5 still admitted
        world.encounters.append(
            Encounter(
                patient_id=f"pat-{i}",
                ward_code=draw(st.sampled_from(WARDS)),
                admitted_at=(discharged or MONTH_EDGES[0]) - timedelta(days=3),
                discharged_at=discharged,
                id=f"enc-{i}",
            )
        )
    for i in range(draw(st.integers(0, 10))):
        enc = draw(st.sampled_from(world.encounters))
        due = enc.discharged_at if enc.discharged_at and draw(st.booleans()) else near(draw, MONTH_EDGES)
        window_end = near(draw, (due + DAY, due + 3 * DAY), MONTH_EDGES)
        world.tasks.append(
            FollowUpTask(
                enrollment_id=f"enr-{i}",
                patient_id=enc.patient_id,
                encounter_id=enc.id,
                # Usually the encounter's ward, sometimes not: on-time must group by the encounter's.
                ward_code=draw(st.sampled_from((enc.ward_code, *WARDS))),
                plan_code=draw(st.sampled_from(PLANS)),
                plan_version=1,
                step_no=draw(st.integers(1, 3)),
                due_at=due,
                window_end=window_end,
                assignee=draw(st.one_of(st.none(), st.sampled_from(NURSES))),
                # Completed as often as all other statuses together: its timing is what the miss rate judges.
                status=draw(st.one_of(st.just(TaskStatus.COMPLETED), st.sampled_from(TaskStatus))),
                completed_at=None if one_in(draw, 3) else near(draw, [window_end]),
                # A random prefix makes id order differ from creation order (first-task ties).
                id=f"{draw(st.sampled_from('aZ-9z'))}task-{i}",
            )
        )
    if world.tasks:
        discharge_of = {e.id: e.discharged_at for e in world.encounters}
        for i in range(draw(st.integers(0, 20))):
            t = draw(st.sampled_from(world.tasks))
            discharged = discharge_of[t.encounter_id]
            deadline = [discharged + DAY] if discharged else []
            started = near(draw, deadline, [t.due_at], [t.window_end], MONTH_EDGES)
            length = draw(st.one_of(st.sampled_from([0, 1000, 60_000]), st.integers(-1000, 3_600_000)))
            world.attempts.append(
                CallAttempt(
                    task_id=t.id,
                    nurse=draw(st.sampled_from(NURSES)),
                    started_at=started,
                    ended_at=None if one_in(draw, 3) else started + ms(length),
                    # Reached as often as all other outcomes together: durations and reach need it.
                    outcome=draw(st.one_of(st.just(CallOutcome.REACHED), st.sampled_from(CallOutcome))),
                    id=f"att-{i}",
                )
            )
        for i in range(draw(st.integers(0, 6))):
            t = draw(st.sampled_from(world.tasks))
            earlier = [r.id for r in world.responses]
            # A repeated link_id too: the store keeps its first answer, and so must the metric.
            links = draw(st.lists(st.sampled_from(["sat1", "sat2", "sbp"]), max_size=4))
            answers = tuple(
                Answer(
                    link_id=link,
                    value=None,
                    ordinal=draw(st.sampled_from([None, 1, 2, 3, 3.5, 4, 5])),
                    is_satisfaction=link.startswith("sat") or draw(st.booleans()),
                )
                for link in links
            )
            world.responses.append(
                Response(
                    task_id=t.id,
                    questionnaire_code="SAT",
                    questionnaire_version=1,
                    answers=answers,
                    submitted_by=draw(st.sampled_from(NURSES)),
                    submitted_at=near(draw, [t.due_at], MONTH_EDGES),
                    # Also a dangling id and the response's own id: only *another* response supersedes.
                    supersedes=draw(
                        st.one_of(st.none(), st.sampled_from(["no-such-response", f"resp-{i}", *earlier]))
                    ),
                    id=f"resp-{i}",
                )
            )
    edges = (world.moments(), world.deadlines(), MONTH_EDGES)
    shape = draw(st.sampled_from(["everything", "a Shanghai month", "between two edges"]))
    if shape == "everything":
        world.period = PERIODS[-1]
    elif shape == "a Shanghai month":
        world.period = draw(st.sampled_from(PERIODS[:2]))
    else:
        a, b = near(draw, *edges), near(draw, *edges)
        world.period = Period(min(a, b), max(a, b))
    # "Now" long after everything, or right on a 24 h deadline or a window's end.
    window_ends = [t.window_end for t in world.tasks]
    world.as_of = (
        PERIODS[-1].end + 365 * DAY if one_in(draw, 3) else near(draw, world.deadlines(), window_ends)
    )
    world.zone = draw(st.sampled_from(ZONES))
    return world


# ---------------------------------------------------------------------------
# Domain objects → table rows: straight Core inserts into the models.py tables, with
# the column values made by nurse_app.store.mapping, as the real store makes them.


def world_patients(world: World) -> list[Patient]:
    """The patients a world implies: one per encounter."""
    return [
        Patient(f"MRN{i}", "患者", Sex.UNKNOWN, date(1950, 1, 1), id=e.patient_id)
        for i, e in enumerate(world.encounters)
    ]


def world_enrollments(world: World) -> list[Enrollment]:
    """The enrollments a world implies: one per task."""
    return [
        Enrollment(
            t.patient_id,
            t.encounter_id,
            t.plan_code,
            t.plan_version,
            enrolled_at=t.due_at,
            id=t.enrollment_id,
        )
        for t in world.tasks
    ]


def insert_world(conn: Connection, world: World) -> None:
    def add(row_class: type[Base], rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(insert(row_class.__table__), rows)

    wards = sorted({*WARDS, *(e.ward_code for e in world.encounters), *(t.ward_code for t in world.tasks)})
    add(WardRow, [mapping.ward_values(Ward(code, code, "内科")) for code in wards])
    add(PatientRow, [mapping.patient_values(p) for p in world_patients(world)])
    add(EncounterRow, [mapping.encounter_values(e) for e in world.encounters])
    add(EnrollmentRow, [mapping.enrollment_values(e) for e in world_enrollments(world)])
    add(TaskRow, [mapping.task_values(t) for t in world.tasks])
    add(CallAttemptRow, [mapping.attempt_values(a) for a in world.attempts])
    add(ResponseRow, [mapping.response_values(r) for r in world.responses])
    add(ResponseAnswerRow, [row for r in world.responses for row in mapping.response_answer_values(r)])


# One engine for the whole module, so SQLAlchemy's statement cache carries over
# between examples (and must not mix up zone offsets); each example still gets a
# new, empty in-memory database, since disposing the pool drops the old one.
ENGINE = create_engine("sqlite://")
# Enforce the FKs so the generator cannot produce rows the real store would refuse.
event.listen(ENGINE, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))


@contextmanager
def fresh_db() -> Iterator[Connection]:
    """A connection, in a transaction, to a fresh in-memory SQLite with the store's tables."""
    ENGINE.dispose()
    Base.metadata.create_all(ENGINE)
    try:
        with ENGINE.begin() as conn:
            yield conn
    finally:
        ENGINE.dispose()


def test_fresh_db_is_empty_each_time() -> None:
    with fresh_db() as conn:
        conn.execute(insert(WardRow.__table__), [{"code": "W01", "name": "W01", "department": "内科"}])
    with fresh_db() as conn:
        assert conn.execute(select(func.count()).select_from(WardRow.__table__)).scalar_one() == 0


# ---------------------------------------------------------------------------
# Comparison


def pure_rates(world: World, by: GroupBy) -> dict[str, dict[str, Any]]:
    kw = {"by": by, "zone": world.zone}
    return {
        "miss": pure.miss_rate(world.tasks, world.period, as_of=world.as_of, **kw),
        "on_time": pure.on_time_rate(
            world.encounters, world.tasks, world.attempts, world.period, as_of=world.as_of, **kw
        ),
        "reach": pure.reach_rate(world.tasks, world.attempts, world.period, **kw),
        "durations": pure.call_durations(world.tasks, world.attempts, world.period, **kw),
        "satisfaction": pure.satisfaction_rate(world.tasks, world.responses, world.period, **kw),
    }


def sql_rates(conn: Any, world: World, by: GroupBy) -> dict[str, dict[str, Any]]:
    kw = {"by": by, "zone": world.zone}
    return {
        "miss": sql.miss_rate(conn, world.period, as_of=world.as_of, **kw),
        "on_time": sql.on_time_rate(conn, world.period, as_of=world.as_of, **kw),
        "reach": sql.reach_rate(conn, world.period, **kw),
        "durations": sql.call_durations(conn, world.period, **kw),
        "satisfaction": sql.satisfaction_rate(conn, world.period, **kw),
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=0, abs_tol=DURATION_TOLERANCE_S)


def assert_durations_agree(expected: dict[str, Durations], actual: dict[str, Durations]) -> None:
    assert expected.keys() == actual.keys()
    for key, want in expected.items():
        got = actual[key]
        assert got.count == want.count, key
        assert close(got.median_s, want.median_s), (key, want, got)
        assert close(got.mean_s, want.mean_s), (key, want, got)


def assert_agree(conn: Any, world: World) -> None:
    for by in GroupBy:
        expected, actual = pure_rates(world, by), sql_rates(conn, world, by)
        for name in ("miss", "on_time", "reach", "satisfaction"):
            assert actual[name] == expected[name], (by, name)
        assert_durations_agree(expected["durations"], actual["durations"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_sql_and_pure_rates_agree(world: World) -> None:
    with fresh_db() as conn:
        insert_world(conn, world)
        assert_agree(conn, world)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), by=st.sampled_from(GroupBy))
def test_sql_and_pure_rate_tables_agree(world: World, by: GroupBy) -> None:
    with fresh_db() as conn:
        insert_world(conn, world)
        common = {"period": world.period, "as_of": world.as_of, "by": by, "zone": world.zone}
        expected = pure.rate_table(
            encounters=world.encounters,
            tasks=world.tasks,
            attempts=world.attempts,
            responses=world.responses,
            **common,
        ).as_dicts()
        actual = sql.rate_table(conn, **common).as_dicts()
    assert [row["group"] for row in actual] == [row["group"] for row in expected]
    for want, got in zip(expected, actual, strict=True):
        for column, value in want.items():
            if column.startswith("duration_"):
                assert close(got[column], value), column
            else:
                assert got[column] == value, column


# ---------------------------------------------------------------------------
# Edges the generator reaches only by luck, and finer than its milliseconds


US = timedelta(microseconds=1)
AS_OF_EDGE = datetime(2024, 4, 20, 3, 4, 5, 678_901, tzinfo=UTC)
MARCH_LAST_US = datetime(2024, 3, 31, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59:59.999999 in Shanghai
# A period reaching past "now", as "this month so far" does, so that as_of and not the period decides.
EDGE_PERIOD = Period(datetime(2024, 3, 1, 0, 0, 0, 1, tzinfo=UTC), AS_OF_EDGE + DAY)


def edge_world() -> World:
    """One ward per edge case, every edge hit exactly and missed by one microsecond."""
    world = World(period=EDGE_PERIOD, as_of=AS_OF_EDGE)

    def case(
        ward: str,
        discharged: datetime,
        first_call: datetime | None = None,
        status: TaskStatus = TaskStatus.PENDING,
        completed: datetime | None = None,
    ) -> None:
        i = len(world.encounters)
        world.encounters.append(Encounter(f"pat-{i}", ward, discharged - 3 * DAY, discharged, id=f"enc-{i}"))
        world.tasks.append(
            FollowUpTask(
                enrollment_id=f"enr-{i}",
                patient_id=f"pat-{i}",
                encounter_id=f"enc-{i}",
                ward_code=ward,
                plan_code="HF",
                plan_version=1,
                step_no=1,
                due_at=discharged,
                window_end=discharged + DAY,
                status=status,
                completed_at=completed,
                id=f"t-{i}",
            )
        )
        if first_call is not None:
            ended = first_call + timedelta(seconds=90)
            world.attempts.append(
                CallAttempt(f"t-{i}", "nurse-a", first_call, ended, CallOutcome.REACHED, id=f"att-{i}")
            )

    done = TaskStatus.COMPLETED
    on_time_limit = MARCH_LAST_US + DAY
    case("on-time", MARCH_LAST_US, first_call=on_time_limit, status=done, completed=on_time_limit)
    late = MARCH_LAST_US + US + DAY + US
    case("late-by-1us", MARCH_LAST_US + US, first_call=late, status=done, completed=late)
    case("deadline-is-now", AS_OF_EDGE - DAY)  # window_end == as_of as well
    case("not-yet", AS_OF_EDGE - DAY + US)  # deadline and window_end 1 µs after as_of
    case(
        "period-start",
        EDGE_PERIOD.start,
        first_call=EDGE_PERIOD.start,
        status=done,
        completed=EDGE_PERIOD.start,
    )
    case("before-start", EDGE_PERIOD.start - US, first_call=EDGE_PERIOD.start, status=TaskStatus.CANCELLED)
    # Due, called and discharged at the period's (exclusive) end: in no rate.
    case("period-end", EDGE_PERIOD.end, first_call=EDGE_PERIOD.end)
    return world


def test_every_edge_agrees_to_the_microsecond() -> None:
    """SQLite's text arithmetic (add_seconds, month keys, bounds) is exact to the microsecond."""
    world = edge_world()
    with fresh_db() as conn:
        insert_world(conn, world)
        period, as_of = world.period, world.as_of
        assert sql.on_time_rate(conn, period, as_of=as_of, by=GroupBy.WARD) == {
            "deadline-is-now": Rate(0, 1),
            "late-by-1us": Rate(0, 1),
            "on-time": Rate(1, 1),
            "period-start": Rate(1, 1),
        }
        assert sql.on_time_rate(conn, period, as_of=as_of, by=GroupBy.MONTH) == {
            "2024-03": Rate(2, 2),
            "2024-04": Rate(0, 2),
        }
        assert sql.miss_rate(conn, period, as_of=as_of, by=GroupBy.WARD) == {
            "deadline-is-now": Rate(1, 1),
            "late-by-1us": Rate(1, 1),
            "on-time": Rate(0, 1),
            "period-start": Rate(0, 1),
        }
        assert sql.reach_rate(conn, period, by=GroupBy.MONTH) == {
            "2024-03": Rate(2, 2),
            "2024-04": Rate(1, 1),
        }
        assert_agree(conn, world)
        # A Session works as well as a Connection.
        assert sql.rate_table(Session(bind=conn), period, as_of=as_of, by=GroupBy.NURSE) == sql.rate_table(
            conn, period, as_of=as_of, by=GroupBy.NURSE
        )


def test_statement_cache_does_not_mix_zone_offsets() -> None:
    """The offset is part of the cached statement: one engine, two zones, two answers."""
    moment = datetime(2024, 3, 31, 17, tzinfo=UTC)  # April in Shanghai, March in UTC
    task = FollowUpTask("enr-0", "pat-0", "enc-0", "W01", "HF", 1, 1, moment - DAY, moment, id="t")
    enc = Encounter("pat-0", "W01", moment - 3 * DAY, moment - 2 * DAY, id="enc-0")
    world = World(
        encounters=[enc], tasks=[task], period=Period(moment - DAY, moment + DAY), as_of=moment + DAY
    )
    with fresh_db() as conn:
        insert_world(conn, world)
        months = [
            sql.miss_rate(conn, world.period, as_of=world.as_of, by=GroupBy.MONTH, zone=zone)
            for zone in ("Asia/Shanghai", "UTC", "Asia/Shanghai")
        ]
    assert months == [{"2024-04": Rate(1, 1)}, {"2024-03": Rate(1, 1)}, {"2024-04": Rate(1, 1)}]


class _CompileOnly:
    """An executor that compiles each statement for a dialect and returns no rows."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.sql: list[str] = []

    def execute(self, statement: Any) -> list[Any]:
        self.sql.append(str(statement.compile(dialect=self.dialect)))
        return []


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (postgresql.dialect(), ["to_char(", "INTERVAL '28800 seconds'", 'COLLATE "C"', "EXTRACT(EPOCH FROM"]),
        (mysql.dialect(), ["DATE_ADD(", "INTERVAL 28800 SECOND", "AS BINARY", "TIMESTAMPDIFF(MICROSECOND"]),
    ],
    ids=["postgresql", "mysql"],
)
def test_server_dialects_compile(dialect: Dialect, expected: list[str]) -> None:
    executor = _CompileOnly(dialect)
    for by in GroupBy:
        table = sql.rate_table(executor, World().period, as_of=World().as_of, by=by)  # type: ignore[arg-type]
        assert table.rows == ()
    text = "\n".join(executor.sql)
    for fragment in expected:
        assert fragment in text
    assert "strftime" not in text and "julianday" not in text
