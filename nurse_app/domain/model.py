"""The follow-up vocabulary of DESIGN.md as plain dataclasses and enums.

No Qt, no HTTP, no SQL: the desktop, the central service and the tests all
speak these types. Ids are UUID strings made where a record is born; every
datetime is timezone-aware UTC (shown in the ward's zone by the UI).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from enum import StrEnum

DEFAULT_ZONE = "Asia/Shanghai"


def new_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def require_utc(moment: datetime, what: str) -> datetime:
    """Reject naive datetimes: a naive time on a ward PC is ambiguous by 8 hours."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        from nurse_app.domain.errors import DomainError

        raise DomainError(f"{what} must be a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


class Role(StrEnum):
    NURSE = "nurse"
    WARD_MANAGER = "ward_manager"
    ADMIN = "admin"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"  # patient readmitted: on hold until discharged again
    COMPLETED = "completed"
    MISSED = "missed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return self in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


TERMINAL_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.MISSED, TaskStatus.CANCELLED})


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    CALL_BACK = "call_back"  # patient asked to be called at another time
    REFUSED = "refused"
    DECEASED = "deceased"
    READMITTED = "readmitted"

    @classmethod
    def parse(cls, code: str) -> CallOutcome:
        try:
            return cls(code)
        except ValueError:
            from nurse_app.domain.errors import UnknownOutcome

            known = ", ".join(o.value for o in cls)
            raise UnknownOutcome(f"unknown call outcome '{code}'; expected one of: {known}") from None

    @property
    def is_retryable(self) -> bool:
        """Outcomes after which the patient is called again under the plan's retry policy."""
        return self in RETRYABLE_OUTCOMES

    @property
    def finishes_task(self) -> bool:
        """Outcomes that complete a task by themselves (DESIGN: refused/deceased/readmitted recorded)."""
        return self in (CallOutcome.REFUSED, CallOutcome.DECEASED, CallOutcome.READMITTED)


RETRYABLE_OUTCOMES = frozenset(
    {CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.WRONG_NUMBER, CallOutcome.CALL_BACK}
)


class EnrollmentSource(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class OffsetUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class AlertSeverity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class AuditAction(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    REVEAL = "reveal"  # a masked identifier (phone, national ID) was shown
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Daily window in the ward's local zone in which patients may be phoned."""

    start: time = time(8, 30)
    end: time = time(20, 0)
    zone: str = DEFAULT_ZONE


@dataclass(slots=True)
class Ward:
    code: str
    name: str
    department: str
    zone: str = DEFAULT_ZONE
    calling_hours: CallingHours = field(default_factory=CallingHours)


@dataclass(slots=True)
class User:
    username: str
    display_name: str
    role: Role
    wards: tuple[str, ...] = ()
    active: bool = True

    def may_see_ward(self, ward_code: str) -> bool:
        return self.role is Role.ADMIN or ward_code in self.wards


@dataclass(slots=True)
class Patient:
    mrn: str
    name: str
    sex: Sex
    birth_date: date
    phone: str = ""
    national_id: str = ""
    id: str = field(default_factory=new_id)
    version: int = 1

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@dataclass(frozen=True, slots=True)
class Diagnosis:
    icd10: str
    description: str
    primary: bool = False


@dataclass(slots=True)
class Encounter:
    patient_id: str
    ward_code: str
    admitted_at: datetime
    discharged_at: datetime | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    procedures: tuple[str, ...] = ()
    attending_doctor: str = ""
    discharge_summary: str = ""
    id: str = field(default_factory=new_id)

    @property
    def primary_diagnosis(self) -> Diagnosis | None:
        for diagnosis in self.diagnoses:
            if diagnosis.primary:
                return diagnosis
        return self.diagnoses[0] if self.diagnoses else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How unreachable patients are called again: every ``interval_hours``, at most ``max_attempts`` calls."""

    max_attempts: int = 3
    interval_hours: float = 4.0


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One follow-up contact of a plan, timed from discharge."""

    step_no: int
    name: str
    offset: int
    offset_unit: OffsetUnit
    window_hours: float
    questionnaires: tuple[str, ...] = ()
    script_code: str = ""


@dataclass(frozen=True, slots=True)
class InclusionRule:
    """A weighted tag of a plan's enrollment profile (ICD-10 prefix, procedure, age band, ward)."""

    kind: str  # icd10_prefix | procedure | age_min | age_max | ward
    value: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    code: str
    version: int
    name: str
    status: PublicationStatus
    steps: tuple[PlanStep, ...]
    wards: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    inclusion_rules: tuple[InclusionRule, ...] = ()
    enrollment_threshold: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class Enrollment:
    patient_id: str
    encounter_id: str
    plan_code: str
    plan_version: int
    source: EnrollmentSource = EnrollmentSource.AUTO
    match_score: float = 0.0
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    enrolled_at: datetime = field(default_factory=utc_now)
    id: str = field(default_factory=new_id)


@dataclass(slots=True)
class FollowUpTask:
    """One step of an enrollment. Status changes go through ``nurse_app.domain.tasks``."""

    enrollment_id: str
    patient_id: str
    encounter_id: str
    ward_code: str
    plan_code: str
    plan_version: int
    step_no: int
    due_at: datetime
    window_end: datetime
    assignee: str | None = None
    status: TaskStatus = TaskStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    completed_at: datetime | None = None
    finished_by: CallOutcome | None = None
    status_reason: str = ""
    questionnaires: tuple[str, ...] = ()
    script_code: str = ""
    id: str = field(default_factory=new_id)
    version: int = 1

    def completed_on_time(self) -> bool:
        return (
            self.status is TaskStatus.COMPLETED
            and self.completed_at is not None
            and self.completed_at <= self.window_end
        )


@dataclass(frozen=True, slots=True)
class CallAttempt:
    """One phone call. Append-only: never edited once recorded."""

    task_id: str
    nurse: str
    started_at: datetime
    ended_at: datetime | None
    outcome: CallOutcome
    note: str = ""
    id: str = field(default_factory=new_id)

    @property
    def duration_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Answer:
    """One answered item. ``ordinal`` is the scored value of a choice; satisfaction answers carry 1–5."""

    link_id: str
    value: object
    ordinal: float | None = None
    is_satisfaction: bool = False


SATISFIED_ORDINAL = 4  # on the 5-point survey, 4 = "satisfied", 5 = "very satisfied"


@dataclass(frozen=True, slots=True)
class Response:
    """A filled scale (QuestionnaireResponse). Append-only; a correction supersedes the old one."""

    task_id: str
    questionnaire_code: str
    questionnaire_version: int
    answers: tuple[Answer, ...]
    submitted_by: str
    submitted_at: datetime
    score: float | None = None
    supersedes: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(slots=True)
class Alert:
    response_id: str
    task_id: str
    patient_id: str
    ward_code: str
    rule_code: str
    severity: AlertSeverity
    message: str
    raised_at: datetime
    status: AlertStatus = AlertStatus.OPEN
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    actor: str
    action: AuditAction
    entity: str
    entity_id: str
    at: datetime
    device: str = ""
    detail: str = ""
    id: str = field(default_factory=new_id)
