"""Smart enrollment: tags from a discharge, a plan's weighted rules, an explained score.

Pure functions over domain dataclasses, shared by the central service (which
enrolls at discharge) and any desk that wants to show why a patient is on a
plan. A plan's ``inclusion_rules`` are weighted tags; the score is the sum of
the weights of the rules the encounter satisfies (each rule counts once, and
weights are never negative, so the score only grows as more rules match).

- score ≥ ``plan.enrollment_threshold`` → enrolled automatically;
- lower bound (default half the threshold) ≤ score < threshold → a candidate
  for the ward's review queue;
- below, or excluded, or outside the plan's wards/departments → nothing.

Rule kinds: ``icd10_prefix``, ``procedure``, ``ward``, ``age_min`` and
``age_max`` (the original ones; ``'*'`` = any for procedure and ward), and
``department``, ``chronic`` (group name or ``'*'``), ``readmission`` (days,
e.g. ``'30'``), ``los_min`` / ``los_max`` (length of stay in days),
``age_band``, ``tag`` (any derived tag) and ``exclude`` (a tag or flag that
keeps the patient off the plan). Unknown kinds never match, so a plan written
for a newer service does not enroll on a guess.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from nurse_app.domain.model import Encounter, Patient, Plan

# The discharge facts that keep a patient off every plan: nobody phones them.
EXCLUSION_FLAGS = ("deceased", "against_advice", "transferred_out", "refused_followup", "no_phone")
DEFAULT_LOWER_RATIO = 0.5
READMISSION_DAYS = 30

# Chronic conditions by ICD-10 group (code prefixes without the dot).
CHRONIC_GROUPS: dict[str, tuple[str, ...]] = {
    "hypertension": ("I10", "I11", "I12", "I13", "I15"),
    "coronary_heart_disease": ("I20", "I21", "I22", "I23", "I24", "I25"),
    "heart_failure": ("I50",),
    "atrial_fibrillation": ("I48",),
    "cerebrovascular": ("I60", "I61", "I62", "I63", "I64", "I65", "I66", "I67", "I69", "G45"),
    "diabetes": ("E10", "E11", "E12", "E13", "E14"),
    "copd": ("J43", "J44"),
    "asthma": ("J45",),
    "chronic_kidney_disease": ("N18",),
    "cancer": tuple(f"C{n:02d}" for n in range(0, 98)),
    "parkinson": ("G20",),
    "epilepsy": ("G40",),
}

_AGE_BANDS = ((0, 17, "0-17"), (18, 44, "18-44"), (45, 64, "45-64"), (65, 79, "65-79"), (80, 200, "80+"))
_LOS_BANDS = ((0, 3, "0-3"), (4, 7, "4-7"), (8, 14, "8-14"), (15, 100_000, "15+"))


class Decision(StrEnum):
    ENROLL = "enroll"
    CANDIDATE = "candidate"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class DischargeFacts:
    """Everything matching needs about one discharge, gathered by the caller."""

    patient: Patient
    encounter: Encounter
    department: str = ""
    # Discharge times of the patient's earlier encounters (readmission check).
    previous_discharges: tuple[datetime, ...] = ()
    flags: frozenset[str] = frozenset()  # subset of EXCLUSION_FLAGS (no_phone is derived too)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One rule and what it added to the score (0 when it did not match)."""

    kind: str
    value: str
    weight: float
    matched: bool
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class MatchResult:
    plan_code: str
    plan_version: int
    score: float
    threshold: float
    lower_bound: float
    decision: Decision
    contributions: tuple[Contribution, ...] = ()
    excluded_by: tuple[str, ...] = ()
    reason: str = ""

    def explain(self) -> str:
        """One line a ward manager can read: which tags contributed what."""
        parts = [f"{c.kind}={c.value} +{c.weight:g} ({c.evidence})" for c in self.contributions if c.matched]
        head = f"{self.plan_code} v{self.plan_version}: score {self.score:g} / threshold {self.threshold:g}"
        if self.reason:
            head += f" — {self.reason}"
        return head + (": " + "; ".join(parts) if parts else "")

    def to_dict(self) -> dict[str, object]:
        return {
            "plan_code": self.plan_code,
            "plan_version": self.plan_version,
            "score": self.score,
            "threshold": self.threshold,
            "lower_bound": self.lower_bound,
            "decision": self.decision.value,
            "excluded_by": list(self.excluded_by),
            "reason": self.reason,
            "contributions": [
                {"kind": c.kind, "value": c.value, "weight": c.weight, "evidence": c.evidence}
                for c in self.contributions
                if c.matched
            ],
        }


