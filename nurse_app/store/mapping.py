"""Domain dataclasses ↔ cache rows.

``<entity>_values(obj)`` gives the column dict of a row (ready for
``Row(**values)`` or a Core executemany); ``<entity>_from_row(row)`` accepts an
ORM row or a Core ``Row`` with the same column names, so fast Core queries can
build domain objects too.

Conventions worth knowing:
* Calling hours are stored as "HH:MM" in the ward's zone; ``CallingHours.zone``
  is not stored separately and comes back as the ward's zone.
* A user's wards come back sorted (the link table has no order).
* JSON arrays in answers come back as tuples (answers are frozen dataclasses);
  dates and datetimes in answers survive the round trip, tagged in the JSON.
* ``response_answers`` gets one row per distinct ``link_id`` (the first answer
  of that item); ``answers_json`` keeps every answer and is what is read back.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from datetime import date, datetime, time
from typing import Any, TypeVar

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
    EnrollmentStatus,
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
    require_utc,
)

Values = dict[str, Any]
T = TypeVar("T")
PLAN_DEFINITION_SCHEMA = 1


def _json(value: object) -> str:
    # ensure_ascii=False: Chinese text stays readable and half the size.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _utc(moment: datetime | None, what: str) -> datetime | None:
    return None if moment is None else require_utc(moment, what)


def _aware(values: Values, *names: str) -> Values:
    """Check and normalise the datetime columns ``names``: aware in, UTC out (naive → DomainError)."""
    for name in names:
        values[name] = _utc(values[name], name)
    return values


def _fields_of(obj: Any, *skip: str) -> Values:
    """The dataclass fields of ``obj`` whose names are also its column names."""
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in skip}


def _build(cls: type[T], row: Any, **converted: Any) -> T:
    """``cls`` from the same-named columns of ``row``, with ``converted`` fields given explicitly."""
    plain = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in converted}  # type: ignore[arg-type]
    return cls(**plain, **converted)


def _known(cls: type[T], data: Mapping[str, Any], **converted: Any) -> T:
    """``cls`` from the keys of ``data`` it knows: newer servers may send fields this app ignores."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    plain = {k: v for k, v in data.items() if k in names and k not in converted}
    return cls(**plain, **converted)


def _hhmm(moment: time, what: str) -> str:
    if moment.second or moment.microsecond:
        raise DomainError(f"{what} must be whole minutes, got {moment.isoformat()}")
    return moment.strftime("%H:%M")


# --- Ward, User ---------------------------------------------------------------------------------


def ward_values(ward: Ward) -> Values:
    """Columns of ``wards``; calling hours as "HH:MM" (whole minutes) in the ward's zone."""
    values = _fields_of(ward, "calling_hours")
    values["calling_start"] = _hhmm(ward.calling_hours.start, "calling hours start")
    values["calling_end"] = _hhmm(ward.calling_hours.end, "calling hours end")
    return values


def ward_from_row(row: Any) -> Ward:
    """A Ward from a ``wards`` row."""
    hours = CallingHours(time.fromisoformat(row.calling_start), time.fromisoformat(row.calling_end), row.zone)
    return Ward(row.code, row.name, row.department, row.zone, hours)


def user_values(user: User) -> Values:
    """Columns of ``users``; the offline-login verifier columns are left out, so saving keeps them."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": Role(user.role).value,
        "active": user.active,
    }


def user_ward_values(user: User) -> list[Values]:
    """Rows of ``user_wards`` for the user's wards (duplicates dropped)."""
    return [{"username": user.username, "ward_code": code} for code in dict.fromkeys(user.wards)]


def user_from_row(row: Any, wards: Iterable[str]) -> User:
    """A User from a ``users`` row and the user's ward codes (returned sorted)."""
    return User(row.username, row.display_name, Role(row.role), tuple(sorted(wards)), bool(row.active))


# --- Patient, Encounter -------------------------------------------------------------------------


def phone_last4(phone: str) -> str:
    """Last four digits of a phone number, full-width digits included (IME input)."""
    digits = [ch for ch in unicodedata.normalize("NFKC", phone) if ch in "0123456789"]
    return "".join(digits[-4:])


