"""Administration pages against the REAL central service over HTTP (offscreen Qt, pytest-qt).

Publish a plan from the editor and find it on the service; the dry run explains a match
from the local cache; a ward manager accepts an enrollment candidate; an admin adds and
disables a user; a dead-lettered HL7 discharge is shown raw and replayed after the fix.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import select

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "service"))
sys.path.insert(0, str(TESTS / "sync"))

from desk_fixtures import DESK_NOW  # noqa: E402
from live_service import LiveService  # noqa: E402
from service_helpers import PASSWORD  # noqa: E402

from nurse_app.domain.model import (  # noqa: E402
    InclusionRule,
    OffsetUnit,
    Plan,
    PlanStep,
    PublicationStatus,
    RetryPolicy,
    Role,
    Ward,
)
from nurse_app.security.cache_key import ALLOW_TEST_KEYRING_ENV  # noqa: E402
from nurse_app.security.credentials import CredentialStore  # noqa: E402
from server_sync.client import SyncClient  # noqa: E402
from server_sync.protocol import entity_to_payload  # noqa: E402
from server_sync.service.config import publishing  # noqa: E402
from server_sync.service.config import service as config_service  # noqa: E402
from server_sync.service.config.models import ConfigDocumentRow  # noqa: E402
from server_sync.service.core.db import make_engine  # noqa: E402
from server_sync.service.core.migrate import upgrade  # noqa: E402
from server_sync.service.intake import hl7_intake  # noqa: E402
from server_sync.service.intake.config import IntakeSettings  # noqa: E402
from server_sync.service.intake.models import DeadLetterRow, PlanMatchRow  # noqa: E402
from ui.admin import DEAD_LETTERS, PLANS, REVIEW, USERS, AdminWindow, pages_for  # noqa: E402
from ui.admin.plan_editor import PlanEditorPage  # noqa: E402
from ui.operations import wait_for_all  # noqa: E402

HL7 = TESTS / "fixtures" / "hl7"
WAIT = 15_000


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


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    path = tmp_path_factory.mktemp("admin-svc") / "svc.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    live = LiveService(path)
    live.start()
    yield live
    wait_for_all()
    live.close()


@pytest.fixture
def session_for(service, desk_engine):
    """Log a service user in through the desk's SyncClient; returns its auth provider."""
    clients: list[SyncClient] = []

    def login(username: str):
        client = SyncClient(
            desk_engine, service.url, credentials=CredentialStore(f"adm-{uuid.uuid4().hex[:6]}")
        )
        client.login(username, PASSWORD)
        clients.append(client)
        return lambda: client.auth

    yield login
    wait_for_all()
    for client in clients:
        client.close()


def _window(qtbot, auth, role: str, desk_engine) -> AdminWindow:
    window = AdminWindow(auth, role, desk_engine, lambda: DESK_NOW)
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.show()
    return window


