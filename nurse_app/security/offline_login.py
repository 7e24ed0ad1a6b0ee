"""Offline login: an argon2 verifier of the user's password kept in the encrypted cache.

DESIGN "Sync/Auth": a ward PC is often offline, so after each online login the
password's argon2 hash is stored in ``users.password_verifier`` with an expiry
(``verifier_valid_until``, 72 h by default). Until then the nurse can log in
without the server. The password itself is never stored anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import User, require_utc
from nurse_app.store.models import UserRow
from nurse_app.store.repository import CacheRepository

DEFAULT_OFFLINE_VALIDITY = timedelta(hours=72)

# argon2-cffi's RFC 9106 "low memory" profile: ~50 ms on a ward PC, strong enough for a
# verifier that only lives inside an encrypted cache.
_hasher = PasswordHasher()


class OfflineLoginError(DomainError):
    """Offline login refused; ``reason`` tells the UI which message to show."""

    reason = "failed"


class UnknownUserOrPassword(OfflineLoginError):
    reason = "wrong_password"


class NoOfflineVerifier(OfflineLoginError):
    reason = "no_verifier"


class OfflineVerifierExpired(OfflineLoginError):
    reason = "expired"

    def __init__(self, message: str, valid_until: datetime) -> None:
        super().__init__(message)
        self.valid_until = valid_until


class AccountDisabled(OfflineLoginError):
    reason = "disabled"


@dataclass(frozen=True, slots=True)
class OfflineLogin:
    user: User
    valid_until: datetime


def set_offline_verifier(session: Session, username: str, password: str, valid_until: datetime) -> None:
    """Store the argon2 verifier of ``password`` for ``username`` (after an online login, or for demos)."""
    row = session.get(UserRow, username)
    if row is None:
        raise DomainError(f"user '{username}' is not in this PC's cache")
    row.password_verifier = _hasher.hash(password)
    row.verifier_valid_until = require_utc(valid_until, "valid_until")


def offline_valid_until(session: Session, username: str) -> datetime | None:
    """Until when ``username`` may log in offline on this PC (None: no verifier)."""
    row = session.get(UserRow, username)
    if row is None or row.password_verifier is None:
        return None
    return row.verifier_valid_until


def verify_offline(session: Session, username: str, password: str, *, now: datetime) -> OfflineLogin:
    """The user, when ``password`` matches the stored verifier and it has not expired.

    The same message for an unknown user and a wrong password, so the login
    screen does not reveal which usernames exist on this PC.
    """
    now = require_utc(now, "now")
    row = session.get(UserRow, username.strip())
    if row is None:
        # Spend the same time as a real check: no timing hint about which accounts exist.
        _hasher.hash(password)
        raise UnknownUserOrPassword("unknown user or wrong password")
    if row.password_verifier is None or row.verifier_valid_until is None:
        raise NoOfflineVerifier(f"{username} has never logged in online on this PC")
    try:
        _hasher.verify(row.password_verifier, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise UnknownUserOrPassword("unknown user or wrong password") from None
    if row.verifier_valid_until < now:
        raise OfflineVerifierExpired(
            f"offline login of {username} expired at {row.verifier_valid_until.isoformat()}",
            row.verifier_valid_until,
        )
    if not row.active:
        raise AccountDisabled(f"account {username} is disabled")
    user = CacheRepository(session).get_user(row.username)
    assert user is not None
    return OfflineLogin(user, row.verifier_valid_until)