def patient_values(patient: Patient) -> Values:
    """Columns of ``patients``, with ``phone_last4`` derived from the phone."""
    values = _fields_of(patient)
    values.update(sex=Sex(patient.sex).value, phone_last4=phone_last4(patient.phone))
    return values


def patient_from_row(row: Any) -> Patient:
    """A Patient from a ``patients`` row."""
    return _build(Patient, row, sex=Sex(row.sex))


def encounter_values(encounter: Encounter) -> Values:
    """Columns of ``encounters``: diagnoses and procedures as JSON, the primary ICD-10 code apart."""
    values = _fields_of(encounter, "diagnoses", "procedures")
    primary = encounter.primary_diagnosis
    values.update(
        primary_icd10=primary.icd10 if primary else "",
        diagnoses_json=_json([asdict(d) for d in encounter.diagnoses]),
        procedures_json=_json(list(encounter.procedures)),
    )
    return _aware(values, "admitted_at", "discharged_at")


def encounter_from_row(row: Any) -> Encounter:
    """An Encounter from an ``encounters`` row."""
    return _build(
        Encounter,
        row,
        diagnoses=tuple(_known(Diagnosis, d) for d in json.loads(row.diagnoses_json)),
        procedures=tuple(json.loads(row.procedures_json)),
    )


# --- Plan ---------------------------------------------------------------------------------------


def plan_definition(plan: Plan) -> dict[str, Any]:
    """The whole plan as JSON-ready data (also the shape plans arrive in by sync)."""
    # asdict recurses into steps, rules and retry; StrEnum members serialise as their value.
    return {"schema": PLAN_DEFINITION_SCHEMA, **asdict(plan)}


def plan_from_definition(data: Mapping[str, Any]) -> Plan:
    """A Plan from ``plan_definition`` data; optional parts may be absent (dataclass defaults)."""
    return _known(
        Plan,
        data,
        status=PublicationStatus(data["status"]),
        steps=tuple(
            _known(
                PlanStep,
                step,
                offset_unit=OffsetUnit(step["offset_unit"]),
                questionnaires=tuple(step.get("questionnaires", ())),
            )
            for step in data.get("steps", ())
        ),
        wards=tuple(data.get("wards", ())),
        departments=tuple(data.get("departments", ())),
        inclusion_rules=tuple(_known(InclusionRule, rule) for rule in data.get("inclusion_rules", ())),
        retry=_known(RetryPolicy, data.get("retry") or {}),
    )


def plan_values(plan: Plan) -> Values:
    """Columns of ``plans``: the whole plan in ``definition_json`` (see ``plan_definition``)."""
    return {
        "code": plan.code,
        "version": plan.version,
        "name": plan.name,
        "status": PublicationStatus(plan.status).value,
        "definition_json": _json(plan_definition(plan)),
    }


def plan_from_row(row: Any) -> Plan:
    """A Plan from a ``plans`` row; the status column wins over the definition's."""
    data = dict(json.loads(row.definition_json))
    # The columns win: a hot-config status change (published → retired) updates the column.
    data.update(code=row.code, version=row.version, name=row.name, status=row.status)
    return plan_from_definition(data)


# --- Enrollment, FollowUpTask, CallAttempt ------------------------------------------------------


def enrollment_values(enrollment: Enrollment) -> Values:
    """Columns of ``enrollments``."""
    values = _fields_of(enrollment)
    values.update(
        source=EnrollmentSource(enrollment.source).value, status=EnrollmentStatus(enrollment.status).value
    )
    return _aware(values, "enrolled_at")


def enrollment_from_row(row: Any) -> Enrollment:
    """An Enrollment from an ``enrollments`` row."""
    return _build(Enrollment, row, source=EnrollmentSource(row.source), status=EnrollmentStatus(row.status))


def task_values(task: FollowUpTask) -> Values:
    """Columns of ``tasks``; the step's questionnaire codes as JSON."""
    values = _fields_of(task, "questionnaires")
    values.update(
        status=TaskStatus(task.status).value,
        finished_by=None if task.finished_by is None else CallOutcome(task.finished_by).value,
        questionnaires_json=_json(list(task.questionnaires)),
    )
    return _aware(values, "due_at", "window_end", "next_attempt_at", "completed_at")


