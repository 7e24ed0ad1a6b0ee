"""ASGI middleware: stamp the protocol and desk-app versions on every answer, refuse skew with 426.

* ``X-Followup-Protocol``: a client speaking an unsupported protocol is refused on every path.
* ``X-Followup-Client-Current`` / ``-Minimum`` (settings ``client_current_version`` /
  ``client_min_version``) are announced on every answer; a desk app whose
  ``X-Followup-Client-Version`` is below the minimum is refused on the sync paths
  (push, pull, config, record refetch) before any handler — so before any data is
  read or written. Login, health and ``/version`` still answer, so the desk can say why.
  Requests without the header (browsers, probes, curl, admin tools) are served.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

from server_sync.protocol import (
    CLIENT_CURRENT_HEADER,
    CLIENT_MINIMUM_HEADER,
    CLIENT_VERSION_HEADER,
    MIN_SUPPORTED_PROTOCOL,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ErrorBody,
)

_HEADER_KEY = PROTOCOL_HEADER.lower().encode()
_HEADER_VALUE = str(PROTOCOL_VERSION).encode()
_CLIENT_VERSION_KEY = CLIENT_VERSION_HEADER.lower().encode()
_CURRENT_KEY = CLIENT_CURRENT_HEADER.lower().encode()
_MINIMUM_KEY = CLIENT_MINIMUM_HEADER.lower().encode()
# Where a desk below the minimum is refused: everything that moves records or configuration.
SYNC_PATH_PREFIXES = ("/sync/", "/config", "/records/")
_NO_MINIMUM = Version("0")


@lru_cache(maxsize=64)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def client_too_old(client_version: str, minimum: str) -> ErrorBody | None:
    """The refusal for a desk app at ``client_version`` when IT requires ``minimum``, or None."""
    required = _version(minimum)
    if required is None or required <= _NO_MINIMUM:
        return None
    have = _version(client_version.strip())
    if have is not None and have >= required:
        return None
    shown = client_version.strip()[:32] or "?"
    return ErrorBody(
        code="client_too_old",
        message=f"此版本的护士站已停止同步，请联系信息科升级（本机 {shown}，最低要求 {minimum}）；"
        f"您的工作已保存在本机。 This version of the nurse station ({shown}) no longer syncs: "
        f"ask IT to update it to {minimum} or later; your work is kept on this PC.",
    )


def protocol_skew(client_version: int) -> ErrorBody | None:
    """The refusal for a client speaking ``client_version``, or None when it is supported."""
    if client_version < MIN_SUPPORTED_PROTOCOL:
        return ErrorBody(
            code="protocol_too_old",
            message=f"protocol {client_version} is no longer supported: please update the desk app",
        )
    if client_version > PROTOCOL_VERSION:
        return ErrorBody(
            code="protocol_too_new",
            message=f"the desk app speaks protocol {client_version} but this service only "
            f"{PROTOCOL_VERSION}: the central service must be updated first",
        )
    return None


class ProtocolHeaderMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware overhead on every sync call)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stamps = self._stamps(scope)
        refusal = self._refusal(scope) or self._client_refusal(scope, stamps)
        if refusal is not None:
            await self._send_426(send, refusal, stamps)
            return

        async def stamped_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *stamps]
            await send(message)

        await self.app(scope, receive, stamped_send)

    @staticmethod
    def _refusal(scope: dict) -> ErrorBody | None:
        # Browsers, probes and curl send no header; they are served as the current protocol.
        for key, value in scope.get("headers", ()):
            if key == _HEADER_KEY:
                try:
                    return protocol_skew(int(value))
                except ValueError:
                    return ErrorBody(code="protocol_too_old", message="unreadable protocol version header")
        return None

    @staticmethod
    def _stamps(scope: dict) -> list[tuple[bytes, bytes]]:
        """The headers every answer carries: protocol, and the client versions IT announces."""
        stamps = [(_HEADER_KEY, _HEADER_VALUE)]
        app = scope.get("app")
        settings = getattr(getattr(app, "state", None), "settings", None)
        if settings is not None:
            stamps.append((_CURRENT_KEY, settings.client_current_version.encode()))
            stamps.append((_MINIMUM_KEY, settings.client_min_version.encode()))
        return stamps

    @staticmethod
    def _client_refusal(scope: dict, stamps: list[tuple[bytes, bytes]]) -> ErrorBody | None:
        if not scope.get("path", "").startswith(SYNC_PATH_PREFIXES):
            return None
        minimum = next((value for key, value in stamps if key == _MINIMUM_KEY), None)
        if minimum is None:
            return None
        for key, value in scope.get("headers", ()):
            if key == _CLIENT_VERSION_KEY:
                return client_too_old(value.decode("latin-1"), minimum.decode())
        return None

    @staticmethod
    async def _send_426(send: Any, refusal: ErrorBody, stamps: list[tuple[bytes, bytes]]) -> None:
        body = json.dumps(refusal.model_dump(exclude_none=True), ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *stamps,
        ]
        await send({"type": "http.response.start", "status": 426, "headers": headers})
        await send({"type": "http.response.body", "body": body})
