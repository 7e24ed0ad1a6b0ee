"""ASGI middleware: stamp ``X-Followup-Protocol`` on every answer, refuse skewed clients with 426."""

from __future__ import annotations

import json
from typing import Any

from server_sync.protocol import MIN_SUPPORTED_PROTOCOL, PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorBody

_HEADER_KEY = PROTOCOL_HEADER.lower().encode()
_HEADER_VALUE = str(PROTOCOL_VERSION).encode()


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
        refusal = self._refusal(scope)
        if refusal is not None:
            await self._send_426(send, refusal)
            return

        async def stamped_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (_HEADER_KEY, _HEADER_VALUE)]
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
    async def _send_426(send: Any, refusal: ErrorBody) -> None:
        body = json.dumps(refusal.model_dump(exclude_none=True), ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (_HEADER_KEY, _HEADER_VALUE),
        ]
        await send({"type": "http.response.start", "status": 426, "headers": headers})
        await send({"type": "http.response.body", "body": body})
