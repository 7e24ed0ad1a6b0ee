"""Helpers of the central-service tests: desks over HTTP, per-test wards/users, record builders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from nurse_app.domain.model import (
    Answer,
    CallAttempt,
    CallOutcome,
    Encounter,
    Enrollment,
    FollowUpTask,
    Patient,
    Response,
    Role,
    Sex,
    Ward,
)
from server_sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, entity_to_payload
from server_sync.service.auth import service as auth_service
from server_sync.service.config import service as config_service
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database

TEST_SECRET = "test-secret-for-signing-access-tokens"
PASSWORD = "correct-horse-42"
ENTITY_OF = {
    Patient: "patient",
    Encounter: "encounter",
    Enrollment: "enrollment",
    FollowUpTask: "task",
    CallAttempt: "call_attempt",
    Response: "response",
}


@dataclass
class DeskClient:
    """One logged-in desk: an HTTP client with its token and its own outbox sequence."""

    http: httpx.Client
    username: str
    login: dict[str, Any]
    client_id: str = field(default_factory=lambda: f"desk-{uuid.uuid4().hex[:12]}")
    next_seq: int = 1

    def mutation(
        self, record: Any, *, op: str = "upsert", base_version: int | None = None, seq: int | None = None
    ):
        entity = ENTITY_OF[type(record)]
        if seq is None:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "seq": seq,
            "entity": entity,
            "op": op,
            "entity_id": record.id,
            "base_version": base_version,
            "payload": entity_to_payload(record),
            "client_time": "2026-11-28T01:00:00Z",
        }

    def push_raw(self, mutations: list[dict[str, Any]]) -> httpx.Response:
        body = {"client_id": self.client_id, "protocol_version": PROTOCOL_VERSION, "mutations": mutations}
        return self.http.post("/sync/push", json=body)

    def push(self, *records: Any, **options: Any) -> list[dict[str, Any]]:
        """Push one mutation per record; returns the per-mutation results (asserts HTTP 200)."""
        response = self.push_raw([self.mutation(record, **options) for record in records])
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def pull_all(self, cursor: int = 0, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
        changes: list[dict[str, Any]] = []
        while True:
            response = self.http.get("/sync/pull", params={"cursor": cursor, "limit": limit})
            assert response.status_code == 200, response.text
            page = response.json()
            changes.extend(page["changes"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return changes, cursor


class World:
    """Creates wards, users and records unique to one test, and desks logged in as those users."""

    def __init__(self, base_url: str, database: Database, settings: Settings) -> None:
        self.base_url, self.database, self.settings = base_url, database, settings
        self.tag = uuid.uuid4().hex[:6].upper()
        self._clients: list[httpx.Client] = []

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def ward(self, name: str = "W") -> str:
        code = f"{name}{self.tag}"
        with self.database.transaction() as db_session:
            config_service.upsert_ward(
                db_session=db_session, ward=Ward(code, f"病区{code}", "心内科"), published_by="test"
            )
        return code

    def user(self, role: Role = Role.NURSE, wards: tuple[str, ...] = (), name: str = "u") -> str:
        username = f"{name}.{self.tag.lower()}.{uuid.uuid4().hex[:4]}"
        with self.database.transaction() as db_session:
            auth_service.create_user(
                db_session=db_session,
                hasher=auth_service.hasher_for(self.settings),
                username=username,
                display_name=f"护士{name}",
                role=role,
                wards=wards,
                password=PASSWORD,
            )
        return username

    def login_response(self, username: str, password: str = PASSWORD, device: str = "PC-1") -> httpx.Response:
        body = {
            "username": username,
            "password": password,
            "device_id": f"{device}-{self.tag}",
            "device_name": device,
        }
        return self.http().post("/auth/login", json=body)

    def desk(self, username: str) -> DeskClient:
        response = self.login_response(username)
        assert response.status_code == 200, response.text
        login = response.json()
        return DeskClient(self.http(login["access_token"]), username, login)

    def close(self) -> None:
        for client in self._clients:
            client.close()


# --- record builders -------------------------------------------------------------------------

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)


def make_patient(name: str = "张三丰", phone: str = "13912345678") -> Patient:
    return Patient(
        mrn=f"ZY{uuid.uuid4().hex[:8]}", name=name, sex=Sex.MALE, birth_date=date(1950, 3, 1), phone=phone
    )


def make_encounter(patient: Patient, ward: str) -> Encounter:
    return Encounter(patient.id, ward, NOW - timedelta(days=7), NOW - timedelta(hours=2))


def make_enrollment(encounter: Encounter) -> Enrollment:
    return Enrollment(encounter.patient_id, encounter.id, "HF-DISCHARGE", 1, enrolled_at=NOW)


def make_task(enrollment: Enrollment, ward: str, assignee: str | None = None) -> FollowUpTask:
    return FollowUpTask(
        enrollment.id,
        enrollment.patient_id,
        enrollment.encounter_id,
        ward,
        "HF-DISCHARGE",
        1,
        1,
        due_at=NOW,
        window_end=NOW + timedelta(hours=24),
        assignee=assignee,
    )


def make_attempt(task: FollowUpTask, nurse: str, outcome: CallOutcome = CallOutcome.REACHED) -> CallAttempt:
    return CallAttempt(task.id, nurse, NOW + timedelta(hours=1), NOW + timedelta(hours=1, minutes=9), outcome)


def make_response(task: FollowUpTask, nurse: str, score: float = 3.0) -> Response:
    answers = (Answer("sbp", 135, None), Answer("satisfaction", "4", 4.0, True))
    return Response(
        task.id, "HF-FOLLOWUP", 1, answers, nurse, NOW + timedelta(hours=1, minutes=10), score=score
    )


@dataclass
class Chart:
    """A patient with an encounter, an enrollment and one open task in a ward."""

    patient: Patient
    encounter: Encounter
    enrollment: Enrollment
    task: FollowUpTask

    @property
    def records(self) -> tuple[Any, ...]:
        return (self.patient, self.encounter, self.enrollment, self.task)


def make_chart(ward: str, assignee: str | None = None, **patient: Any) -> Chart:
    p = make_patient(**patient)
    encounter = make_encounter(p, ward)
    enrollment = make_enrollment(encounter)
    return Chart(p, encounter, enrollment, make_task(enrollment, ward, assignee))
