"""Sync credentials of this PC, kept only in the OS keyring: refresh token, device id, last user.

DESIGN "Sync": the refresh token never touches a plain file or a log. The same
backend policy as the cache key applies (``cache_key.secure_keyring``): only a
secure OS keyring is used; plaintext backends are refused unless the test
variable documented in ``cache_key`` admits the test keyring.

Entries live under the keyring service ``followup-nurse-station``; the user
names are prefixed with a *profile* (default ``"default"``) so that tests can
simulate several PCs in one process, and the refresh token is additionally
keyed by the server address so pointing a PC at another server never sends it
a token it did not issue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from nurse_app.security.cache_key import SERVICE_NAME, secure_keyring
from nurse_app.store.errors import KeyringUnavailable

__all__ = ["CredentialStore", "CredentialStoreUnavailable"]

T = TypeVar("T")


class CredentialStoreUnavailable(RuntimeError):
    """No secure OS keyring can hold the sync credentials; the message says what to install."""


class CredentialStore:
    """Read and write this PC's sync secrets in the OS keyring (never anywhere else)."""

    def __init__(self, profile: str = "default") -> None:
        self.profile = profile

    def _name(self, what: str) -> str:
        return f"sync:{self.profile}:{what}"

    def _call(self, action: str, func: Callable[[object], T]) -> T:
        try:
            backend = secure_keyring()
        except KeyringUnavailable as error:
            raise CredentialStoreUnavailable(f"sync credentials cannot be kept safely: {error}") from error
        try:
            return func(backend)
        except Exception as error:  # locked collection, D-Bus gone, access denied…
            # repr of the error only: it never contains the secret (we never pass it to a message).
            raise CredentialStoreUnavailable(
                f"the OS keyring failed to {action} a sync credential ({type(error).__name__}); "
                "unlock the login keyring or ask IT to repair it"
            ) from None

    def _get(self, what: str) -> str | None:
        return self._call("read", lambda b: b.get_password(SERVICE_NAME, self._name(what)))  # type: ignore[attr-defined]

    def _set(self, what: str, value: str) -> None:
        self._call("store", lambda b: b.set_password(SERVICE_NAME, self._name(what), value))  # type: ignore[attr-defined]

    def _delete(self, what: str) -> None:
        def delete(backend: object) -> None:
            if backend.get_password(SERVICE_NAME, self._name(what)) is not None:  # type: ignore[attr-defined]
                backend.delete_password(SERVICE_NAME, self._name(what))  # type: ignore[attr-defined]

        self._call("delete", delete)

    # --- device id ------------------------------------------------------------------------------

    def device_id(self) -> str:
        """This PC's persistent device id (made and stored on first use)."""
        value = self._get("device-id")
        if not value:
            value = f"pc-{uuid.uuid4()}"
            self._set("device-id", value)
        return value

    # --- last user ------------------------------------------------------------------------------

    def last_user(self) -> str | None:
        return self._get("last-user")

    def set_last_user(self, username: str) -> None:
        self._set("last-user", username)

    # --- refresh token --------------------------------------------------------------------------

    def refresh_token(self, server: str, username: str) -> str | None:
        """The stored refresh token of ``username`` on ``server``, or None."""
        return self._get(f"refresh:{server}:{username}")

    def set_refresh_token(self, server: str, username: str, token: str) -> None:
        """Store a (rotated) refresh token; the previous one is replaced."""
        self._set(f"refresh:{server}:{username}", token)

    def forget_refresh_token(self, server: str, username: str) -> None:
        """Log out: the token is removed from the keyring."""
        self._delete(f"refresh:{server}:{username}")
