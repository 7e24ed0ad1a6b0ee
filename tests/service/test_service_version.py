"""Desk app versions under IT's control: announced on every answer, sync refused below the minimum."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from pydantic import ValidationError
from service_helpers import PASSWORD, make_chart
from sqlalchemy import func, select

from nurse_app import __version__
from nurse_app.domain.model import Role
from server_sync.protocol import (
    CLIENT_CURRENT_HEADER,
    CLIENT_MINIMUM_HEADER,
    CLIENT_VERSION_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
)
from server_sync.service.app import create_app
from server_sync.service.core.config import Settings
from server_sync.service.records.models import PatientRow
from server_sync.service.sync.models import ChangeRow, SyncClientRow

REFUSAL_ZH = "此版本的护士站已停止同步，请联系信息科升级"
REFUSAL_EN = "no longer syncs: ask IT to update it"


@pytest.fixture
def strict(settings, database) -> Iterator[httpx.Client]:
    """The same service and database over real HTTP, with IT requiring desk 2.0 and announcing 2.1."""
    configured = settings.model_copy(update={"client_current_version": "2.1", "client_min_version": "2.0"})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(configured, database), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-version-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.02)
    headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def _counts(database, client_id: str, chart) -> tuple[int, int, int]:
    ids = [record.id for record in chart.records]
    with database.session() as db_session:
        changes = db_session.scalar(select(func.count()).where(ChangeRow.entity_id.in_(ids)))
        patients = db_session.scalar(select(func.count()).where(PatientRow.id == chart.patient.id))
        clients = db_session.scalar(select(func.count()).where(SyncClientRow.client_id == client_id))
    return changes, patients, clients


def test_defaults_announce_the_package_version_and_no_minimum(world):
    plain = world.http()
    health = plain.get("/health")
    assert health.headers[CLIENT_CURRENT_HEADER] == __version__
    assert health.headers[CLIENT_MINIMUM_HEADER] == "0.0.0"
    version = plain.get("/version")
    assert version.status_code == 200
    assert version.json() == {"client_current_version": __version__, "client_min_version": "0.0.0"}
    # No minimum: even an unreadable client version syncs.
    desk = world.desk(world.user(Role.NURSE, (world.ward(),)))
    pulled = desk.http.get("/sync/pull", params={"cursor": 0}, headers={CLIENT_VERSION_HEADER: "garbage"})
    assert pulled.status_code == 200, pulled.text
    assert pulled.headers[CLIENT_CURRENT_HEADER] == __version__


def test_settings_are_pep440_versions_and_read_from_the_environment(monkeypatch):
    with pytest.raises(ValidationError, match="not a version number"):
        Settings(client_min_version="latest")
    monkeypatch.setenv("FOLLOWUP_CLIENT_CURRENT_VERSION", "1.4.0")
    monkeypatch.setenv("FOLLOWUP_CLIENT_MIN_VERSION", "1.2")
    configured = Settings()
    assert (configured.client_current_version, configured.client_min_version) == ("1.4.0", "1.2")
    assert Settings.model_fields["client_current_version"].default == __version__


def test_every_answer_announces_the_configured_versions(strict):
    for path in ("/health", "/version", "/no-such-path"):
        answer = strict.get(path)
        assert answer.headers[CLIENT_CURRENT_HEADER] == "2.1", path
        assert answer.headers[CLIENT_MINIMUM_HEADER] == "2.0", path
        assert answer.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION), path
    assert strict.get("/version").json() == {"client_current_version": "2.1", "client_min_version": "2.0"}
    # A protocol refusal carries them too.
    skewed = strict.get("/health", headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1)})
    assert skewed.status_code == 426 and skewed.headers[CLIENT_MINIMUM_HEADER] == "2.0"


def test_old_client_push_and_pull_get_426_before_any_data_is_touched(world, strict, database):
    ward = world.ward()
    username = world.user(Role.NURSE, (ward,))
    desk = world.desk(username)
    auth = {"Authorization": f"Bearer {desk.login['access_token']}"}
    old = {**auth, CLIENT_VERSION_HEADER: "1.9.9"}
    chart = make_chart(ward)
    body = {
        "client_id": desk.client_id,
        "protocol_version": PROTOCOL_VERSION,
        "mutations": [desk.mutation(record) for record in chart.records],
    }
    before = _counts(database, desk.client_id, chart)
    assert before == (0, 0, 0)

    pushed = strict.post("/sync/push", json=body, headers=old)
    assert pushed.status_code == 426
    refusal = pushed.json()
    assert refusal["code"] == "client_too_old"
    assert REFUSAL_ZH in refusal["message"] and REFUSAL_EN in refusal["message"]
    assert "1.9.9" in refusal["message"] and "2.0" in refusal["message"]
    assert pushed.headers[CLIENT_CURRENT_HEADER] == "2.1"
    assert pushed.headers[CLIENT_MINIMUM_HEADER] == "2.0"

    pulled = strict.get("/sync/pull", params={"cursor": 0}, headers=old)
    assert pulled.status_code == 426 and pulled.json()["code"] == "client_too_old"
    for path in ("/config", "/sync/issues", f"/records/patient/{chart.patient.id}"):
        refused = strict.get(path, headers=old)
        assert refused.status_code == 426 and refused.json()["code"] == "client_too_old", path
    # Unreadable versions are below any minimum.
    garbled = strict.post("/sync/push", json=body, headers={**auth, CLIENT_VERSION_HEADER: "x.y"})
    assert garbled.status_code == 426 and garbled.json()["code"] == "client_too_old"

    assert _counts(database, desk.client_id, chart) == before  # nothing written, no client row

    # Logging in still works for the old desk, so it can say why it does not sync.
    login_body = {"username": username, "password": PASSWORD, "device_id": "old-pc", "device_name": "old"}
    login = strict.post("/auth/login", json=login_body, headers={CLIENT_VERSION_HEADER: "1.0"})
    assert login.status_code == 200, login.text

    # The same push from an up-to-date desk is applied (the refused one left no trace).
    for version in ("2.0", "2.1.3"):
        current = strict.get(
            "/sync/pull", params={"cursor": 0}, headers={**auth, CLIENT_VERSION_HEADER: version}
        )
        assert current.status_code == 200, current.text
    applied = strict.post("/sync/push", json=body, headers={**auth, CLIENT_VERSION_HEADER: "2.0"})
    assert applied.status_code == 200, applied.text
    statuses = [result["status"] for result in applied.json()["results"]]
    assert statuses == ["applied"] * len(chart.records)
    assert _counts(database, desk.client_id, chart) == (len(chart.records), 1, 1)


def test_requests_without_a_client_version_are_served(world, strict):
    """Browsers, probes and admin tools send no desk version; only desks are held to the minimum."""
    desk = world.desk(world.user(Role.NURSE, (world.ward(),)))
    auth = {"Authorization": f"Bearer {desk.login['access_token']}"}
    assert strict.get("/sync/pull", params={"cursor": 0}, headers=auth).status_code == 200
    assert strict.get("/health").status_code == 200