@dataclass(frozen=True, slots=True)
class Tags:
    """The derived tags of one discharge, plus the numbers rules compare against."""

    tags: frozenset[str]
    icd10: tuple[str, ...]
    procedures: tuple[str, ...]
    age: int | None
    los_days: int | None
    flags: frozenset[str] = field(default_factory=frozenset)
    # The value behind each wildcard rule, for its explanation: kind → first matching tag.
    wildcard: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def normalise_icd10(code: str) -> str:
    """Upper case, no dot or spaces: 'i50.9 ' → 'I509' (prefixes compare on this form)."""
    return code.strip().upper().replace(".", "").replace(" ", "")


def chronic_groups(codes: Iterable[str]) -> frozenset[str]:
    """The chronic-condition groups named by these ICD-10 codes."""
    found = set()
    for code in codes:
        norm = normalise_icd10(code)
        for group, prefixes in CHRONIC_GROUPS.items():
            if norm.startswith(prefixes):
                found.add(group)
    return frozenset(found)


def _band(value: int, bands: Sequence[tuple[int, int, str]]) -> str:
    for low, high, label in bands:
        if low <= value <= high:
            return label
    return bands[-1][2]


def _is_readmission(encounter: Encounter, previous: Iterable[datetime]) -> bool:
    window = timedelta(days=READMISSION_DAYS)
    return any(
        earlier < encounter.admitted_at and encounter.admitted_at - earlier <= window for earlier in previous
    )


def derive_tags(facts: DischargeFacts) -> Tags:
    """Tags of a discharge: ICD-10 at 1/3/full length, procedures, ward, department, age band,
    length of stay, 30-day readmission, chronic groups and the exclusion flags."""
    encounter, patient = facts.encounter, facts.patient
    codes = tuple(normalise_icd10(d.icd10) for d in encounter.diagnoses if d.icd10.strip())
    tags: set[str] = set()
    for code in codes:
        tags.update({f"icd10:{code[:1]}", f"icd10:{code[:3]}", f"icd10:{code}"})
    procedures = tuple(p.strip() for p in encounter.procedures if p.strip())
    tags.update(f"procedure:{p}" for p in procedures)
    if procedures:
        tags.add("procedure:*")
    tags.update({f"ward:{encounter.ward_code}", "ward:*"})
    if facts.department:
        tags.update({f"department:{facts.department}", "department:*"})
    on = (encounter.discharged_at or encounter.admitted_at).date()
    age = patient.age_on(on) if isinstance(patient.birth_date, date) else None
    if age is not None and age >= 0:
        tags.update({f"age_band:{_band(age, _AGE_BANDS)}", "age_band:*"})
    else:
        age = None
    los = None
    if encounter.discharged_at is not None:
        los = max(0, (encounter.discharged_at.date() - encounter.admitted_at.date()).days)
        tags.add(f"los:{_band(los, _LOS_BANDS)}")
    if _is_readmission(encounter, facts.previous_discharges):
        tags.add(f"readmission:{READMISSION_DAYS}")
    groups = chronic_groups(codes)
    tags.update(f"chronic:{g}" for g in groups)
    if groups:
        tags.add("chronic:*")
    if len(groups) >= 2:
        tags.add("multimorbidity")
    flags = set(facts.flags) & set(EXCLUSION_FLAGS)
    if not _reachable(patient.phone):
        flags.add("no_phone")
    tags.update(f"flag:{f}" for f in flags)
    wildcard = {}
    for tag in sorted(tags):
        kind, _, value = tag.partition(":")
        if value and value != "*":
            wildcard.setdefault(kind, tag)
    return Tags(frozenset(tags), codes, procedures, age, los, frozenset(flags), wildcard)


def _reachable(phone: str) -> bool:
    digits = [c for c in phone if c.isdigit()]
    return len(digits) >= 7  # a landline without area code has 7–8 digits


