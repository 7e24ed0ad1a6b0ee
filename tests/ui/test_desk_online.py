"""The desk online, end to end against the REAL central service over HTTP (offscreen Qt).

Online login → the first pull fills the worklist → open a patient → reached →
scale submitted → "Sync now" → the response is on the service. Then the service
stops: the status bar says offline in words, the nurse keeps working; it comes
back and the change arrives. Finally the session ends under an open, unsaved
form: the login dialog comes up modally over the untouched window.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "service"))
sys.path.insert(0, str(TESTS / "sync"))

from live_service import LiveService  # noqa: E402
from service_helpers import NOW, PASSWORD, make_chart  # noqa: E402
from sync_helpers import service_count  # noqa: E402

from nurse_app.desk.context import DeskContext  # noqa: E402
from nurse_app.domain.model import CallOutcome, Role  # noqa: E402
from nurse_app.security.cache_key import ALLOW_TEST_KEYRING_ENV  # noqa: E402
from nurse_app.security.credentials import CredentialStore  # noqa: E402
from nurse_app.store.engine import open_cache  # noqa: E402
from nurse_app.store.migrate import upgrade_to_head  # noqa: E402
from server_sync.client import RetryPolicy  # noqa: E402
from server_sync.service.core.db import make_engine  # noqa: E402
from server_sync.service.core.migrate import upgrade  # noqa: E402
from ui.desk.login import OfflineLoginBackend  # noqa: E402
from ui.desk.online import DeskSync, DeskSyncLink, OnlineFirstLogin, OnlineSyncStatus  # noqa: E402
from ui.desk.read_aloud import NoReadAloud  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.operations import wait_for_all  # noqa: E402

CACHE_KEY = "0123456789abcdef" * 4
SATISFACTION = {code: "5" for code in ("overall", "nursing", "doctor", "environment", "discharge_guidance")}
TOKEN_SECONDS = 3


@pytest.fixture(scope="module", autouse=True)
def test_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Refresh tokens go to a keyring file under tmp (admitted by the documented test variable)."""
    previous_env, previous = os.environ.get(ALLOW_TEST_KEYRING_ENV), keyring.get_keyring()
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


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LiveService]:
    path = tmp_path / "svc.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    live = LiveService(path, access_token_seconds=TOKEN_SECONDS)
    live.start()
    yield live
    live.close()


def _seed(service: LiveService) -> tuple[str, str, list[str]]:
    """A ward, its nurse, and three patients whose open task asks for the satisfaction scale."""
    world = service.world
    ward = world.ward()
    nurse = world.user(Role.NURSE, (ward,), name="n")
    manager = world.user(Role.WARD_MANAGER, (ward,), name="m")
    charts = [make_chart(ward, assignee=nurse) for _ in range(3)]
    for chart in charts:
        chart.task.questionnaires = ("satisfaction",)
    results = world.desk(manager).push(*(record for chart in charts for record in chart.records))
    assert {r["status"] for r in results} == {"applied"}
    return ward, nurse, [chart.task.id for chart in charts]


def _sync_now(qtbot, window: MainWindow) -> None:
    bar = window.status
    bar._last_result = None
    assert bar.sync_button.isVisible() and bar.sync_button.isEnabled()
    bar.sync_button.click()
    qtbot.waitUntil(lambda: bar.sync_button.isEnabled() and bar._last_result is not None, timeout=20_000)


def _open(qtbot, window: MainWindow, task_id: str) -> None:
    window.open_task(task_id)
    qtbot.waitUntil(
        lambda: window.workspace.folder is not None and window.workspace.folder.task.id == task_id,
        timeout=10_000,
    )


def _reach_and_fill(qtbot, window: MainWindow) -> object:
    window.workspace.record(CallOutcome.REACHED)
    host = window.workspace.scale
    qtbot.waitUntil(lambda: host.panel is not None and host.panel.is_loaded(), timeout=10_000)
    panel = host.panel
    panel.view("satisfaction").set_answers(SATISFACTION)
    return panel


