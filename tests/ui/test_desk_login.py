"""Offline login: the argon2 verifier in the cache, its expiry, and the login dialog's messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_fixtures import DESK_NOW
from PySide6.QtWidgets import QDialog

from nurse_app.demo.generate import DEMO_NURSE
from nurse_app.security.offline_login import (
    NoOfflineVerifier,
    OfflineVerifierExpired,
    UnknownUserOrPassword,
    set_offline_verifier,
    verify_offline,
)
from nurse_app.store.engine import session_factory
from nurse_app.store.models import UserRow
from ui.desk import settings as s
from ui.desk.login import OfflineLoginBackend
from ui.desk.login_dialog import LoginDialog

PASSWORD = "demo1234"


def _set_verifier(engine, valid_until) -> None:
    with session_factory(engine).begin() as session:
        set_offline_verifier(session, DEMO_NURSE, PASSWORD, valid_until)


def test_verifier_checks_password_and_expiry(desk_engine):
    _set_verifier(desk_engine, DESK_NOW + timedelta(hours=72))
    with session_factory(desk_engine)() as session:
        login = verify_offline(session, DEMO_NURSE, PASSWORD, now=DESK_NOW)
        assert login.user.username == DEMO_NURSE and login.user.wards == ("CARD1",)
        with pytest.raises(UnknownUserOrPassword):
            verify_offline(session, DEMO_NURSE, "wrong", now=DESK_NOW)
        with pytest.raises(UnknownUserOrPassword):
            verify_offline(session, "nobody", PASSWORD, now=DESK_NOW)
        with pytest.raises(OfflineVerifierExpired):
            verify_offline(session, DEMO_NURSE, PASSWORD, now=DESK_NOW + timedelta(hours=73))
        with pytest.raises(NoOfflineVerifier):
            verify_offline(session, "demo.manager", PASSWORD, now=DESK_NOW)
        stored = session.get(UserRow, DEMO_NURSE).password_verifier
    assert stored.startswith("$argon2") and PASSWORD not in stored


def _dialog(qtbot, engine, settings, now=DESK_NOW) -> LoginDialog:
    dialog = LoginDialog(OfflineLoginBackend(lambda: engine, clock=lambda: now), settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_offline_login_succeeds_and_remembers_the_username_only(qtbot, desk_engine, desk_settings):
    _set_verifier(desk_engine, DESK_NOW + timedelta(hours=72))
    dialog = _dialog(qtbot, desk_engine, desk_settings)
    dialog.username.setText(DEMO_NURSE)
    dialog.refresh_hint()
    qtbot.waitUntil(lambda: "离线登录有效期至" in dialog.offline_hint.text(), timeout=5000)
    dialog.password.setText(PASSWORD)
    dialog.try_login()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.user is not None and dialog.user.username == DEMO_NURSE
    assert desk_settings.get(s.LAST_USER) == DEMO_NURSE
    stored = {key: desk_settings.store.value(key) for key in desk_settings.store.allKeys()}
    assert PASSWORD not in str(stored)
    # The next login on this PC starts with the username filled in.
    again = _dialog(qtbot, desk_engine, desk_settings)
    assert again.username.text() == DEMO_NURSE


def test_wrong_password_is_refused_with_a_clear_message(qtbot, desk_engine, desk_settings):
    _set_verifier(desk_engine, DESK_NOW + timedelta(hours=72))
    dialog = _dialog(qtbot, desk_engine, desk_settings)
    dialog.username.setText(DEMO_NURSE)
    dialog.password.setText("not-it")
    dialog.try_login()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=5000)
    assert dialog.error.text() == "用户名或密码错误。"
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.user is None
    assert dialog.password.text() == ""


def test_expired_verifier_asks_for_an_online_login(qtbot, desk_engine, desk_settings):
    _set_verifier(desk_engine, DESK_NOW - timedelta(hours=1))
    dialog = _dialog(qtbot, desk_engine, desk_settings)
    dialog.username.setText(DEMO_NURSE)
    dialog.password.setText(PASSWORD)
    dialog.try_login()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=5000)
    assert "离线登录已于" in dialog.error.text() and "过期" in dialog.error.text()
    assert dialog.user is None
