"""Fill the service with the demo hospital (``followup-server seed-demo``).

Uses the same generator as the desk's demo data, and the real push rules, so
the seeded records, change feed and audit trail look exactly like synced ones.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from nurse_app.demo.generate import DemoBatch, demo_plans, demo_staff, demo_wards, generate_batches
from nurse_app.domain.model import Role, User, utc_now
from server_sync.protocol import Mutation, entity_to_payload
from server_sync.service.auth import service as auth_service
from server_sync.service.config import publishing
from server_sync.service.config import service as config_service
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database
from server_sync.service.sync.context import BatchContext
from server_sync.service.sync.rules import apply_mutation

_ORDER = ("patients", "encounters", "enrollments", "tasks", "attempts", "responses", "alerts")
_ENTITY = {
    "patients": "patient",
    "encounters": "encounter",
    "enrollments": "enrollment",
    "tasks": "task",
    "attempts": "call_attempt",
    "responses": "response",
    "alerts": "alert",
}
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SeedReport:
    users: int
    records: int
    rejected: int


def seed_demo(
    *,
    database: Database,
    settings: Settings,
    patients: int,
    seed: int,
    password: str,
    now: datetime | None = None,
) -> SeedReport:
    """Create the demo wards, plans and accounts, then import ``patients`` demo patients."""
    now = now or utc_now()
    staff = demo_staff(seed)
    hasher = auth_service.hasher_for(settings)
    # One hash for the shared demo password: 48 argon2 runs would take most of a minute.
    shared_hash = hasher.hash(password)
    with database.transaction() as db_session:
        for ward in demo_wards():
            config_service.upsert_ward(db_session=db_session, ward=ward, published_by="seed-demo")
        for plan in demo_plans():
            publishing.publish_plan(db_session=db_session, body=entity_to_payload(plan), actor="seed-demo")
        db_session.flush()
        created = 0
        for user in staff.users:
            if auth_service.load_user(db_session=db_session, username=user.username) is None:
                auth_service.create_user(
                    db_session=db_session,
                    hasher=hasher,
                    username=user.username,
                    display_name=user.display_name,
                    role=user.role,
                    wards=user.wards,
                    password_hash=shared_hash,
                    actor="seed-demo",
                )
                created += 1
    importer = User("seed-demo", "seed-demo", Role.ADMIN)
    records = rejected = 0
    for batch in generate_batches(patients=patients, seed=seed, now=now):
        for chunk in _chunks(_mutations(batch)):
            results = database.run_write(lambda s, chunk=chunk: _import(s, importer, chunk, now))
            records += len(results)
            rejected += sum(1 for status in results if status == "rejected")
    return SeedReport(users=created, records=records, rejected=rejected)


def _mutations(batch: DemoBatch) -> Iterator[Mutation]:
    for attribute in _ORDER:
        for record in getattr(batch, attribute):
            yield Mutation(
                mutation_id=str(uuid.uuid4()),
                seq=1,
                entity=_ENTITY[attribute],  # type: ignore[arg-type]
                entity_id=record.id,
                payload=entity_to_payload(record),
            )


def _chunks(mutations: Iterator[Mutation]) -> Iterator[list[Mutation]]:
    while chunk := list(itertools.islice(mutations, _CHUNK)):
        yield chunk


def _import(db_session, importer: User, chunk: list[Mutation], now: datetime) -> list[str]:
    ctx = BatchContext(
        db_session=db_session,
        user=importer,
        device_id="seed-demo",
        client_id="seed-demo",
        now=now,
        importing=True,
    )
    ctx.prefetch_for(chunk)
    with db_session.no_autoflush:
        statuses = [apply_mutation(ctx, mutation).status for mutation in chunk]
    ctx.finish()
    return statuses
