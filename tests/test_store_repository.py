"""Round trips of every entity through the encrypted cache, append-only rules, pragmas, bulk loading."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import (
    Alert,
    AlertSeverity,
    AlertStatus,
    Answer,
    AuditAction,
    AuditEvent,
    CallAttempt,
    CallingHours,
    CallOutcome,
    Diagnosis,
    Encounter,
    Enrollment,
    EnrollmentSource,
    FollowUpTask,
    InclusionRule,
    OffsetUnit,
    Patient,
    Plan,
    PlanStep,
    PublicationStatus,
    Response,
    RetryPolicy,
    Role,
    Sex,
    TaskStatus,
    User,
    Ward,
)
from nurse_app.store import mapping, repository
from nurse_app.store.engine import open_cache_for, session_factory
from nurse_app.store.models import PatientRow, ResponseAnswerRow, TaskRow, UserRow, UtcDateTime
from nurse_app.store.repository import CacheRepository, bulk_insert

BEIJING = timezone(timedelta(hours=8))
DISCHARGED = datetime(2025, 3, 1, 10, 30, tzinfo=BEIJING)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_cache_for(tmp_path / "cache.db")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def repo(session: Session) -> CacheRepository:
    return CacheRepository(session)


WARD = Ward("W1", "心内科一病区", "心内科", "Asia/Shanghai", CallingHours(time(9, 0), time(19, 30)))
PATIENT = Patient(
    "MRN001", "张三", Sex.MALE, date(1950, 5, 17), phone="138-0013-8000", national_id="110101195005170011"
)
ENCOUNTER = Encounter(
    patient_id=PATIENT.id,
    ward_code="W1",
    admitted_at=DISCHARGED - timedelta(days=6),
    discharged_at=DISCHARGED,
    diagnoses=(Diagnosis("I50.9", "心力衰竭"), Diagnosis("I10", "高血压", primary=True)),
    procedures=("PCI",),
    attending_doctor="李医生",
    discharge_summary="出院小结",
)
PLAN = Plan(
    code="HF",
    version=2,
    name="心衰随访",
    status=PublicationStatus.PUBLISHED,
    steps=(
        PlanStep(1, "出院24小时", 0, OffsetUnit.HOURS, 24.0, ("SAT5",), "S1"),
        PlanStep(2, "出院一周", 1, OffsetUnit.WEEKS, 48.0),
    ),
    wards=("W1",),
    departments=("心内科",),
    inclusion_rules=(InclusionRule("icd10_prefix", "I50", 2.0), InclusionRule("age_min", "60")),
    enrollment_threshold=2.5,
    retry=RetryPolicy(4, 2.5),
)
ENROLLMENT = Enrollment(
    PATIENT.id, ENCOUNTER.id, "HF", 2, EnrollmentSource.MANUAL, 3.0, enrolled_at=DISCHARGED
)


def make_task(step_no: int = 1, **changes: object) -> FollowUpTask:
    due = DISCHARGED + timedelta(days=7 * (step_no - 1))
    ids = (ENROLLMENT.id, PATIENT.id, ENCOUNTER.id)
    task = FollowUpTask(*ids, "W1", "HF", 2, step_no, due, due + timedelta(hours=24), script_code="S1")
    return replace(task, **{"questionnaires": ("SAT5",), **changes})


def seed(repo: CacheRepository) -> FollowUpTask:
    repo.save_ward(WARD)
    repo.save_patient(PATIENT)
    repo.save_encounter(ENCOUNTER)
    repo.save_plan(PLAN)
    repo.save_enrollment(ENROLLMENT)
    task = make_task()
    repo.save_tasks([task])
    repo.session.commit()
    return task


def test_pragmas_wal_full_sync_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(repo: CacheRepository) -> None:
    repo.save_tasks([make_task()])  # its enrollment, patient, encounter and ward do not exist
    with pytest.raises(IntegrityError):
        repo.session.flush()


def test_ward_user_patient_encounter_plan_enrollment_round_trip(repo: CacheRepository) -> None:
    seed(repo)
    repo.save_ward(Ward("W2", "呼吸科", "呼吸科"))
    user = User("nurse.wang", "王护士", Role.NURSE, ("W2", "W1"))
    repo.save_user(user)
    repo.session.commit()
    repo.session.expunge_all()

    assert repo.get_ward("W1") == WARD
    assert repo.get_user("nurse.wang") == User("nurse.wang", "王护士", Role.NURSE, ("W1", "W2"))
    assert repo.get_patient(PATIENT.id) == PATIENT
    assert repo.get_encounter(ENCOUNTER.id) == ENCOUNTER
    assert repo.get_plan("HF", 2) == PLAN
    assert repo.get_plan("HF", 1) is None
    assert repo.get_enrollment(ENROLLMENT.id) == ENROLLMENT

    stored_encounter = repo.get_encounter(ENCOUNTER.id)
    assert stored_encounter is not None and stored_encounter.admitted_at.tzinfo is not None
    row = repo.session.get(PatientRow, PATIENT.id)
    assert row is not None and row.phone_last4 == "8000"


def test_saving_again_updates_and_keeps_the_offline_verifier(repo: CacheRepository) -> None:
    seed(repo)
    repo.save_ward(Ward("W2", "呼吸科", "呼吸科"))
    repo.save_user(User("nurse.wang", "王护士", Role.NURSE, ("W1",)))
    repo.session.commit()
    repo.session.get(UserRow, "nurse.wang").password_verifier = "$argon2id$..."  # type: ignore[union-attr]
    repo.session.commit()

    repo.save_user(User("nurse.wang", "王护士长", Role.WARD_MANAGER, ("W2",), active=False))
    repo.save_patient(
        Patient(PATIENT.mrn, "张三丰", Sex.MALE, PATIENT.birth_date, "１３９１２３４５６７８", id=PATIENT.id)
    )
    repo.save_plan(Plan("HF", 2, "心衰随访", PublicationStatus.RETIRED, PLAN.steps))
    repo.session.commit()
    repo.session.expunge_all()

    assert repo.get_user("nurse.wang") == User("nurse.wang", "王护士长", Role.WARD_MANAGER, ("W2",), False)
    assert repo.session.get(UserRow, "nurse.wang").password_verifier == "$argon2id$..."  # type: ignore[union-attr]
    patient = repo.get_patient(PATIENT.id)
    assert patient is not None and patient.name == "张三丰"
    assert repo.session.get(PatientRow, PATIENT.id).phone_last4 == "5678"  # type: ignore[union-attr]
    plan = repo.get_plan("HF", 2)
    assert plan is not None and plan.status is PublicationStatus.RETIRED


def test_plan_status_column_wins_over_definition(repo: CacheRepository) -> None:
    repo.save_plan(PLAN)
    repo.session.execute(text("UPDATE plans SET status = 'retired' WHERE code = 'HF'"))
    assert repo.get_plan("HF", 2).status is PublicationStatus.RETIRED  # type: ignore[union-attr]


def test_plan_definition_ignores_unknown_fields_from_newer_servers() -> None:
    data = mapping.plan_definition(PLAN)
    data["future_field"] = 1
    data["steps"][0]["future_step_field"] = "x"
    del data["retry"]
    plan = mapping.plan_from_definition(data)
    assert plan.steps == PLAN.steps and plan.retry == RetryPolicy()


def test_tasks_round_trip_update_and_list(repo: CacheRepository) -> None:
    task = seed(repo)
    second = make_task(2)
    now = DISCHARGED + timedelta(hours=3)
    task.status, task.attempts, task.assignee = TaskStatus.COMPLETED, 2, "nurse.wang"
    task.completed_at, task.finished_by, task.next_attempt_at = now, CallOutcome.REFUSED, now
    task.status_reason, task.version = "拒绝随访", 3
    repo.save_tasks([second, task])
    repo.session.commit()
    repo.session.expunge_all()

    assert repo.get_task(task.id) == task
    assert repo.get_task("missing") is None
    assert repo.tasks_of_patient(PATIENT.id) == [task, second]
    assert repo.session.scalar(select(TaskRow.status).where(TaskRow.id == task.id)) == "completed"


def test_attempts_are_append_only(repo: CacheRepository) -> None:
    task = seed(repo)
    first = CallAttempt(
        task.id, "nurse.wang", DISCHARGED, DISCHARGED + timedelta(minutes=1), CallOutcome.NO_ANSWER
    )
    second = CallAttempt(
        task.id, "nurse.wang", DISCHARGED + timedelta(hours=4), None, CallOutcome.REACHED, note="家属接听"
    )
    assert repo.add_attempt(second) and repo.add_attempt(first)
    repo.session.commit()
    assert repo.add_attempt(first) is False  # a replay of the same record is harmless
    with pytest.raises(DomainError, match="append-only"):
        repo.add_attempt(CallAttempt(task.id, "nurse.wang", DISCHARGED, None, CallOutcome.BUSY, id=first.id))
    repo.session.expunge_all()
    assert repo.attempts_of_task(task.id) == [first, second]


def test_responses_are_append_only_and_write_answer_rows(repo: CacheRepository) -> None:
    task = seed(repo)
    answers = (
        Answer("sat", 5, ordinal=5, is_satisfaction=True),
        Answer("sbp", 182.5),
        Answer("symptoms", ("胸闷", "气短")),
        Answer("visit", date(2025, 3, 5)),
        Answer("seen_at", datetime(2025, 3, 5, 9, 0, tzinfo=timezone.utc)),
        Answer("coding", {"system": "loinc", "code": "8480-6"}),
        Answer("sat", 4, ordinal=4, is_satisfaction=True),  # a repeated item: only the first gets a row
        Answer("note", None),
    )
    response = Response(task.id, "SAT5", 1, answers, "nurse.wang", DISCHARGED, score=9.0)
    assert repo.add_response(response)
    correction = Response(task.id, "SAT5", 1, answers[:1], "nurse.wang", DISCHARGED, supersedes=response.id)
    assert repo.add_response(correction)
    repo.session.commit()
    repo.session.expunge_all()

    assert repo.get_response(response.id) == response
    assert repo.responses_of_task(task.id) == sorted([response, correction], key=lambda r: r.id)
    rows = repo.session.scalars(select(ResponseAnswerRow).where(ResponseAnswerRow.response_id == response.id))
    assert {(r.link_id, r.ordinal, r.is_satisfaction) for r in rows} == {
        ("sat", 5.0, True),
        ("sbp", None, False),
        ("symptoms", None, False),
        ("visit", None, False),
        ("seen_at", None, False),
        ("coding", None, False),
        ("note", None, False),
    }
    assert repo.add_response(response) is False
    with pytest.raises(DomainError, match="append-only"):
        repo.add_response(Response(task.id, "SAT5", 1, (), "nurse.li", DISCHARGED, id=response.id))
    with pytest.raises(DomainError, match="'x'"):  # a value JSON cannot hold is refused by name
        repo.add_response(Response(task.id, "Q", 1, (Answer("x", object()),), "n", DISCHARGED))
    with pytest.raises(DomainError, match="supersede itself"):
        repo.add_response(Response(task.id, "SAT5", 1, (), "x", DISCHARGED, id="r1", supersedes="r1"))


def test_alerts_insert_then_acknowledge(repo: CacheRepository) -> None:
    task = seed(repo)
    response = Response(task.id, "BP", 1, (Answer("sbp", 185),), "nurse.wang", DISCHARGED)
    repo.add_response(response)
    alert = Alert(
        response.id, task.id, PATIENT.id, "W1", "SBP_180", AlertSeverity.CRITICAL, "收缩压≥180", DISCHARGED
    )
    repo.add_alert(alert)
    repo.session.commit()
    alert.status, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, "nurse.wang"
    alert.acknowledged_at = DISCHARGED + timedelta(minutes=5)
    repo.add_alert(alert)
    repo.session.commit()
    repo.session.expunge_all()
    assert repo.get_alert(alert.id) == alert
    assert repo.alerts_of_task(task.id) == [alert]


def test_audit_events_are_append_only(repo: CacheRepository) -> None:
    event = AuditEvent("nurse.wang", AuditAction.REVEAL, "patient", PATIENT.id, DISCHARGED, "PC-07", "phone")
    assert repo.record_audit(event)
    repo.session.commit()
    repo.session.expunge_all()
    assert repo.audit_of_entity("patient", PATIENT.id) == [event]
    assert repo.record_audit(event) is False
    with pytest.raises(DomainError):
        repo.record_audit(AuditEvent("x", AuditAction.READ, "patient", PATIENT.id, DISCHARGED, id=event.id))


def test_naive_datetimes_are_refused_with_the_field_name(repo: CacheRepository) -> None:
    with pytest.raises(DomainError, match="due_at"):
        repo.save_tasks([make_task(due_at=datetime(2025, 3, 1, 10, 0))])


def test_rollback_discards_everything_of_the_transaction(engine: Engine) -> None:
    with session_factory(engine)() as session:
        repo = CacheRepository(session)
        repo.save_ward(WARD)
        session.flush()
        session.rollback()
    with session_factory(engine)() as session:
        assert CacheRepository(session).get_ward("W1") is None


def bulk_rows(count: int) -> dict[str, list[dict[str, object]]]:
    """Parents plus ``count`` tasks as plain dicts, tasks without the columns that have defaults."""
    enrollment = mapping.enrollment_values(ENROLLMENT)
    tasks = []
    for i in range(count):
        values = mapping.task_values(make_task(i + 1, id=f"t{i:05d}"))
        for defaulted in ("attempts", "status_reason", "questionnaires_json", "script_code", "version"):
            del values[defaulted]
        tasks.append(values)
    return {
        "tasks": tasks,  # deliberately before its parents: bulk_insert orders by foreign keys
        "enrollments": [enrollment],
        "encounters": [mapping.encounter_values(ENCOUNTER)],
        "patients": [mapping.patient_values(PATIENT)],
        "wards": [mapping.ward_values(WARD)],
    }


def index_sql(session: Session) -> list[str]:
    return sorted(
        session.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index'")).scalars().all(), key=str
    )


@pytest.mark.parametrize("rebuild_threshold", [50_000, 10], ids=["indexes-kept", "indexes-rebuilt"])
def test_bulk_insert(session: Session, monkeypatch: pytest.MonkeyPatch, rebuild_threshold: int) -> None:
    monkeypatch.setattr(repository, "_REBUILD_MIN_ROWS", rebuild_threshold)
    indexes_before = index_sql(session)
    assert bulk_insert(session, bulk_rows(40)) == 44
    session.commit()

    assert index_sql(session) == indexes_before
    task = CacheRepository(session).get_task("t00007")
    assert task == make_task(8, id="t00007", questionnaires=(), script_code="")
    # The fast datetime path stores exactly the text the ORM would, so comparisons in SQL agree.
    due = session.execute(text("SELECT due_at FROM tasks WHERE id = 't00007'")).scalar_one()
    dialect = pysqlite.dialect()
    assert due == UtcDateTime().dialect_impl(dialect).bind_processor(dialect)(task.due_at)
    assert session.scalar(select(TaskRow.id).where(TaskRow.due_at == task.due_at)) == "t00007"
    assert session.execute(text("PRAGMA cache_size")).scalar_one() < 0  # put back after the load


def test_bulk_insert_rejects_unknown_tables_and_columns(session: Session) -> None:
    with pytest.raises(KeyError, match="nonsense"):
        bulk_insert(session, {"nonsense": [{"a": 1}]})
    with pytest.raises(KeyError, match="colour"):
        bulk_insert(session, {"wards": [{"code": "W9", "colour": "red"}]})
    naive = {**mapping.audit_values(AuditEvent("a", AuditAction.READ, "p", "1", DISCHARGED))}
    naive["at"] = datetime(2025, 3, 1, 10, 0)
    with pytest.raises(ValueError, match="naive"):
        bulk_insert(session, {"audit_events": [naive]})


def test_concurrent_read_then_write_units_of_work_queue_instead_of_failing(engine: Engine) -> None:
    # The GUI's database worker and the sync worker both read, then write: with deferred
    # transactions one of them fails with "database is locked"; write sessions begin IMMEDIATE.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sync_state VALUES ('counter', '0')"))
    make_session = session_factory(engine)
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        for _ in range(times):
            try:
                with make_session() as session:
                    value = int(session.execute(text("SELECT value FROM sync_state")).scalar_one())
                    session.execute(text("UPDATE sync_state SET value = :v"), {"v": str(value + 1)})
                    session.commit()
            except BaseException as exc:  # collected: a failure in a thread must fail the test
                errors.append(exc)

    workers = [threading.Thread(target=bump, args=(40,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM sync_state")).scalar_one() == "120"
