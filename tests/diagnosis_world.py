"""A tiny hand-made ward whose tasks fall in two diagnosis groups and one without a diagnosis.

Ward W1, October 2026 (Asia/Shanghai), as of 2026-11-20; each task has a 24 h window
from its due time (times are local). Hand computation per group:

I50 (label "I50 心力衰竭": 心力衰竭 ×2 beats 慢性心力衰竭 ×1)
  E1 I50.9 Oct 03 10:00  T1 n1  A +1h reached 600 s, completed +2h     R overall 5, nursing 4
  E2 I50.1 Oct 10 09:00  T2 n1  A +30h no answer 30 s, missed
  E3 " i50.0 " Oct 12 08:00  T3 n2  A +2h reached 300 s, completed +3h  R overall 3
  miss 1/3 · on time 2/3 (E2 first called after 24 h) · reach 2/3 · durations 600, 300
  → median 450, mean 450 · satisfaction 2/3 · completed 2
I10 (label "I10 原发性高血压")
  E4 I10 Oct 20 08:00  T4 n2  A +1h reached 900 s, completed +1h30  R 4,5 superseded by R' 2,5
                       T4b step 2 due Oct 27 08:00, A +1h busy, window closed → missed
  miss 1/2 · on time 1/1 · reach 1/2 · duration 900 · satisfaction 1/2 (R' only) · completed 1
No diagnosis ("")
  E5 (no diagnosis at all)        Oct 15 14:00  T5 n1  never called → missed
  E6 (primary diagnosis, no code) Oct 25 10:00  T6 n2  A +20h reached 120 s, completed +20h30  R overall 4
  miss 1/2 · on time 1/2 · reach 1/1 · duration 120 · satisfaction 1/1 · completed 1
Outside October's figures: E0 I21.0 discharged Sep 20 (previous month, no I21 line);
ward W2's E7 I50.9 Oct 05, missed (another ward).
Whole ward: miss 3/7, on time 4/6, reach 4/6, satisfaction 4/6, completed 4.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from nurse_app.demo.catalog import PLANS_BY_CODE
from nurse_app.domain.model import (
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
from nurse_app.store.engine import open_cache, session_factory
from nurse_app.store.migrate import upgrade_to_head
from nurse_app.store.repository import CacheRepository

KEY = "d1" * 32
SH = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
MONTH = "2026-10"
PLAN = "HF-DISCHARGE"
DONE = TaskStatus.COMPLETED


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SH).astimezone(timezone.utc)


class DiagnosisWorld:
    """Writes the records above through the repository."""

    def __init__(self, repo: CacheRepository) -> None:
        self.repo = repo
        self.n = 0

    def episode(
        self, ward: str, diagnoses: tuple[Diagnosis, ...], discharged: datetime, nurse: str, **task: object
    ) -> FollowUpTask:
        self.n += 1
        patient = Patient(f"DX{self.n:04d}", f"病人{self.n}", Sex.MALE, date(1950, 1, 1), phone="13900000000")
        self.repo.save_patient(patient)
        encounter = Encounter(patient.id, ward, discharged - timedelta(days=4), discharged, diagnoses)
        self.repo.save_encounter(encounter)
        enrollment = Enrollment(patient.id, encounter.id, PLAN, 1, enrolled_at=discharged)
        self.repo.save_enrollment(enrollment)
        return self.task(enrollment, encounter, nurse, 1, discharged, **task)

    def task(
        self,
        enrollment: Enrollment,
        encounter: Encounter,
        nurse: str,
        step: int,
        due: datetime,
        **more: object,
    ) -> FollowUpTask:
        t = FollowUpTask(
            enrollment.id,
            enrollment.patient_id,
            encounter.id,
            encounter.ward_code,
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

    def call(self, t: FollowUpTask, after_hours: float, outcome: CallOutcome, seconds: float) -> None:
        at = t.due_at + timedelta(hours=after_hours)
        self.repo.add_attempt(
            CallAttempt(t.id, t.assignee or "", at, at + timedelta(seconds=seconds), outcome)
        )

    def survey(self, t: FollowUpTask, after_hours: float, *scores: int, supersedes: str | None = None) -> str:
        answers = tuple(
            Answer(link, str(s), float(s), is_satisfaction=True)
            for link, s in zip(("overall", "nursing"), scores, strict=False)
        )
        at = t.due_at + timedelta(hours=after_hours)
        response = Response(t.id, "satisfaction", 1, answers, t.assignee or "", at, supersedes=supersedes)
        self.repo.add_response(response)
        return response.id


def _dx(code: str, text: str) -> tuple[Diagnosis, ...]:
    return (Diagnosis(code, text, primary=True),)


def build(repo: CacheRepository) -> None:
    for code in ("W1", "W2"):
        repo.save_ward(Ward(code, f"病区{code}", "心内科"))
    repo.save_plan(PLANS_BY_CODE[PLAN])
    for name in ("n1", "n2"):
        repo.save_user(User(name, f"护士{name}", Role.NURSE, ("W1",)))
    repo.session.flush()
    w = DiagnosisWorld(repo)
    hours = timedelta(hours=1)

    t1 = w.episode(
        "W1", _dx("I50.9", "心力衰竭"), local(10, 3, 10), "n1", status=DONE, completed_at=local(10, 3, 12)
    )
    w.call(t1, 1, CallOutcome.REACHED, 600)
    w.survey(t1, 2, 5, 4)
    t2 = w.episode("W1", _dx("I50.1", "心力衰竭"), local(10, 10, 9), "n1", status=TaskStatus.MISSED)
    w.call(t2, 30, CallOutcome.NO_ANSWER, 30)
    t3 = w.episode(
        "W1",
        _dx(" i50.0 ", "慢性心力衰竭"),
        local(10, 12, 8),
        "n2",
        status=DONE,
        completed_at=local(10, 12, 11),
    )
    w.call(t3, 2, CallOutcome.REACHED, 300)
    w.survey(t3, 3, 3)

    t4 = w.episode(
        "W1",
        _dx("I10", "原发性高血压"),
        local(10, 20, 8),
        "n2",
        status=DONE,
        completed_at=local(10, 20, 9) + hours / 2,
    )
    w.call(t4, 1, CallOutcome.REACHED, 900)
    first = w.survey(t4, 1.5, 4, 5)
    w.survey(t4, 2, 2, 5, supersedes=first)
    enrollment, encounter = repo.get_enrollment(t4.enrollment_id), repo.get_encounter(t4.encounter_id)
    assert enrollment and encounter
    t4b = w.task(enrollment, encounter, "n2", 2, local(10, 27, 8))
    w.call(t4b, 1, CallOutcome.BUSY, 15)

    w.episode("W1", (), local(10, 15, 14), "n1")
    t6 = w.episode(
        "W1", _dx("", "待查"), local(10, 25, 10), "n2", status=DONE, completed_at=local(10, 26, 6) + hours / 2
    )
    w.call(t6, 20, CallOutcome.REACHED, 120)
    w.survey(t6, 20.5, 4)

    t0 = w.episode(
        "W1", _dx("I21.0", "急性心肌梗死"), local(9, 20, 10), "n1", status=DONE, completed_at=local(9, 20, 12)
    )
    w.call(t0, 1, CallOutcome.REACHED, 400)
    w.episode("W2", _dx("I50.9", "心力衰竭"), local(10, 5, 9), "n1", status=TaskStatus.MISSED)


def diagnosis_engine(folder: Path) -> Iterator[Engine]:
    """The encrypted cache of the world above (a generator for a module-scoped fixture)."""
    engine = open_cache(folder / "diagnosis.db", KEY)
    upgrade_to_head(engine)
    with session_factory(engine).begin() as session:
        build(CacheRepository(session))
    yield engine
    engine.dispose()