def _number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def rule_matches(kind: str, value: str, tags: Tags) -> str | None:
    """The evidence (a short text) when rule (kind, value) holds for ``tags``, else None."""
    value = value.strip()
    if kind == "icd10_prefix":
        prefix = normalise_icd10(value)
        hit = next((c for c in tags.icd10 if prefix and c.startswith(prefix)), None)
        return f"diagnosis {hit}" if hit else None
    if kind == "procedure":
        if value == "*":
            return f"procedure {tags.procedures[0]}" if tags.procedures else None
        hit = next((p for p in tags.procedures if value and (p == value or value in p)), None)
        return f"procedure {hit}" if hit else None
    if kind in ("ward", "department", "chronic", "age_band"):
        if value == "*":
            return tags.wildcard.get(kind) if f"{kind}:*" in tags.tags else None
        return f"{kind}:{value}" if f"{kind}:{value}" in tags.tags else None
    if kind == "readmission":
        return (
            f"readmitted within {READMISSION_DAYS} days"
            if f"readmission:{READMISSION_DAYS}" in tags.tags
            else None
        )
    if kind in ("age_min", "age_max", "los_min", "los_max"):
        limit = _number(value)
        actual = tags.age if kind.startswith("age") else tags.los_days
        if limit is None or actual is None:
            return None
        ok = actual >= limit if kind.endswith("_min") else actual <= limit
        return f"{kind[:3]} {actual}" if ok else None
    if kind == "tag":
        return value if value in tags.tags else None
    return None


def _excluded(plan: Plan, tags: Tags) -> tuple[str, ...]:
    hits = [f for f in EXCLUSION_FLAGS if f in tags.flags]
    for rule in plan.inclusion_rules:
        if rule.kind == "exclude":
            value = rule.value.strip()
            if value in tags.flags or value in tags.tags or f"flag:{value}" in tags.tags:
                hits.append(value)
    return tuple(dict.fromkeys(hits))


def _out_of_scope(plan: Plan, ward_code: str, department: str) -> str:
    if plan.wards and ward_code not in plan.wards:
        return f"ward {ward_code} is not in the plan's wards"
    if plan.departments and department not in plan.departments:
        return f"department {department or '(unknown)'} is not in the plan's departments"
    return ""


def match_plan(
    plan: Plan, facts: DischargeFacts, *, tags: Tags | None = None, lower_ratio: float = DEFAULT_LOWER_RATIO
) -> MatchResult:
    """Score one plan against one discharge and decide: enroll, candidate or nothing."""
    tags = tags or derive_tags(facts)
    threshold = float(plan.enrollment_threshold)
    lower = threshold * lower_ratio

    def result(score: float, decision: Decision, contributions=(), excluded=(), reason="") -> MatchResult:
        return MatchResult(
            plan.code, plan.version, score, threshold, lower, decision, tuple(contributions), excluded, reason
        )

    scope = _out_of_scope(plan, facts.encounter.ward_code, facts.department)
    if scope:
        return result(0.0, Decision.NONE, reason=scope)
    contributions = []
    for rule in plan.inclusion_rules:
        if rule.kind == "exclude":
            continue
        weight = max(0.0, float(rule.weight))  # a negative weight would break "more matches, more score"
        evidence = rule_matches(rule.kind, rule.value, tags)
        contributions.append(
            Contribution(rule.kind, rule.value, weight, evidence is not None, evidence or "")
        )
    score = round(sum(c.weight for c in contributions if c.matched), 6)
    excluded = _excluded(plan, tags)
    if excluded:
        return result(score, Decision.NONE, contributions, excluded, "excluded: " + ", ".join(excluded))
    if score >= threshold:
        return result(score, Decision.ENROLL, contributions)
    if score >= lower and score > 0:
        return result(score, Decision.CANDIDATE, contributions, reason="below threshold: needs review")
    return result(score, Decision.NONE, contributions, reason="below the review bound")


def is_fallback(plan: Plan) -> bool:
    """A catch-all plan: no ward/department scope and only wildcard rules (e.g. 出院通用随访)."""
    rules = [r for r in plan.inclusion_rules if r.kind != "exclude"]
    return (
        not plan.wards and not plan.departments and bool(rules) and all(r.value.strip() == "*" for r in rules)
    )