def _rows(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def _hl7(name: str, ward: str, **extra: str) -> bytes:
    data = (HL7 / name).read_bytes()
    values = {
        "$CTRL": uuid.uuid4().hex[:16],
        "$MRN": f"ZY{uuid.uuid4().hex[:10]}",
        "$VISIT": f"V{uuid.uuid4().hex[:10]}",
        "$WARD2": ward,
        "$WARD": ward,
        **extra,
    }
    for key, value in values.items():
        data = data.replace(key.encode(), value.encode())
    return data


def test_roles_see_their_pages():
    assert pages_for("admin") == (PLANS, REVIEW, USERS, "wards", DEAD_LETTERS)
    assert pages_for("ward_manager") == (REVIEW,)
    assert pages_for("nurse") == ()


def test_plan_editor_validates_dry_runs_and_publishes(qtbot, service, session_for, desk_engine):
    admin = service.world.user(Role.ADMIN, name="adm")
    window = _window(qtbot, session_for(admin), "admin", desk_engine)
    window.show_page(PLANS)
    editor: PlanEditorPage = window.pages[PLANS]
    code = f"HF-{service.world.tag}"
    plan = Plan(
        code,
        1,
        "心衰出院随访",
        PublicationStatus.PUBLISHED,
        (
            PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, ("general_followup",), "general"),
            PlanStep(2, "出院7天随访", 7, OffsetUnit.DAYS, 72, ("heart_failure",)),
        ),
        departments=("心内科",),
        inclusion_rules=(
            InclusionRule("icd10_prefix", "I50", 1.5),
            InclusionRule("age_min", "65", 0.5),
            InclusionRule("exclude", "deceased", 0),
        ),
        enrollment_threshold=1.5,
        retry=RetryPolicy(4, 2.0),
    )
    editor.set_plan(plan)
    assert editor.error is None and editor.publish_button.isEnabled()
    assert "有效" in editor.validation.text()

    # The domain's validation shows inline: a first step with a 12 h window is refused.
    editor.steps.cellWidget(0, 3).setValue(12)
    assert editor.error and "24" in editor.error and not editor.publish_button.isEnabled()
    editor.steps.cellWidget(0, 3).setValue(24)
    assert editor.error is None

    # Dry run: the cache's heart-failure discharges of the last 30 days, each explained.
    with qtbot.waitSignal(editor.sig_dry_run_done, timeout=WAIT) as done:
        qtbot.mouseClick(editor.dry_run_button, qtbot_button())
    report = done.args[0]
    assert report.discharges > 0 and report.enrolled > 0
    row = report.rows[0]
    assert row.diagnosis.startswith("I50") and any(t.startswith("icd10_prefix=I50 +1.5") for t in row.tags)
    assert "*" in row.patient  # masked name
    shown = _rows(editor.results)
    assert shown[0][0] == row.patient and "icd10_prefix=I50" in shown[0][6] and shown[0][5] == "入组"
    assert "近 30 天" in editor.summary.text()

    # Publish: version 1 on the service; an edit publishes version 2.
    with qtbot.waitSignal(editor.sig_published, timeout=WAIT) as published:
        qtbot.mouseClick(editor.publish_button, qtbot_button())
    assert published.args[0]["version"] == 1
    editor.threshold.setValue(2.0)
    with qtbot.waitSignal(editor.sig_published, timeout=WAIT) as published:
        qtbot.mouseClick(editor.publish_button, qtbot_button())
    assert published.args[0]["version"] == 2 and "第 2 版" in editor.message.text()
    with service.database.session() as db_session:
        rows = db_session.scalars(
            select(ConfigDocumentRow).where(ConfigDocumentRow.kind == "plan", ConfigDocumentRow.key == code)
        ).all()
    bodies = {r.version: r.body for r in rows}
    assert set(bodies) == {1, 2}
    assert bodies[2]["enrollment_threshold"] == 2.0 and bodies[2]["retry"]["max_attempts"] == 4
    assert [r["kind"] for r in bodies[2]["inclusion_rules"]] == ["icd10_prefix", "age_min", "exclude"]
    assert bodies[2]["steps"][1]["questionnaires"] == ["heart_failure"]
    qtbot.waitUntil(lambda: editor.existing.findData(code) >= 0, timeout=WAIT)


