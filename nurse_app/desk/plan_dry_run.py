"""Dry run of a plan: which recent discharges in the local cache would it enroll, and why.

Pure reading of the cache plus the domain matcher (``nurse_app.domain.enrollment``);
no Qt, no network. The plan editor calls :func:`dry_run` in the database worker.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from nurse_app.domain.enrollment import Decision, DischargeFacts, match_plan
from nurse_app.domain.model import Plan
from nurse_app.store.engine import session_factory
from nurse_app.store.mapping import encounter_from_row, patient_from_row
from nurse_app.store.models import EncounterRow, PatientRow, WardRow

DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class DryRunRow:
    """One discharge the plan would enroll or send to review, with its explanation."""

    patient: str  # masked name
    mrn: str
    ward_code: str
    discharged_at: datetime
    diagnosis: str  # primary ICD-10 code and description
    score: float
    decision: Decision
    tags: tuple[str, ...]  # the contributing rules, e.g. "icd10_prefix=I50 +1.5 (diagnosis I509)"
    explanation: str


@dataclass(frozen=True, slots=True)
class DryRunReport:
    since: datetime
    until: datetime
    discharges: int  # how many discharges were looked at
    rows: tuple[DryRunRow, ...]

    @property
    def enrolled(self) -> int:
        return sum(1 for r in self.rows if r.decision is Decision.ENROLL)

    @property
    def candidates(self) -> int:
        return sum(1 for r in self.rows if r.decision is Decision.CANDIDATE)


def mask_name(name: str) -> str:
    """'王小芳' → '王*芳', '李娜' → '李*': first and last character kept."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def dry_run(
    engine: Engine, plan: Plan, *, now: datetime, days: int = DEFAULT_DAYS, limit: int = 5000
) -> DryRunReport:
    """Match ``plan`` against every discharge of the last ``days`` days before ``now``.

    Returns the discharges it would enroll or hold for review (enrolled first, then by
    score), each with the rules that contributed to its score.
    """
    since, until = now - timedelta(days=days), now
    with session_factory(engine)() as session:
        departments = dict(session.execute(select(WardRow.code, WardRow.department)).all())
        pairs = session.execute(
            select(EncounterRow, PatientRow)
            .join(PatientRow, PatientRow.id == EncounterRow.patient_id)
            .where(EncounterRow.discharged_at >= since, EncounterRow.discharged_at < until)
            .order_by(EncounterRow.discharged_at.desc())
            .limit(limit)
        ).all()
        patient_ids = {patient.id for _, patient in pairs}
        previous: dict[str, list[datetime]] = defaultdict(list)
        if patient_ids:
            for patient_id, discharged in session.execute(
                select(EncounterRow.patient_id, EncounterRow.discharged_at).where(
                    EncounterRow.patient_id.in_(patient_ids), EncounterRow.discharged_at.is_not(None)
                )
            ):
                previous[patient_id].append(discharged)
        facts = [
            DischargeFacts(
                patient_from_row(patient_row),
                encounter_from_row(encounter_row),
                departments.get(encounter_row.ward_code, ""),
                tuple(d for d in previous[patient_row.id] if d < encounter_row.admitted_at),
            )
            for encounter_row, patient_row in pairs
        ]
    rows = []
    for fact in facts:
        result = match_plan(plan, fact)
        if result.decision is Decision.NONE:
            continue
        primary = fact.encounter.primary_diagnosis
        rows.append(
            DryRunRow(
                patient=mask_name(fact.patient.name),
                mrn=fact.patient.mrn,
                ward_code=fact.encounter.ward_code,
                discharged_at=fact.encounter.discharged_at or fact.encounter.admitted_at,
                diagnosis=f"{primary.icd10} {primary.description}".strip() if primary else "",
                score=result.score,
                decision=result.decision,
                tags=tuple(
                    f"{c.kind}={c.value} +{c.weight:g} ({c.evidence})"
                    for c in result.contributions
                    if c.matched
                ),
                explanation=result.explain(),
            )
        )
    rows.sort(key=lambda r: (r.decision is not Decision.ENROLL, -r.score, r.discharged_at))
    return DryRunReport(since, until, len(facts), tuple(rows))
