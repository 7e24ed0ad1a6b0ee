"""Pure matching: tags, weighted rules, exclusions, thresholds, explanations, monotone score."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from nurse_app.demo.catalog import DEMO_PLANS, PLANS_BY_CODE
from nurse_app.domain.enrollment import (
    Decision,
    DischargeFacts,
    PlanMatcher,
    derive_tags,
    match_plan,
    match_plans,
)
from nurse_app.domain.model import (
    Diagnosis,
    Encounter,
    InclusionRule,
    OffsetUnit,
    Patient,
    Plan,
    PlanStep,
    PublicationStatus,
    Sex,
)

DISCHARGE = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)


def _facts(codes=("I50.9",), procedures=(), ward="CARD1", department="心内科", phone="13912345678", **extra):
    patient = Patient("ZY1", "张三", Sex.MALE, date(1950, 3, 1), phone=phone)
    encounter = Encounter(
        patient.id,
        ward,
        DISCHARGE - timedelta(days=6),
        DISCHARGE,
        tuple(Diagnosis(code, "", i == 0) for i, code in enumerate(codes)),
        tuple(procedures),
    )
    return DischargeFacts(patient, encounter, department, **extra)


def _plan(*rules, threshold=2.0, **scope):
    step = PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24)
    return Plan(
        "T",
        1,
        "test",
        PublicationStatus.PUBLISHED,
        (step,),
        inclusion_rules=tuple(rules),
        enrollment_threshold=threshold,
        **scope,
    )


def test_tags_cover_codes_procedures_ward_age_stay_readmission_and_chronic_groups():
    facts = _facts(
        codes=("I50.9", "E11.6"),
        procedures=("冠状动脉造影",),
        previous_discharges=(DISCHARGE - timedelta(days=20),),
    )
    tags = derive_tags(facts).tags
    assert {"icd10:I", "icd10:I50", "icd10:I509", "icd10:E11"} <= tags
    assert {"procedure:冠状动脉造影", "procedure:*", "ward:CARD1", "department:心内科"} <= tags
    assert {"age_band:65-79", "los:4-7", "readmission:30"} <= tags
    assert {"chronic:heart_failure", "chronic:diabetes", "multimorbidity"} <= tags


def test_score_explains_each_contribution_and_decides_by_threshold():
    plan = _plan(
        InclusionRule("icd10_prefix", "I50", 1.5),
        InclusionRule("age_min", "65", 0.5),
        InclusionRule("procedure", "*", 1.0),
        threshold=2.0,
    )
    result = match_plan(plan, _facts())
    assert result.score == 2.0 and result.decision is Decision.ENROLL
    assert [(c.kind, c.weight) for c in result.contributions if c.matched] == [
        ("icd10_prefix", 1.5),
        ("age_min", 0.5),
    ]
    assert "icd10_prefix=I50 +1.5 (diagnosis I509)" in result.explain()
    candidate = match_plan(_plan(InclusionRule("icd10_prefix", "I50", 1.5), threshold=2.0), _facts())
    assert candidate.decision is Decision.CANDIDATE and candidate.lower_bound == 1.0
    nothing = match_plan(_plan(InclusionRule("icd10_prefix", "I50", 0.5), threshold=2.0), _facts())
    assert nothing.decision is Decision.NONE


def test_exclusions_keep_a_patient_off_every_plan():
    plan = _plan(InclusionRule("icd10_prefix", "I", 5.0), InclusionRule("exclude", "chronic:cancer"))
    for flags, phone, expected in (
        (frozenset({"deceased"}), "13912345678", "deceased"),
        (frozenset({"against_advice"}), "13912345678", "against_advice"),
        (frozenset({"transferred_out"}), "13912345678", "transferred_out"),
        (frozenset({"refused_followup"}), "13912345678", "refused_followup"),
        (frozenset(), "", "no_phone"),
    ):
        result = match_plan(plan, _facts(phone=phone, flags=flags))
        assert result.decision is Decision.NONE and expected in result.excluded_by, expected
    cancer = match_plan(plan, _facts(codes=("I50.9", "C34.9")))
    assert cancer.decision is Decision.NONE and cancer.excluded_by == ("chronic:cancer",)


def test_scope_and_the_demo_catalogue_rules_still_work():
    heart = PLANS_BY_CODE["HF-DISCHARGE"]
    assert match_plan(heart, _facts()).decision is Decision.ENROLL
    assert "department" in match_plan(heart, _facts(department="骨科")).reason
    results = {r.plan_code: r.decision for r in match_plans(DEMO_PLANS, _facts())}
    assert results["HF-DISCHARGE"] is Decision.ENROLL
    assert results["GENERAL-DISCHARGE"] is Decision.NONE  # fallback only
    oncology = {
        r.plan_code: r.decision
        for r in match_plans(DEMO_PLANS, _facts(codes=("C34.9",), department="肿瘤科"))
    }
    assert oncology["GENERAL-DISCHARGE"] is Decision.ENROLL
    ortho = {
        r.plan_code: r.decision
        for r in match_plans(
            DEMO_PLANS, _facts(codes=("S72.0",), procedures=("人工全髋关节置换术",), department="骨科")
        )
    }
    assert ortho["POSTOP-DISCHARGE"] is Decision.ENROLL and ortho["GENERAL-DISCHARGE"] is Decision.NONE


RULES = st.lists(
    st.tuples(
        st.sampled_from(
            [
                ("icd10_prefix", "I"),
                ("icd10_prefix", "E11"),
                ("procedure", "*"),
                ("ward", "*"),
                ("age_min", "60"),
                ("age_max", "40"),
                ("chronic", "heart_failure"),
                ("los_min", "3"),
                ("department", "心内科"),
                ("tag", "readmission:30"),
            ]
        ),
        st.floats(min_value=0, max_value=10, allow_nan=False),
    ),
    max_size=8,
)


@given(
    RULES,
    st.tuples(
        st.sampled_from([("icd10_prefix", "I"), ("ward", "*"), ("age_min", "60")]),
        st.floats(min_value=0, max_value=10, allow_nan=False),
    ),
)
def test_score_is_monotone_in_matched_weights(rules, extra):
    facts = _facts()
    plan = _plan(*(InclusionRule(k, v, w) for (k, v), w in rules))
    (kind, value), weight = extra
    more = _plan(*plan.inclusion_rules, InclusionRule(kind, value, weight))
    before, after = match_plan(plan, facts), match_plan(more, facts)
    assert after.score >= before.score
    assert abs(after.score - sum(c.weight for c in after.contributions if c.matched)) < 1e-6
    heavier = _plan(*(InclusionRule(r.kind, r.value, r.weight + 1) for r in plan.inclusion_rules))
    assert match_plan(heavier, facts).score >= before.score


@given(
    st.lists(RULES, min_size=1, max_size=6),
    st.sampled_from([("I50.9",), ("E11.6", "I10"), ("C34.9",), ("S72.0",), ()]),
    st.booleans(),
)
def test_bulk_matcher_agrees_with_match_plans(rule_sets, codes, with_procedure):
    plans = [
        Plan(
            f"P{i}",
            1,
            "p",
            PublicationStatus.PUBLISHED,
            _plan().steps,
            inclusion_rules=tuple(InclusionRule(k, v, w) for (k, v), w in rules),
            enrollment_threshold=1.5,
        )
        for i, rules in enumerate(rule_sets)
    ]
    facts = _facts(codes=codes, procedures=("置换术",) if with_procedure else ())
    expected = [
        (r.plan_code, r.decision, r.score)
        for r in match_plans(plans, facts)
        if r.decision is not Decision.NONE
    ]
    got = [(r.plan_code, r.decision, r.score) for r in PlanMatcher(plans).match(facts)]
    assert got == expected
