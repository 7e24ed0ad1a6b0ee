"""Fixtures of the central-service tests: one migrated database per backend, a live server on it.

Every session-scoped fixture below is instantiated once per database in
``FOLLOWUP_TEST_DATABASES`` (default: sqlite,postgresql,mariadb). An unreachable
PostgreSQL or MariaDB fails the run instead of being skipped. Tests isolate
themselves by creating their own wards, users and client ids (``world``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from service_helpers import TEST_SECRET, World
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from server_sync.service.app import create_app
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.migrate import upgrade

DATABASE_URLS = {
    "sqlite": "sqlite:///{tmp}/svc.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4",
}


def _selected_databases() -> list[str]:
    wanted = os.environ.get("FOLLOWUP_TEST_DATABASES", "sqlite,postgresql,mariadb")
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = set(names) - set(DATABASE_URLS)
    if unknown:
        raise pytest.UsageError(f"unknown FOLLOWUP_TEST_DATABASES entries: {sorted(unknown)}")
    return names


def drop_everything(database: Database) -> None:
    """Drop every table (ours and alembic's) so each run starts from an empty schema."""
    reflected = MetaData()
    with database.engine.begin() as connection:
        reflected.reflect(connection)
        reflected.drop_all(connection)


@pytest.fixture(scope="session", params=_selected_databases())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = DATABASE_URLS[request.param].format(tmp=tmp_path_factory.mktemp(request.param))
    if request.param == "sqlite":
        yield url
    else:
        with private_database(url) as private:
            yield private


@contextmanager
def private_database(url: str) -> Iterator[str]:
    """A fresh database beside ``url``'s, dropped afterwards, so concurrent test runs on one server
    never drop each other's tables; ``url`` itself when the account may not create databases."""
    name = f"followup_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    postgresql = url.startswith("postgresql")
    quote, force = ('"', " WITH (FORCE)") if postgresql else ("`", "")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    except DBAPIError:
        admin.dispose()
        yield url
        return
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Cheap argon2 parameters: the tests log in hundreds of times on two cores.
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        db_pool_size=5,
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.database_url, settings))
    drop_everything(database)  # fails loudly when the server is unreachable
    upgrade(database.engine)
    yield database
    drop_everything(database)
    database.dispose()


@pytest.fixture(scope="session")
def live_server(settings: Settings, database: Database) -> Iterator[str]:
    """The real app under uvicorn on a free local port, for tests over real HTTP."""
    app = create_app(settings, database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on", access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def world(live_server: str, database: Database, settings: Settings) -> Iterator[World]:
    world = World(live_server, database, settings)
    yield world
    world.close()