def task_from_row(row: Any) -> FollowUpTask:
    """A FollowUpTask from a ``tasks`` row."""
    return _build(
        FollowUpTask,
        row,
        status=TaskStatus(row.status),
        finished_by=None if row.finished_by is None else CallOutcome(row.finished_by),
        questionnaires=tuple(json.loads(row.questionnaires_json)),
    )


def attempt_values(attempt: CallAttempt) -> Values:
    """Columns of ``call_attempts``."""
    values = _fields_of(attempt)
    values["outcome"] = CallOutcome(attempt.outcome).value
    return _aware(values, "started_at", "ended_at")


def attempt_from_row(row: Any) -> CallAttempt:
    """A CallAttempt from a ``call_attempts`` row."""
    return _build(CallAttempt, row, outcome=CallOutcome(row.outcome))


# --- Response (answers), Alert, AuditEvent ------------------------------------------------------

_TAGGED = {"$datetime": datetime.fromisoformat, "$date": date.fromisoformat, "$time": time.fromisoformat}


def _encode_answer_value(value: object, link_id: str) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode_answer_value(item, link_id) for item in value]
    if isinstance(value, dict):
        return {str(k): _encode_answer_value(v, link_id) for k, v in value.items()}
    raise DomainError(f"answer '{link_id}' has a value of type {type(value).__name__} that cannot be stored")


def _decode_answer_value(value: object) -> object:
    if isinstance(value, list):
        return tuple(_decode_answer_value(item) for item in value)
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag in _TAGGED and isinstance(text, str):
                return _TAGGED[tag](text)
        return {k: _decode_answer_value(v) for k, v in value.items()}
    return value


def response_values(response: Response) -> Values:
    """Columns of ``responses``: every answer in ``answers_json`` (dates and datetimes tagged)."""
    answers = [
        {
            "link_id": a.link_id,
            "value": _encode_answer_value(a.value, a.link_id),
            "ordinal": a.ordinal,
            "is_satisfaction": a.is_satisfaction,
        }
        for a in response.answers
    ]
    values = _fields_of(response, "answers")
    values["answers_json"] = _json(answers)
    return _aware(values, "submitted_at")


def response_answer_values(response: Response) -> list[Values]:
    """One ``response_answers`` row per distinct link_id (the first answer of it)."""
    rows: dict[str, Values] = {}
    for a in response.answers:
        row = {"response_id": response.id, "link_id": a.link_id, "ordinal": a.ordinal}
        rows.setdefault(a.link_id, {**row, "is_satisfaction": a.is_satisfaction})
    return list(rows.values())


def response_from_row(row: Any) -> Response:
    """A Response from a ``responses`` row (answers read from ``answers_json``)."""
    answers = tuple(
        _known(
            Answer,
            a,
            value=_decode_answer_value(a.get("value")),
            is_satisfaction=bool(a.get("is_satisfaction")),
        )
        for a in json.loads(row.answers_json)
    )
    return _build(Response, row, answers=answers)


def alert_values(alert: Alert) -> Values:
    """Columns of ``alerts``."""
    values = _fields_of(alert)
    values.update(severity=AlertSeverity(alert.severity).value, status=AlertStatus(alert.status).value)
    return _aware(values, "raised_at", "acknowledged_at", "escalated_at")


def alert_from_row(row: Any) -> Alert:
    """An Alert from an ``alerts`` row."""
    return _build(Alert, row, severity=AlertSeverity(row.severity), status=AlertStatus(row.status))


def audit_values(event: AuditEvent) -> Values:
    """Columns of ``audit_events``."""
    values = _fields_of(event)
    values["action"] = AuditAction(event.action).value
    return _aware(values, "at")


def audit_from_row(row: Any) -> AuditEvent:
    """An AuditEvent from an ``audit_events`` row."""
    return _build(AuditEvent, row, action=AuditAction(row.action))
