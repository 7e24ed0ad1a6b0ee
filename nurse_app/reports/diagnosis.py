"""Diagnosis groups (按病种): the ICD-10 category of the primary diagnosis of a task's encounter.

The rule is the headline's "diseases covered" rule (``headline_sql.icd10_group``:
``I50.9`` → ``I50``); an encounter without a primary diagnosis code puts its
tasks in the :data:`NO_DIAGNOSIS` group, which renderers name "未填诊断 / No diagnosis".

No rate is defined here. :func:`diagnosis_scope` relabels the scope's tasks and
encounters with their group in place of the ward code (as ``headline.tallies``
relabels them with ``ALL``), so the unchanged definitions of
``nurse_app.domain.metrics`` grouped by ward give the figures per diagnosis
group — medians included, which partitions summed afterwards could not give.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from nurse_app.domain.model import Encounter, FollowUpTask
from nurse_app.reports.headline_sql import icd10_group
from nurse_app.reports.records import ScopeRecords
from nurse_app.store import mapping as m
from nurse_app.store.metrics_sql import Executor
from nurse_app.store.models import EncounterRow, TaskRow

__all__ = [
    "NO_DIAGNOSIS",
    "DiagnosisScope",
    "diagnosis_group",
    "diagnosis_scope",
    "group_labels",
    "task_diagnosis_groups",
    "task_groups",
]

NO_DIAGNOSIS = ""  # the group key of tasks whose encounter has no primary diagnosis code

_CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit


def diagnosis_group(encounter: Encounter | None) -> str:
    """The ICD-10 category of the encounter's primary diagnosis, or :data:`NO_DIAGNOSIS`."""
    primary = encounter.primary_diagnosis if encounter is not None else None
    if primary is None or not primary.icd10.strip():
        return NO_DIAGNOSIS
    return icd10_group(primary.icd10)


def task_groups(tasks: Iterable[FollowUpTask], encounters: Iterable[Encounter]) -> dict[str, str]:
    """task id → diagnosis group of its encounter (an encounter not loaded counts as no diagnosis)."""
    group_of = {e.id: diagnosis_group(e) for e in encounters}
    return {t.id: group_of.get(t.encounter_id, NO_DIAGNOSIS) for t in tasks}


def group_labels(encounters: Iterable[Encounter]) -> dict[str, str]:
    """group → "I50 心力衰竭": the code and the most common description of its primary diagnoses.

    Ties go to the description that sorts first, so the label does not change between runs.
    """
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for encounter in encounters:
        group = diagnosis_group(encounter)
        if group != NO_DIAGNOSIS:
            primary = encounter.primary_diagnosis
            assert primary is not None
            seen[group][primary.description.strip()] += 1
    labels = {}
    for group, descriptions in seen.items():
        description = min(descriptions.items(), key=lambda item: (-item[1], item[0]))[0]
        labels[group] = f"{group} {description}".strip()
    return labels


@dataclass(frozen=True, slots=True)
class DiagnosisScope:
    """The scope's tasks and encounters with ``ward_code`` replaced by their diagnosis group."""

    tasks: tuple[FollowUpTask, ...]
    encounters: tuple[Encounter, ...]
    labels: dict[str, str]  # group → "I50 心力衰竭" (none for NO_DIAGNOSIS)


def diagnosis_scope(records: ScopeRecords, wards: Sequence[str]) -> DiagnosisScope:
    """Relabel the tasks and encounters of ``wards`` (see the module docstring)."""
    scope = set(wards)
    encounters = [e for e in records.encounters if e.ward_code in scope]
    own = [t for t in records.tasks if t.ward_code in scope]
    group_of_task = task_groups(own, records.encounters)
    tasks = tuple(replace(t, ward_code=group_of_task[t.id]) for t in own)
    relabeled = tuple(replace(e, ward_code=diagnosis_group(e)) for e in encounters)
    return DiagnosisScope(tasks, relabeled, group_labels(encounters))


def task_diagnosis_groups(conn: Executor, task_ids: Sequence[str]) -> dict[str, str]:
    """task id → diagnosis group, read from the store (for lists that kept no encounters)."""
    tasks, encounters = TaskRow.__table__, EncounterRow.__table__
    found = dict.fromkeys(task_ids, NO_DIAGNOSIS)
    ids = sorted(set(task_ids))
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(tasks.c.id.label("task_id"), encounters)
            .select_from(tasks.join(encounters, encounters.c.id == tasks.c.encounter_id))
            .where(tasks.c.id.in_(ids[start : start + _CHUNK]))
        )
        for row in conn.execute(query):
            found[row.task_id] = diagnosis_group(m.encounter_from_row(row))
    return found