def test_ward_manager_accepts_a_candidate(qtbot, service, session_for, desk_engine):
    world = service.world
    ward = world.ward("R")
    code = f"REVIEW-{world.tag}"
    plan = Plan(
        code,
        1,
        "候选",
        PublicationStatus.PUBLISHED,
        (PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24),),
        wards=(ward,),
        inclusion_rules=(InclusionRule("icd10_prefix", "I50", 1.0), InclusionRule("readmission", "30", 1.0)),
        enrollment_threshold=2.0,
    )
    with service.database.transaction() as s:
        publishing.publish_plan(db_session=s, body=entity_to_payload(plan), actor="test")
    outcome = hl7_intake.process(
        database=service.database,
        raw=_hl7("a03_discharge.hl7", ward),
        settings=IntakeSettings(),
        source="test",
    )
    assert outcome.code == "AA", outcome.ack

    manager = world.user(Role.WARD_MANAGER, (ward,), name="hz")
    window = _window(qtbot, session_for(manager), "ward_manager", desk_engine)
    assert list(window.pages) == [REVIEW]
    page = window.pages[REVIEW]
    window.show_page(REVIEW)
    qtbot.waitUntil(lambda: any(c["plan_code"] == code for c in page.queue["enrollments"]), timeout=WAIT)
    candidate = next(c for c in page.queue["enrollments"] if c["plan_code"] == code)
    assert any("icd10_prefix=I50 +1" in row[5] for row in _rows(page.candidates))
    assert not page.merge_button.isEnabled()  # merging patients is for admins
    page.select_candidate(candidate["id"])
    with qtbot.waitSignal(page.sig_decided, timeout=WAIT) as decided:
        qtbot.mouseClick(page.accept_button, qtbot_button())
    assert decided.args[0]["status"] == "accepted" and decided.args[0]["enrollment_id"]
    qtbot.waitUntil(lambda: "已完成" in page.message.text(), timeout=WAIT)
    with service.database.session() as db_session:
        assert db_session.get(PlanMatchRow, candidate["id"]).status == "accepted"

    # Nothing selected: said in words, nothing sent.
    page.candidates.clearSelection()
    page.candidates.setCurrentCell(-1, -1)
    page.decide_candidate(accept=False)
    assert "请先选择" in page.message.text()


def test_admin_adds_and_disables_a_user(qtbot, service, session_for, desk_engine):
    world = service.world
    ward = world.ward("U")
    admin = world.user(Role.ADMIN, name="adm")
    window = _window(qtbot, session_for(admin), "admin", desk_engine)
    window.show_page(USERS)
    page = window.pages[USERS]
    qtbot.waitUntil(lambda: page.wards.count() > 0, timeout=WAIT)

    username = f"n.{world.tag.lower()}.new"
    qtbot.keyClicks(page.username, username)
    page.display_name.setText("王小芳")  # keyClicks cannot type Han characters
    page.role.setCurrentIndex(page.role.findData("nurse"))
    qtbot.keyClicks(page.password, "short")
    qtbot.mouseClick(page.add_button, qtbot_button())
    assert "8" in page.message.text()  # refused locally, in words
    page.password.clear()
    qtbot.keyClicks(page.password, "a-good-password-1")
    page.check_ward(ward)
    with qtbot.waitSignal(page.sig_changed, timeout=WAIT):
        qtbot.mouseClick(page.add_button, qtbot_button())
    qtbot.waitUntil(lambda: page.user(username) is not None, timeout=WAIT)
    assert page.user(username)["wards"] == [ward] and page.user(username)["active"] is True
    assert world.login_response(username, "a-good-password-1").status_code == 200

    # The same username again: the service's refusal, in words.
    qtbot.keyClicks(page.username, username)
    page.display_name.setText("重复")
    qtbot.keyClicks(page.password, "a-good-password-1")
    qtbot.mouseClick(page.add_button, qtbot_button())
    qtbot.waitUntil(lambda: "冲突" in page.message.text(), timeout=WAIT)

    page.select_user(username)
    with qtbot.waitSignal(page.sig_changed, timeout=WAIT):
        qtbot.mouseClick(page.disable_button, qtbot_button())
    qtbot.waitUntil(lambda: page.user(username)["active"] is False, timeout=WAIT)
    row = next(r for r in _rows(page.table) if r[0] == username)
    assert row[4] == "已停用" and row[2] == "护士"
    assert world.login_response(username, "a-good-password-1").status_code in (401, 403, 423)


