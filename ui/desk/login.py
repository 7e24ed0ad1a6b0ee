"""Login backends: the dialog asks a :class:`LoginBackend`; offline login is the first one.

Where the online login plugs in: the sync client implements ``LoginBackend``
against the central service (and, on success, calls
``nurse_app.security.offline_login.set_offline_verifier`` so the nurse can log
in offline for the next 72 h); :class:`FallbackLogin` tries it first and falls
back to the offline verifier only when the server cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from nurse_app.domain.model import User, utc_now
from nurse_app.security.offline_login import (
    OfflineLoginError,
    OfflineVerifierExpired,
    offline_valid_until,
    verify_offline,
)
from nurse_app.store.engine import session_factory
from ui.i18n import _


class LoginFailed(Exception):
    """Login refused; ``str(error)`` is the message for the nurse, in the current language."""


class ServerUnreachable(Exception):
    """Raised by an online backend when it cannot reach the service (then offline login is tried)."""


class LoginBackend(Protocol):
    def login(self, username: str, password: str) -> User:
        """The logged-in user, or LoginFailed (online: ServerUnreachable). Runs off the GUI thread."""
        ...

    def valid_until(self, username: str) -> datetime | None:
        """Until when ``username`` may log in offline on this PC (None: unknown or never)."""
        ...


def _message(error: OfflineLoginError) -> str:
    if isinstance(error, OfflineVerifierExpired):
        when = error.valid_until.astimezone().strftime("%Y-%m-%d %H:%M")
        return _(
            "Offline login expired on {time}. Connect to the hospital network and log in online."
        ).format(time=when)
    messages = {
        "wrong_password": _("Wrong username or password."),
        "no_verifier": _(
            "This account has not logged in online on this PC yet; offline login is not possible."
        ),
        "disabled": _("This account is disabled."),
    }
    return messages.get(error.reason, _("Login failed."))


class OfflineLoginBackend:
    """Checks the password against the argon2 verifier kept in the encrypted cache."""

    def __init__(self, engine: Callable[[], Engine], clock: Callable[[], datetime] = utc_now) -> None:
        # A callable: the cache may still be opening (keyring, migration) when the dialog appears.
        self._engine = engine
        self._clock = clock

    def login(self, username: str, password: str) -> User:
        if not username.strip() or not password:
            raise LoginFailed(_("Enter your username and password."))
        with session_factory(self._engine())() as session:
            try:
                return verify_offline(session, username, password, now=self._clock()).user
            except OfflineLoginError as error:
                raise LoginFailed(_message(error)) from error

    def valid_until(self, username: str) -> datetime | None:
        if not username.strip():
            return None
        with session_factory(self._engine())() as session:
            return offline_valid_until(session, username.strip())


class FallbackLogin:
    """Online first, offline when the server is unreachable (the slot the sync client fills)."""

    def __init__(self, online: LoginBackend, offline: LoginBackend) -> None:
        self.online = online
        self.offline = offline

    def login(self, username: str, password: str) -> User:
        try:
            return self.online.login(username, password)
        except ServerUnreachable:
            return self.offline.login(username, password)

    def valid_until(self, username: str) -> datetime | None:
        return self.offline.valid_until(username)
