"""Fixtures of the intake tests: the service test fixtures (one migrated database per backend,
a live server), the demo plans, per-test wards, HL7 fixture loading and an MLLP listener."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SERVICE_TESTS = Path(__file__).resolve().parents[1] / "service"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7"
sys.path.insert(0, str(SERVICE_TESTS))

# Reuse the service fixtures (database per backend, live uvicorn, World) under another module name.
_spec = importlib.util.spec_from_file_location("service_test_fixtures", SERVICE_TESTS / "conftest.py")
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)
database_url = _service.database_url
settings = _service.settings
database = _service.database
live_server = _service.live_server
world = _service.world

from nurse_app.demo.catalog import DEMO_PLANS  # noqa: E402
from server_sync.protocol import entity_to_payload  # noqa: E402
from server_sync.service.config import publishing  # noqa: E402
from server_sync.service.core.db import Database  # noqa: E402
from server_sync.service.intake import hl7_intake  # noqa: E402
from server_sync.service.intake.config import IntakeSettings  # noqa: E402
from server_sync.service.intake.mllp import MllpServer  # noqa: E402


@pytest.fixture(scope="session")
def plans(database: Database) -> None:
    """The demo hospital's plans (heart failure for 心内科, general as the fallback…)."""
    with database.transaction() as db_session:
        for plan in DEMO_PLANS:
            publishing.publish_plan(db_session=db_session, body=entity_to_payload(plan), actor="test")


@pytest.fixture
def intake_settings() -> IntakeSettings:
    return IntakeSettings()


@dataclass
class Hospital:
    """One test's slice of the hospital: its wards and one patient's identifiers."""

    database: Database
    settings: IntakeSettings
    ward: str
    ward2: str
    mrn: str = field(default_factory=lambda: f"ZY{uuid.uuid4().hex[:10]}")
    visit: str = field(default_factory=lambda: f"V{uuid.uuid4().hex[:10]}")
    national_id: str = field(default_factory=lambda: f"{random.randrange(10**17, 10**18)}")
    phone: str = field(default_factory=lambda: f"139{random.randrange(10**7, 10**8)}")
    birth: str = field(
        default_factory=lambda: f"{random.randrange(1930, 2000)}{random.randrange(1, 13):02d}15"
    )

    def message(self, name: str, control: str | None = None, **extra: str) -> bytes:
        """A fixture message with this test's ward, MRN, visit and a fresh control ID."""
        data = (FIXTURES / name).read_bytes()
        values = {
            "$CTRL": control or uuid.uuid4().hex[:16],
            "$MRN": self.mrn,
            "$VISIT": self.visit,
            "$WARD2": self.ward2,
            "$WARD": self.ward,
            "110101195003011234": self.national_id,
            "13912345678": self.phone,
            "19500301": self.birth,
            **extra,
        }
        for key, value in values.items():
            data = data.replace(key.encode(), value.encode())
        return data

    def send(self, name: str, control: str | None = None, **extra: str) -> hl7_intake.Hl7Outcome:
        raw = self.message(name, control, **extra)
        return hl7_intake.process(database=self.database, raw=raw, settings=self.settings, source="test")


@pytest.fixture
def hospital(world, plans, intake_settings) -> Hospital:
    return Hospital(world.database, intake_settings, world.ward("C"), world.ward("D"))


class Listener:
    """The MLLP listener on 127.0.0.1 in a background event loop."""

    def __init__(self, database: Database, settings: IntakeSettings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mllp-test", daemon=True)
        self.thread.start()
        self.server = MllpServer(database, settings, "127.0.0.1", 0)
        self.port = asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def listener(database: Database, intake_settings: IntakeSettings) -> Iterator[Listener]:
    running = Listener(database, intake_settings)
    yield running
    running.close()