def test_dead_letter_shown_raw_and_replayed(qtbot, service, session_for, desk_engine):
    world = service.world
    missing_ward = f"NEW{world.tag}"
    raw = _hl7("a03_discharge.hl7", missing_ward)
    outcome = hl7_intake.process(database=service.database, raw=raw, settings=IntakeSettings(), source="test")
    assert outcome.code == "AE" and outcome.dead_letter_id
    broken = hl7_intake.process(
        database=service.database, raw=_hl7("bad_birth_date.hl7", missing_ward), settings=IntakeSettings()
    )
    assert broken.dead_letter_id

    admin = world.user(Role.ADMIN, name="adm")
    window = _window(qtbot, session_for(admin), "admin", desk_engine)
    window.show_page(DEAD_LETTERS)
    page = window.pages[DEAD_LETTERS]
    qtbot.waitUntil(lambda: any(d["id"] == outcome.dead_letter_id for d in page.letters), timeout=WAIT)

    # The malformed message: raw text and reason shown; replaying fails again, said in words.
    page.select_letter(broken.dead_letter_id)
    qtbot.waitUntil(
        lambda: page.shown is not None and page.shown["id"] == broken.dead_letter_id, timeout=WAIT
    )
    assert page.raw.toPlainText().startswith("MSH|") and "\nPID|" in page.raw.toPlainText()
    assert page.reason.text().startswith("原因：")
    with qtbot.waitSignal(page.sig_replayed, timeout=WAIT):
        qtbot.mouseClick(page.replay_button, qtbot_button())
    qtbot.waitUntil(lambda: "重放仍然失败" in page.message.text(), timeout=WAIT)

    # The unknown ward: IT adds it, then replays — the discharge is applied.
    with service.database.transaction() as s:
        config_service.upsert_ward(
            db_session=s, ward=Ward(missing_ward, "新病区", "心内科"), published_by="test"
        )
    page.select_letter(outcome.dead_letter_id)
    qtbot.waitUntil(
        lambda: page.shown is not None and page.shown["id"] == outcome.dead_letter_id, timeout=WAIT
    )
    assert missing_ward in page.raw.toPlainText()
    with qtbot.waitSignal(page.sig_replayed, timeout=WAIT) as replayed:
        qtbot.mouseClick(page.replay_button, qtbot_button())
    assert replayed.args[0]["status"] == "replayed"
    qtbot.waitUntil(lambda: "重放成功" in page.message.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: all(d["id"] != outcome.dead_letter_id for d in page.letters), timeout=WAIT)
    with service.database.session() as db_session:
        assert db_session.get(DeadLetterRow, outcome.dead_letter_id).status == "replayed"


def test_offline_desk_says_so_in_words(qtbot, desk_engine):
    window = _window(qtbot, lambda: None, "admin", desk_engine)
    window.show_page(DEAD_LETTERS)
    page = window.pages[DEAD_LETTERS]
    qtbot.waitUntil(lambda: "联网登录" in page.message.text(), timeout=WAIT)


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


@pytest.mark.parametrize(("role", "pages"), [(Role.ADMIN, 5), (Role.WARD_MANAGER, 1), (Role.NURSE, 0)])
def test_main_window_menu_only_for_admin_and_ward_manager(qtbot, desk_ctx, desk_settings, role, pages):
    import dataclasses

    from ui.admin.hook import open_admin
    from ui.desk.read_aloud import NoReadAloud
    from ui.main_window import MainWindow

    desk_ctx.user = dataclasses.replace(desk_ctx.user, role=role)
    window = MainWindow(desk_ctx, desk_settings, read_aloud=NoReadAloud())
    qtbot.addWidget(window)
    if not pages:
        assert window.admin_menu is None
        return
    assert window.admin_menu.title() == "管理(&A)" and len(window.admin_actions) == pages
    admin_window = open_admin(window, REVIEW)  # offline desk: the page says so in words
    assert admin_window.tabs.currentWidget() is admin_window.pages[REVIEW]
    page = admin_window.pages[REVIEW]
    qtbot.waitUntil(lambda: "联网登录" in page.message.text(), timeout=WAIT)
