"""Login, token refresh and logout. Access tokens stay in memory; refresh tokens only in the keyring.

The access token is renewed shortly before it expires (timed with the monotonic
clock from ``expires_in``, so a PC clock that is months wrong does not matter)
and again on a 401. The service rotates the refresh token on every refresh and
revokes the session when a used one is presented again, so refreshing happens
under one lock, and a request that failed with a token someone else already
replaced simply retries with the new one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from nurse_app.security.credentials import CredentialStore
from server_sync.client.errors import AuthExpired, LoginRefused, RequestRefused
from server_sync.client.http import HttpTransport, Reply, TokenRejected
from server_sync.protocol import LoginResponse, TokenPair, UserInfo

REFRESH_MARGIN_SECONDS = 60.0


@dataclass(slots=True)
class _Access:
    token: str
    expires_at: float  # time.monotonic() deadline
    lifetime: float


class Authenticator:
    """The signed-in session of one user on this PC."""

    def __init__(
        self,
        transport: HttpTransport,
        credentials: CredentialStore,
        *,
        device_name: str = "",
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        self.transport = transport
        self.credentials = credentials
        self.device_name = device_name
        self.refresh_margin = refresh_margin
        self.username: str | None = None
        self.user: UserInfo | None = None
        self.server_epoch_at_login: str | None = None
        self._access: _Access | None = None
        self._lock = threading.Lock()
        self.refresh_count = 0

    # --- sessions --------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResponse:
        """Log in with a password; keeps the refresh token in the keyring and the access token in memory."""
        body = {
            "username": username,
            "password": password,
            "device_id": self.credentials.device_id(),
            "device_name": self.device_name,
        }
        try:
            reply = self.transport.request("POST", "/auth/login", body=body)
        except TokenRejected as error:
            raise LoginRefused(error.code, str(error)) from None
        except RequestRefused as error:
            if error.status in (403, 423):  # disabled / locked: the service's words are for the nurse
                raise LoginRefused(error.code, str(error).split(" (HTTP")[0]) from None
            raise
        login = LoginResponse.model_validate(reply.body)
        with self._lock:
            self._store(login.user.username, login)
        self.user = login.user
        self.server_epoch_at_login = login.server_epoch
        self.credentials.set_last_user(login.user.username)
        return login

    def resume(self, username: str | None = None) -> bool:
        """Continue the last session from the keyring's refresh token; False when there is none."""
        username = username or self.credentials.last_user()
        if not username:
            return False
        if self.credentials.refresh_token(self.transport.base_url, username) is None:
            return False
        self.username = username
        with self._lock:
            self._refresh_locked()
        return True

    def logout(self) -> None:
        """End the session on the service (best effort) and forget the refresh token."""
        if self.username is None:
            return
        try:
            if self._access is not None:
                self.transport.request("POST", "/auth/logout", token=self._access.token, retry=False)
        except Exception:
            pass
        self.credentials.forget_refresh_token(self.transport.base_url, self.username)
        self._access = None
        self.username = None

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    # --- tokens ------------------------------------------------------------------------------------

    def _store(self, username: str, pair: TokenPair) -> None:
        # The rotated refresh token is saved before the access token is used: if the PC dies right
        # after, the keyring holds the one token the service still accepts.
        self.credentials.set_refresh_token(self.transport.base_url, username, pair.refresh_token)
        self.username = username
        lifetime = max(1.0, float(pair.expires_in))
        self._access = _Access(pair.access_token, time.monotonic() + lifetime, lifetime)

    def _refresh_locked(self) -> None:
        assert self.username is not None
        token = self.credentials.refresh_token(self.transport.base_url, self.username)
        if token is None:
            raise AuthExpired("you are signed out on this PC: please log in again")
        try:
            reply = self.transport.request("POST", "/auth/refresh", body={"refresh_token": token})
        except TokenRejected as error:
            self._access = None
            raise AuthExpired(f"your session has ended ({error}): please log in again") from None
        self.refresh_count += 1
        self._store(self.username, TokenPair.model_validate(reply.body))

    def access_token(self) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        with self._lock:
            if self.username is None:
                raise AuthExpired("nobody is signed in on this PC: please log in")
            access = self._access
            # Renew a little early, but never so early that short-lived tokens renew on every call.
            if access is None or time.monotonic() >= access.expires_at - min(
                self.refresh_margin, access.lifetime * 0.2
            ):
                self._refresh_locked()
            assert self._access is not None
            return self._access.token

    def _after_rejection(self, stale: str) -> None:
        with self._lock:
            # Another thread may already have refreshed: then its new token is simply used.
            if self._access is None or self._access.token == stale:
                self._refresh_locked()

    def request(self, method: str, path: str, **options: Any) -> Reply:
        """An authenticated request; a 401 triggers one refresh and one retry, then AuthExpired."""
        token = self.access_token()
        try:
            return self.transport.request(method, path, token=token, **options)
        except TokenRejected:
            self._after_rejection(token)
        try:
            return self.transport.request(method, path, token=self.access_token(), **options)
        except TokenRejected as error:
            raise AuthExpired(
                f"the service refused the renewed session ({error}): please log in again"
            ) from None
