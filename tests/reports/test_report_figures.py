"""Headline figures, tables and lists of a tiny hand-made hospital, each number computed by hand below.

Ward W1, October 2026 (Asia/Shanghai), as of 2026-11-20; every task is step 1
of a plan with a 24 h window from discharge (times are local):

  E1 Oct 03 10:00  T1 n1  A1 +2h reached 600 s, completed +2h15 (on time)   R1 overall 5, nursing 4, comment
  E2 Oct 10 09:00  T2 n1  A2 +3h no answer, A3 +30h reached 300 s, completed late → missed   R2 3, 2
  E3 Oct 20 08:00  T3 n2  no attempt → missed
  E4 Oct 25 14:00  T4 n2  A4 +1h reached 960 s, completed +1h20   R4 4,5 superseded by R5 5,5;
                          critical alerts: one acknowledged after 30 min, one open; a warning, open
  E5 Oct 31 20:00  T5 n2  A5 +1h busy (window closes Nov 1: not in October's miss rate)
  E0 Sep 15 10:00  T0 n1  previous period: on time, A0 reached 480 s, R0 overall 5;
                   T7 (step 2 of E0) due Oct 12, cancelled
  Ward W2: E6 Oct 05 T6 n3 missed.

October, W1 by hand:
  miss      closed T1 T2 T3 T4 (T5 later, T7 cancelled), missed T2 T3        → 2/4 = 50.0%
  on-time   E1 E2 E4 E5 called within 24 h, E3 not                           → 4/5 = 80.0%
  reach     due in Oct with an attempt: T1 T2 T4 reached, T5 not             → 3/4 = 75.0%
  duration  A1 600, A3 300, A4 960 → median 600.0 s, mean 620.0 s
  satisfaction R1 (5,4) R2 (3,2) R5 (5,5), R4 superseded                     → 4/6 = 66.7%
  completed T1 T2 T4 = 3; scales filled R1 R2 R5 = 3; diseases I50 I21 I10 = 3; open critical = 1
September (previous): miss 0/1, on-time 1/1, reach 1/1, duration 480, satisfaction 1/1, completed 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from nurse_app.demo.catalog import PLANS_BY_CODE
from nurse_app.domain.model import (
    Alert,
    AlertSeverity,
    AlertStatus,
    Answer,
    CallAttempt,
    CallOutcome,
    Diagnosis,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Response,
    Role,
    Sex,
    TaskStatus,
    User,
    Ward,
)
from nurse_app.reports.data import ReportCancelled, build_ward_month
from nurse_app.reports.headline import Status, Targets, hospital_headlines
from nurse_app.reports.scope import month_period
from nurse_app.store.engine import open_cache, session_factory
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.repository import CacheRepository

KEY = "5e" * 32
SH = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
PLAN = "HF-DISCHARGE"


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(timezone.utc)


class World:
    """Writes the hand-made records through the repository, one helper per kind of record."""

    def __init__(self, repo: CacheRepository) -> None:
        self.repo = repo
        self.n = 0

    def episode(
        self, ward: str, name: str, icd10: str, discharged: datetime, nurse: str, **task: object
    ) -> FollowUpTask:
        self.n += 1
        patient = Patient(f"MRN{self.n:04d}", name, Sex.FEMALE, date(1950, 1, 1), phone="13812345678")
        self.repo.save_patient(patient)
        encounter = Encounter(
            patient.id,
            ward,
            discharged - timedelta(days=5),
            discharged,
            (Diagnosis(icd10, "dx", primary=True),),
        )
        self.repo.save_encounter(encounter)
        enrollment = Enrollment(patient.id, encounter.id, PLAN, 1, enrolled_at=discharged)
        self.repo.save_enrollment(enrollment)
        return self.task(enrollment, encounter, ward, nurse, 1, discharged, **task)

    def task(
        self,
        enrollment: Enrollment,
        encounter: Encounter,
        ward: str,
        nurse: str,
        step: int,
        due: datetime,
        **more: object,
    ) -> FollowUpTask:
        t = FollowUpTask(
            enrollment.id,
            enrollment.patient_id,
            encounter.id,
            ward,
            PLAN,
            1,
            step,
            due,
            due + timedelta(hours=24),
            assignee=nurse,
            **more,  # type: ignore[arg-type]
        )
        self.repo.save_tasks([t])
        self.repo.session.flush()
        return t

    def call(self, t: FollowUpTask, nurse: str, at: datetime, outcome: CallOutcome, seconds: float) -> None:
        self.repo.add_attempt(CallAttempt(t.id, nurse, at, at + timedelta(seconds=seconds), outcome))

    def survey(
        self,
        t: FollowUpTask,
        nurse: str,
        at: datetime,
        overall: int,
        nursing: int | None = None,
        comment: str = "",
        supersedes: str | None = None,
    ) -> Response:
        answers = [Answer("overall", str(overall), float(overall), is_satisfaction=True)]
        if nursing is not None:
            answers.append(Answer("nursing", str(nursing), float(nursing), is_satisfaction=True))
        if comment:
            answers.append(Answer("comment", comment))
        response = Response(t.id, "satisfaction", 1, tuple(answers), nurse, at, supersedes=supersedes)
        self.repo.add_response(response)
        return response


def build(repo: CacheRepository) -> None:
    for code in ("W1", "W2"):
        repo.save_ward(Ward(code, f"病区{code}", "心内科"))
    repo.save_plan(PLANS_BY_CODE[PLAN])
    repo.save_user(User("n1", "护士甲", Role.NURSE, ("W1",)))
    repo.save_user(User("n2", "护士乙", Role.NURSE, ("W1",)))
    repo.session.flush()
    w = World(repo)
    done = TaskStatus.COMPLETED

    d1 = local(10, 3, 10)
    t1 = w.episode(
        "W1", "张三丰", "I50.9", d1, "n1", status=done, completed_at=d1 + timedelta(hours=2, minutes=15)
    )
    w.call(t1, "n1", d1 + timedelta(hours=2), CallOutcome.REACHED, 600)
    w.survey(t1, "n1", d1 + timedelta(hours=2, minutes=15), 5, 4, comment="护士很耐心")

    d2 = local(10, 10, 9)
    t2 = w.episode(
        "W1", "王小芳", "I21.0", d2, "n1", status=done, completed_at=d2 + timedelta(hours=30, minutes=10)
    )
    w.call(t2, "n1", d2 + timedelta(hours=3), CallOutcome.NO_ANSWER, 30)
    w.call(t2, "n1", d2 + timedelta(hours=30), CallOutcome.REACHED, 300)
    w.survey(t2, "n1", d2 + timedelta(hours=30, minutes=10), 3, 2)

    w.episode("W1", "李娜", "I50.1", local(10, 20, 8), "n2", status=TaskStatus.MISSED)

    d4 = local(10, 25, 14)
    t4 = w.episode(
        "W1", "赵敏", "I10", d4, "n2", status=done, completed_at=d4 + timedelta(hours=1, minutes=20)
    )
    w.call(t4, "n2", d4 + timedelta(hours=1), CallOutcome.REACHED, 960)
    r4 = w.survey(t4, "n2", d4 + timedelta(hours=1, minutes=20), 4, 5)
    w.survey(t4, "n2", d4 + timedelta(hours=2), 5, 5, supersedes=r4.id)
    raised = d4 + timedelta(hours=1, minutes=20)
    for severity, status, acked in (
        (AlertSeverity.CRITICAL, AlertStatus.ACKNOWLEDGED, raised + timedelta(minutes=30)),
        (AlertSeverity.CRITICAL, AlertStatus.OPEN, None),
        (AlertSeverity.WARNING, AlertStatus.OPEN, None),
    ):
        repo.add_alert(
            Alert(
                r4.id,
                t4.id,
                t4.patient_id,
                "W1",
                "SBP_HIGH",
                severity,
                "收缩压≥180",
                raised,
                status,
                "n2" if acked else None,
                acked,
            )
        )

    d5 = local(10, 31, 20)
    t5 = w.episode("W1", "钱多多", "I10", d5, "n2")
    w.call(t5, "n2", d5 + timedelta(hours=1), CallOutcome.BUSY, 10)

    d0 = local(9, 15, 10)
    t0 = w.episode(
        "W1", "孙悟空", "I50.9", d0, "n1", status=done, completed_at=d0 + timedelta(hours=1, minutes=30)
    )
    w.call(t0, "n1", d0 + timedelta(hours=1), CallOutcome.REACHED, 480)
    w.survey(t0, "n1", d0 + timedelta(hours=1, minutes=30), 5)
    enrollment = repo.get_enrollment(t0.enrollment_id)
    encounter = repo.get_encounter(t0.encounter_id)
    assert enrollment and encounter
    w.task(enrollment, encounter, "W1", "n1", 2, local(10, 12, 10), status=TaskStatus.CANCELLED)

    w.episode("W2", "周八", "J18.9", local(10, 5, 9), "n3", status=TaskStatus.MISSED)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("hand") / "hand.db"
    engine = open_cache(path, KEY)
    upgrade_to_head(engine)
    with session_factory(engine).begin() as session:
        build(CacheRepository(session))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def october(engine: Engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return build_ward_month(conn, ["W1"], "2026-10", as_of=AS_OF)


def test_headline_matches_the_hand_computation(october) -> None:  # type: ignore[no-untyped-def]
    h = october.headline
    assert (h.miss.numerator, h.miss.denominator) == (2, 4)
    assert (h.on_time.numerator, h.on_time.denominator) == (4, 5)
    assert (h.reach.numerator, h.reach.denominator) == (3, 4)
    assert h.duration_median.value == pytest.approx(600.0)
    assert h.duration_mean.value == pytest.approx(620.0)
    assert (h.satisfaction.numerator, h.satisfaction.denominator) == (4, 6)
    assert (h.completed.value, h.responses.value, h.diseases.value, h.open_critical.value) == (3, 3, 3, 1)
    assert h.current.diseases == {"I50", "I21", "I10"}


def test_previous_period_and_statuses(october) -> None:  # type: ignore[no-untyped-def]
    h = october.headline
    assert h.previous_period.end == month_period("2026-10").start
    assert (h.miss.previous, h.on_time.previous, h.reach.previous, h.satisfaction.previous) == (
        0.0,
        1.0,
        1.0,
        1.0,
    )
    assert h.duration_median.previous == pytest.approx(480.0)
    assert (h.completed.previous, h.responses.previous, h.diseases.previous, h.open_critical.previous) == (
        1,
        1,
        1,
        0,
    )
    assert h.miss.status is Status.BAD and h.miss.target == 0.05
    assert h.open_critical.status is Status.BAD
    assert h.duration_median.status is None


def test_targets_are_configurable() -> None:
    targets = Targets(miss_max=0.5, reach_min=0.76)
    assert targets.status("miss", 0.5) is Status.GOOD
    assert targets.status("reach", 0.75) is Status.WARN
    assert targets.status("reach", 0.70) is Status.BAD
    assert targets.status("on_time", None) is None


def test_per_nurse_plan_and_weekly(october) -> None:  # type: ignore[no-untyped-def]
    nurses = {line.key: line for line in october.by_nurse}
    assert nurses["n1"].label == "护士甲 (n1)"
    assert (
        nurses["n1"].rates.miss.numerator,
        nurses["n1"].rates.miss.denominator,
        nurses["n1"].completed,
    ) == (1, 2, 2)
    assert (
        nurses["n2"].rates.miss.numerator,
        nurses["n2"].rates.miss.denominator,
        nurses["n2"].completed,
    ) == (1, 2, 1)
    assert "n3" not in nurses  # another ward's nurse
    (plan,) = october.by_plan
    assert (plan.key, plan.rates.miss.numerator, plan.rates.miss.denominator) == (PLAN, 2, 4)
    weekly = [(w.miss.numerator, w.miss.denominator) for w in october.weekly]
    assert weekly == [(0, 1), (1, 1), (1, 1), (0, 1), (0, 0)]
    assert october.weekly[-1].miss.value is None


def test_missed_list_is_masked(october) -> None:  # type: ignore[no-untyped-def]
    rows = [(m.patient, m.assignee, [a.outcome for a in m.attempts]) for m in october.missed]
    assert rows == [
        ("王*芳", "n1", [CallOutcome.NO_ANSWER, CallOutcome.REACHED]),
        ("李*", "n2", []),
    ]
    assert all("12345678" not in m.phone and m.phone.endswith("5678") for m in october.missed)


def test_alerts_and_satisfaction(october) -> None:  # type: ignore[no-untyped-def]
    alerts = october.alerts
    assert (alerts.count, alerts.acknowledged, alerts.open) == (2, 1, 1)
    assert alerts.median_ack_min == pytest.approx(30.0) and alerts.max_ack_min == pytest.approx(30.0)
    items = {i.link_id: i for i in october.satisfaction}
    assert items["overall"].levels == {3: 1, 5: 2}
    assert items["nursing"].levels == {2: 1, 4: 1, 5: 1}
    assert [c.text for c in october.comments] == ["护士很耐心"]


def test_several_wards_and_the_hospital(engine: Engine) -> None:
    with engine.connect() as conn:
        both = build_ward_month(conn, ["W1", "W2"], "2026-10", as_of=AS_OF)
        hospital = hospital_headlines(conn, month_period("2026-10"), as_of=AS_OF)
    assert (both.headline.miss.numerator, both.headline.miss.denominator) == (3, 5)
    assert set(hospital.by_ward) == {"W1", "W2"}
    assert hospital.by_ward["W1"].miss.value == 0.5
    assert hospital.total.miss.denominator == 5


def test_empty_period_has_no_rates(engine: Engine) -> None:
    with engine.connect() as conn:
        empty = build_ward_month(conn, ["W1"], "2025-01", as_of=AS_OF)
    assert not empty.has_data
    assert all(
        f.value is None and f.status is None for f in empty.headline.figures if f.key != "open_critical"
    )
    assert empty.missed == () and empty.by_nurse == ()


def test_progress_and_cancel(engine: Engine) -> None:
    seen: list[tuple[int, int, str]] = []
    with engine.connect() as conn:
        build_ward_month(conn, ["W1"], "2026-10", as_of=AS_OF, progress=lambda *a: seen.append(a))
        with pytest.raises(ReportCancelled):
            build_ward_month(conn, ["W1"], "2026-10", as_of=AS_OF, cancel=lambda: len(seen) > 3)
    assert [s for s, _, _ in seen[:7]] == list(range(7)) and seen[6][:2] == (6, 6)
