"""Property-based fuzzing of the service's OpenAPI with schemathesis: no 5xx, no schema violations.

Every operation of ``/openapi.json`` is one test: a bounded, derandomized Hypothesis run of
schemathesis cases (positive and negative data) against the in-process ASGI app, as an
admin (``Authorization: Bearer`` + ``X-Followup-Protocol: 1``). Two checks only:
``not_a_server_error`` and ``response_schema_conformance`` (a documented status must answer
with its documented body, e.g. 422 as ``ErrorBody``).

SQLite only: the module builds its own freshly migrated SQLite database instead of using the
session ``database`` fixture, which is parametrized over ``FOLLOWUP_TEST_DATABASES``; the
fuzzer checks the HTTP contract, not the backends, so one backend keeps it fast.

Nothing is excluded. ``POST /auth/logout`` gets a fresh nurse session per example, so it
cannot end the admin session the other operations use.

Hypothesis drives ``operation.as_strategy()`` directly: schemathesis' pytest integration
(``schema.parametrize()`` / ``from_fixture``) rewrites ``node._nodeid``, which pytest 9 removed.
The operation list for collection comes from the app's static OpenAPI (no database needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from service_helpers import PASSWORD, TEST_SECRET, World

from nurse_app.domain.model import Role, utc_now
from server_sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, LoginRequest
from server_sync.service.app import create_app
from server_sync.service.auth import login as login_flow
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.migrate import upgrade

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance]
LOGOUT = ("POST", "/auth/logout")


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        db_pool_size=5,
    )


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation; building the document touches no database."""
    database = Database(make_engine("sqlite://"))
    document = create_app(_settings("sqlite://"), database).openapi()
    database.dispose()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


@dataclass
class FuzzedService:
    schema: schemathesis.BaseSchema
    database: Database
    settings: Settings
    admin: str
    nurse: str
    admin_token: str = ""

    def login(self, username: str) -> str:
        """A new session for ``username`` (the login flow itself: no HTTP client besides the fuzzer's)."""
        request = LoginRequest(username=username, password=PASSWORD, device_id="FUZZ-PC", device_name="fuzz")
        result = self.database.run_write(
            lambda s: login_flow.login(
                db_session=s, settings=self.settings, secret=TEST_SECRET, request=request, now=utc_now()
            )
        )
        assert not isinstance(result, Exception), result
        return result.access_token

    def headers_for(self, method: str, path: str) -> dict[str, str]:
        token = self.login(self.nurse) if (method, path) == LOGOUT else self.admin_token
        return {**protocol_headers(), "Authorization": f"Bearer {token}"}


def protocol_headers() -> dict[str, str]:
    return {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}


@pytest.fixture(scope="module")
def fuzzed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedService]:
    settings_ = _settings(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.db")
    database = Database(make_engine(settings_.database_url, settings_))
    upgrade(database.engine)
    app = create_app(settings_, database)
    world = World("http://testserver", database, settings_)  # seeding only: no HTTP through it
    ward = world.ward("FZ")
    admin = world.user(Role.ADMIN, name="admin")
    nurse = world.user(Role.NURSE, wards=(ward,), name="nurse")
    # Loading the schema over ASGI also runs the app's lifespan (server defaults), once per app.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    service = FuzzedService(schema, database, settings_, admin=admin, nurse=nurse)
    service.admin_token = service.login(admin)
    yield service
    database.dispose()


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda value: value)
def test_openapi_fuzz(method: str, path: str, fuzzed_service: FuzzedService) -> None:
    operation = fuzzed_service.schema[path][method]
    fixed = protocol_headers()  # Authorization is set per call below (logout needs its own session)
    cases = st.one_of(*(operation.as_strategy(mode, headers=fixed) for mode in GenerationMode))

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call(headers=fuzzed_service.headers_for(method, path))
        case.validate_response(response, checks=CHECKS)

    fuzz()
