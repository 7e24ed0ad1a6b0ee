"""Fixtures of the sync-client tests: the REAL central service over HTTP on 127.0.0.1, real caches.

Each test gets its own service on a fresh SQLite database (copied from a
template migrated once per session), so tests may stop, kill, restore or
reconfigure it freely. Desks ("PCs") are ``SyncClient``s on encrypted caches
with a fixed key; their credentials go to a test keyring file (the one
backend ``cache_key`` admits under ``FOLLOWUP_ALLOW_TEST_KEYRING=1``).
The service-side helpers of ``tests/service`` (World, record builders) are reused.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from live_service import LiveService
from service_helpers import PASSWORD

from nurse_app.desk.context import DeskContext
from nurse_app.domain.model import Role, User, utc_now
from nurse_app.security.cache_key import ALLOW_TEST_KEYRING_ENV
from nurse_app.security.credentials import CredentialStore
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head
from server_sync.client import RetryPolicy, SyncClient
from server_sync.service.core.db import make_engine
from server_sync.service.core.migrate import upgrade

CACHE_KEY = "0123456789abcdef" * 4
FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.2)


@pytest.fixture(scope="session", autouse=True)
def test_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A keyring file under tmp, admitted only because of the documented test variable."""
    previous_env = os.environ.get(ALLOW_TEST_KEYRING_ENV)
    previous = keyring.get_keyring()
    os.environ[ALLOW_TEST_KEYRING_ENV] = "1"
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path_factory.mktemp("keyring") / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    yield
    keyring.set_keyring(previous)
    if previous_env is None:
        os.environ.pop(ALLOW_TEST_KEYRING_ENV, None)
    else:
        os.environ[ALLOW_TEST_KEYRING_ENV] = previous_env


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty service database, copied for every test (alembic runs once)."""
    path = tmp_path_factory.mktemp("template") / "svc.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_service(template_db: Path, tmp_path: Path) -> Iterator[Callable[..., LiveService]]:
    made: list[LiveService] = []

    def make(**overrides: Any) -> LiveService:
        path = tmp_path / f"svc-{len(made)}.db"
        shutil.copy(template_db, path)
        service = LiveService(path, **overrides)
        service.start()
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def service(make_service: Callable[..., LiveService]) -> LiveService:
    return make_service()


@dataclass
class Pc:
    """One ward PC: an encrypted cache, its sync client and the signed-in nurse."""

    name: str
    engine: Engine
    client: SyncClient
    user: User | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> Pc:
        login = self.client.login(username, password)
        info = login.user
        self.user = User(info.username, info.display_name, Role(info.role), tuple(info.wards))
        return self

    def desk(self, clock: Callable[[], Any] = utc_now) -> DeskContext:
        assert self.user is not None, "log in first"
        return DeskContext(self.engine, self.user, device=self.name, clock=clock)


@pytest.fixture
def make_pc(tmp_path: Path) -> Iterator[Callable[..., Pc]]:
    made: list[Pc] = []

    def make(base_url: str, name: str | None = None, **options: Any) -> Pc:
        name = name or f"PC{len(made) + 1}"
        engine = open_cache(tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.db", CACHE_KEY)
        upgrade_to_head(engine)
        options.setdefault("retry", FAST_RETRY)
        credentials = CredentialStore(profile=f"{name}-{uuid.uuid4().hex[:8]}")
        client = SyncClient(engine, base_url, credentials=credentials, device_name=name, **options)
        pc = Pc(name, engine, client)
        made.append(pc)
        return pc

    yield make
    for pc in made:
        pc.client.close()
        pc.engine.dispose()