def match_plans(
    plans: Iterable[Plan], facts: DischargeFacts, *, lower_ratio: float = DEFAULT_LOWER_RATIO
) -> list[MatchResult]:
    """Match every plan (tags derived once); results in plan order, decisions included.

    A fallback plan enrolls only when no specific plan does: a heart-failure patient gets the
    heart-failure plan, not that and the general one (two calls on discharge day).
    """
    plans = list(plans)
    tags = derive_tags(facts)
    results = [match_plan(plan, facts, tags=tags, lower_ratio=lower_ratio) for plan in plans]
    specific = any(
        r.decision is Decision.ENROLL and not is_fallback(p) for p, r in zip(plans, results, strict=True)
    )
    if not specific:
        return results
    return [
        dataclasses.replace(
            r, decision=Decision.NONE, reason="fallback plan: a specific plan enrolls this discharge"
        )
        if is_fallback(p) and r.decision is not Decision.NONE
        else r
        for p, r in zip(plans, results, strict=True)
    ]


def _index_key(kind: str, value: str) -> str | None:
    """The tag whose presence alone decides rule (kind, value), or None (checked rule by rule)."""
    value = value.strip()
    if kind == "icd10_prefix":
        prefix = normalise_icd10(value)
        return f"icd10:{prefix}" if len(prefix) in (1, 3) else None
    if kind == "procedure":
        return "procedure:*" if value == "*" else None
    if kind in ("ward", "department", "chronic", "age_band"):
        return f"{kind}:{value}"
    if kind == "readmission":
        return f"readmission:{READMISSION_DAYS}"
    if kind == "tag":
        return value
    return None


def _predicate(kind: str, value: str) -> Callable[[Tags], bool]:
    """A fast test for a rule no single tag decides (numbers compare without re-parsing)."""
    limit = _number(value)
    if kind in ("age_min", "age_max", "los_min", "los_max") and limit is not None:
        minimum = kind.endswith("_min")
        if kind.startswith("age"):
            return lambda t: t.age is not None and (t.age >= limit if minimum else t.age <= limit)
        return lambda t: t.los_days is not None and (t.los_days >= limit if minimum else t.los_days <= limit)
    return lambda t: rule_matches(kind, value, t) is not None


class PlanMatcher:
    """Many discharges against one set of plans (the bulk path of ``match_plans``).

    Rules that a single tag decides are indexed by that tag, so a discharge only
    touches the plans its tags can score; the full explained ``match_plan`` runs
    only for plans that reach the review bound. Results equal ``match_plans``'
    enroll/candidate results.
    """

    def __init__(self, plans: Iterable[Plan], *, lower_ratio: float = DEFAULT_LOWER_RATIO) -> None:
        self.plans = list(plans)
        self.lower_ratio = lower_ratio
        self._index: dict[str, list[tuple[int, float]]] = {}
        self._residual: list[tuple[int, Callable[[Tags], bool], float]] = []
        for number, plan in enumerate(self.plans):
            for rule in plan.inclusion_rules:
                if rule.kind == "exclude":
                    continue
                weight = max(0.0, float(rule.weight))
                key = _index_key(rule.kind, rule.value)
                if key is None:
                    self._residual.append((number, _predicate(rule.kind, rule.value), weight))
                else:
                    self._index.setdefault(key, []).append((number, weight))

    def match(self, facts: DischargeFacts) -> list[MatchResult]:
        """The plans this discharge enrolls in or is a candidate for, in plan order."""
        tags = derive_tags(facts)
        scores: dict[int, float] = {}
        for tag in tags.tags:
            for number, weight in self._index.get(tag, ()):
                scores[number] = scores.get(number, 0.0) + weight
        for number, holds, weight in self._residual:
            if holds(tags):
                scores[number] = scores.get(number, 0.0) + weight
        decided = []
        for number in sorted(scores):
            plan = self.plans[number]
            if (
                scores[number] <= 0
                or scores[number] < float(plan.enrollment_threshold) * self.lower_ratio - 1e-9
            ):
                continue
            result = match_plan(plan, facts, tags=tags, lower_ratio=self.lower_ratio)
            if result.decision is not Decision.NONE:
                decided.append((plan, result))
        if any(r.decision is Decision.ENROLL and not is_fallback(p) for p, r in decided):
            decided = [(p, r) for p, r in decided if not is_fallback(p)]
        return [r for _, r in decided]
