"""The breakdown by diagnosis group (按病种) of a hand-made ward: every number computed by hand.

The hand computation is in ``tests/diagnosis_world.py``; here each group's figures are
checked against it, and the groups are checked to add up to the headline.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from diagnosis_world import AS_OF, MONTH, diagnosis_engine
from sqlalchemy import Engine

from nurse_app.domain.metrics import Rate
from nurse_app.domain.model import Diagnosis, Encounter
from nurse_app.reports.data import GroupLine, WardMonthFigures, build_ward_month
from nurse_app.reports.diagnosis import NO_DIAGNOSIS, diagnosis_group, group_labels, task_diagnosis_groups
from nurse_app.reports.labels import Labels
from nurse_app.reports.records import load_records
from nurse_app.reports.scope import month_period
from nurse_app.reports.sections import by_diagnosis_table
from nurse_app.reports.tables import csv_text


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from diagnosis_engine(tmp_path_factory.mktemp("dx"))


@pytest.fixture(scope="module")
def october(engine: Engine) -> WardMonthFigures:
    with engine.connect() as conn:
        return build_ward_month(conn, ["W1"], MONTH, as_of=AS_OF)


def pair(rate: Rate) -> tuple[int, int]:
    return rate.numerator, rate.denominator


def test_a_task_counts_under_the_icd10_category_of_its_primary_diagnosis() -> None:
    def encounter(*diagnoses: Diagnosis) -> Encounter:
        return Encounter("p", "W1", AS_OF, AS_OF, diagnoses)

    assert diagnosis_group(encounter(Diagnosis("I50.9", "心力衰竭", primary=True))) == "I50"
    assert diagnosis_group(encounter(Diagnosis(" i10 ", "高血压", primary=True))) == "I10"
    # The primary one, not the first one; without a primary flag the first one (Encounter's rule).
    assert diagnosis_group(encounter(Diagnosis("E11.9", "糖尿病"), Diagnosis("I21.0", "心梗", True))) == "I21"
    assert diagnosis_group(encounter(Diagnosis("E11.9", "糖尿病"))) == "E11"
    assert diagnosis_group(encounter()) == NO_DIAGNOSIS
    assert diagnosis_group(encounter(Diagnosis("  ", "待查", primary=True))) == NO_DIAGNOSIS
    assert diagnosis_group(None) == NO_DIAGNOSIS


def test_labels_name_the_most_common_description() -> None:
    def encounter(code: str, text: str) -> Encounter:
        return Encounter("p", "W1", AS_OF, AS_OF, (Diagnosis(code, text, primary=True),))

    encounters = [
        encounter("I50.9", "心力衰竭"),
        encounter("I50.1", "左心衰竭"),
        encounter("I50.0", "心力衰竭"),
    ]
    encounters += [encounter("I10", "高血压"), encounter("I10", "原发性高血压"), encounter("", "待查")]
    # I10: a tie, broken by the description that sorts first, so the label never flickers.
    assert group_labels(encounters) == {"I50": "I50 心力衰竭", "I10": "I10 原发性高血压"}


def test_each_group_matches_the_hand_computation(october: WardMonthFigures) -> None:
    lines = {line.key: line for line in october.by_diagnosis}
    assert [line.key for line in october.by_diagnosis] == ["I10", "I50", NO_DIAGNOSIS]  # no diagnosis last
    assert lines["I50"].label == "I50 心力衰竭" and lines["I10"].label == "I10 原发性高血压"
    assert lines[NO_DIAGNOSIS].label == ""  # the renderers name it (未填诊断 / No diagnosis)
    expected = {
        # key: miss, on time, reach, satisfaction, (calls, median, mean), completed
        "I50": ((1, 3), (2, 3), (2, 3), (2, 3), (2, 450.0, 450.0), 2),
        "I10": ((1, 2), (1, 1), (1, 2), (1, 2), (1, 900.0, 900.0), 1),
        NO_DIAGNOSIS: ((1, 2), (1, 2), (1, 1), (1, 1), (1, 120.0, 120.0), 1),
    }
    for key, (miss, on_time, reach, satisfaction, durations, completed) in expected.items():
        r = lines[key].rates
        assert pair(r.miss) == miss, key
        assert pair(r.on_time) == on_time, key
        assert pair(r.reach) == reach, key
        assert pair(r.satisfaction) == satisfaction, key
        assert (r.durations.count, r.durations.median_s, r.durations.mean_s) == pytest.approx(durations), key
        assert lines[key].completed == completed, key
    assert "I21" not in lines  # September's encounter: nothing of it counts in October


def _summed(lines: tuple[GroupLine, ...], figure: str) -> tuple[int, int]:
    rates = [getattr(line.rates, figure) for line in lines]
    return sum(r.numerator for r in rates), sum(r.denominator for r in rates)


@pytest.mark.parametrize("figure", ["miss", "reach", "on_time", "satisfaction"])
def test_the_groups_add_up_to_the_headline(october: WardMonthFigures, figure: str) -> None:
    headline = october.headline.current
    assert _summed(october.by_diagnosis, figure) == pair(getattr(headline, figure))
    assert sum(line.completed for line in october.by_diagnosis) == headline.completed == 4
    assert sum(line.rates.durations.count for line in october.by_diagnosis) == headline.durations.count
    # Every group with a code is one of the headline's "diseases covered".
    assert {line.key for line in october.by_diagnosis} - {NO_DIAGNOSIS} == headline.diseases


def test_hand_totals(october: WardMonthFigures) -> None:
    h = october.headline.current
    assert (pair(h.miss), pair(h.on_time), pair(h.reach), pair(h.satisfaction)) == (
        (3, 7),
        (4, 6),
        (4, 6),
        (4, 6),
    )


@pytest.mark.parametrize("month", ["2026-09", "2026-10", "2026-11"])
@pytest.mark.parametrize("wards", [("W1",), ("W2",), ("W1", "W2")])
def test_groups_add_up_for_any_scope_and_month(engine: Engine, month: str, wards: tuple[str, ...]) -> None:
    """Property: whatever the scope and period, summing the groups gives the headline's miss and reach."""
    with engine.connect() as conn:
        figures = build_ward_month(conn, wards, month, as_of=AS_OF)
    for figure in ("miss", "reach", "on_time", "satisfaction"):
        assert _summed(figures.by_diagnosis, figure) == pair(getattr(figures.headline.current, figure))
    assert sum(line.completed for line in figures.by_diagnosis) == figures.headline.current.completed


def test_groups_read_back_from_the_store(engine: Engine) -> None:
    with engine.connect() as conn:
        records = load_records(conn, ["W1"], month_period(MONTH))
        stored = task_diagnosis_groups(conn, [t.id for t in records.tasks])
    encounters = {e.id: e for e in records.encounters}
    assert stored == {t.id: diagnosis_group(encounters.get(t.encounter_id)) for t in records.tasks}
    assert set(stored.values()) == {"I50", "I10", NO_DIAGNOSIS}


@pytest.mark.parametrize(("lang", "name"), [("zh_CN", "未填诊断"), ("en", "No diagnosis")])
def test_the_group_without_a_diagnosis_is_named_in_the_report(
    october: WardMonthFigures, lang: str, name: str
) -> None:
    table = by_diagnosis_table(october, Labels(lang))
    assert [row[0] for row in table.rows] == ["I10 原发性高血压", "I50 心力衰竭", name]
    assert [row[1:4] for row in table.rows] == [(1, 2, 1), (2, 3, 1), (1, 2, 1)]  # completed, closed, missed
    assert f"\r\n{name}," in csv_text(october, lang=lang)