def test_online_desk_syncs_works_offline_and_survives_an_ended_session(
    qtbot, tmp_path, desk_settings, service
):
    ward, nurse, task_ids = _seed(service)
    engine = open_cache(tmp_path / "desk.db", CACHE_KEY)
    upgrade_to_head(engine)
    desk_sync = DeskSync(
        lambda: engine,
        service.url,
        credentials=CredentialStore(profile=f"desk-{ward}"),
        debounce=0.3,
        client_options={"retry": RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.2)},
    )
    try:
        # --- online login: user + offline verifier in the cache, sync service started
        user = OnlineFirstLogin(desk_sync, OfflineLoginBackend(lambda: engine)).login(nurse, PASSWORD)
        assert user.wards == (ward,)
        assert OfflineLoginBackend(lambda: engine).valid_until(nurse) is not None
        ctx = DeskContext(engine, user, device="PC-ONLINE", clock=lambda: NOW + timedelta(hours=2))
        window = MainWindow(
            ctx, desk_settings, sync_source=OnlineSyncStatus(desk_sync), read_aloud=NoReadAloud()
        )
        qtbot.addWidget(window)
        prompts: list[bool] = []
        DeskSyncLink(window, desk_sync, desk_settings, prompt=_real_prompt_filled_by(qtbot, prompts))
        window.resize(1366, 768)
        window.show()
        panel = window.worklist
        qtbot.waitUntil(
            lambda: panel.page is not None and panel.model.row_of_task(task_ids[0]) >= 0,
            timeout=20_000,
        )
        assert all(panel.model.row_of_task(t) >= 0 for t in task_ids)

        # --- open, reach, fill and submit the scale, "Sync now": the response is on the service
        _open(qtbot, window, task_ids[0])
        scale = _reach_and_fill(qtbot, window)
        scale.submit_current()
        qtbot.waitUntil(scale.all_submitted, timeout=10_000)
        _sync_now(qtbot, window)
        assert window.status._last_result.ok, window.status._last_result.message
        qtbot.waitUntil(lambda: service_count(service, "response", task_id=task_ids[0]) == 1, timeout=10_000)
        assert service_count(service, "call_attempt", task_id=task_ids[0]) == 1

        # --- the service stops: offline in words; the nurse records a no-answer anyway
        service.stop()
        _sync_now(qtbot, window)
        assert not window.status._last_result.ok
        window.status.refresh()
        qtbot.waitUntil(lambda: "离线" in window.status.online.text(), timeout=10_000)
        assert "无法连接" in window.status.last_sync.text()
        _open(qtbot, window, task_ids[1])
        window.workspace.record(CallOutcome.NO_ANSWER)
        qtbot.waitUntil(lambda: "下次拨打" in window.workspace.call.result.text(), timeout=10_000)
        window.status.refresh()
        qtbot.waitUntil(lambda: window.status.status is not None and window.status.status.pending > 0)
        assert service_count(service, "call_attempt", task_id=task_ids[1]) == 0

        # --- back online: the no-answer arrives
        service.start()
        _sync_now(qtbot, window)
        assert window.status._last_result.ok, window.status._last_result.message
        assert service_count(service, "call_attempt", task_id=task_ids[1]) == 1
        window.status.refresh()
        qtbot.waitUntil(lambda: "在线" in window.status.online.text(), timeout=10_000)

        # --- short access tokens are renewed without the nurse noticing
        refreshed = desk_sync.client.auth.refresh_count
        time.sleep(TOKEN_SECONDS)
        _sync_now(qtbot, window)
        assert window.status._last_result.ok and desk_sync.client.auth.refresh_count > refreshed
        assert prompts == []

        # --- the session ends under an open, unsaved form: modal re-login, nothing lost
        _open(qtbot, window, task_ids[2])
        open_form = _reach_and_fill(qtbot, window)
        assert open_form.has_unsubmitted_answers()
        desk_sync.client.auth.credentials.forget_refresh_token(service.url, nurse)
        time.sleep(TOKEN_SECONDS)
        # Not _sync_now: the re-login's own sync may succeed first, and a successful background sync
        # rightly clears the button's failed result, so wait for the prompt instead.
        window.status.sync_button.click()
        qtbot.waitUntil(lambda: prompts == [True], timeout=20_000)
        assert window.isVisible() and window.workspace.folder.task.id == task_ids[2]
        assert window.workspace.scale.panel is open_form and open_form.has_unsubmitted_answers()
        assert open_form.view("satisfaction").answers() == SATISFACTION
        qtbot.waitUntil(lambda: desk_sync.service.status().last_error is None, timeout=20_000)
        window.workspace.scale.panel.submit_current()
        qtbot.waitUntil(window.workspace.scale.panel.all_submitted, timeout=10_000)
        _sync_now(qtbot, window)
        assert window.status._last_result.ok, window.status._last_result.message
        assert service_count(service, "response", task_id=task_ids[2]) == 1
    finally:
        desk_sync.stop()
        wait_for_all()
        engine.dispose()


def _real_prompt_filled_by(qtbot, prompts: list[bool]):
    """The app's own modal login dialog, filled in by a timer as a nurse would."""
    from ui.desk.online import _login_prompt

    def prompt(window, backend, username) -> bool:
        assert window.workspace.scale.panel.has_unsubmitted_answers()  # the form is under the dialog

        def fill() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None or not hasattr(dialog, "password"):
                QTimer.singleShot(50, fill)
                return
            dialog.password.setText(PASSWORD)
            dialog.try_login()

        QTimer.singleShot(50, fill)
        accepted = _login_prompt(window, backend, username)
        prompts.append(accepted)
        return accepted

    return prompt
