"""Writes the demo hospital into a cache: configuration first, then clinical records in batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from nurse_app.demo.generate import DemoBatch, demo_plans, demo_staff, demo_wards, generate_batches
from nurse_app.store import mapping as m
from nurse_app.store.engine import session_factory
from nurse_app.store.repository import CacheRepository, bulk_insert

ProgressCallback = Callable[[int, int], None]


def batch_rows(batch: DemoBatch) -> dict[str, list[dict]]:
    """Column dicts of one batch, by table name, for ``bulk_insert``."""
    return {
        "patients": [m.patient_values(p) for p in batch.patients],
        "encounters": [m.encounter_values(e) for e in batch.encounters],
        "enrollments": [m.enrollment_values(e) for e in batch.enrollments],
        "tasks": [m.task_values(t) for t in batch.tasks],
        "call_attempts": [m.attempt_values(a) for a in batch.attempts],
        "responses": [m.response_values(r) for r in batch.responses],
        "response_answers": [v for r in batch.responses for v in m.response_answer_values(r)],
        "alerts": [m.alert_values(a) for a in batch.alerts],
    }


def load_demo(
    engine: Engine,
    *,
    patients: int,
    seed: int,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated cache with the demo hospital; returns row counts by table.

    Each batch commits on its own so a 1 M-task build keeps memory flat; the
    configuration (wards, staff, plans) goes in first so every row's foreign
    keys already resolve.
    """
    Session = session_factory(engine)
    with Session.begin() as session:
        repository = CacheRepository(session)
        for ward in demo_wards():
            repository.save_ward(ward)
        for user in demo_staff(seed).users:
            repository.save_user(user)
        for plan in demo_plans():
            repository.save_plan(plan)
    counts: dict[str, int] = {}
    done = 0
    for batch in generate_batches(patients=patients, seed=seed, now=now):
        rows = batch_rows(batch)
        with engine.begin() as conn:
            bulk_insert(conn, rows)
        for table, values in rows.items():
            counts[table] = counts.get(table, 0) + len(values)
        done += len(batch.patients)
        if progress is not None:
            progress(done, patients)
    return counts
