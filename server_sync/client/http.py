"""HTTP to the central service: one requests Session, the protocol header, timeouts, retries.

Maps every refusal to an exception of ``errors`` (bodies are ``protocol.ErrorBody``).
Only connection failures, timeouts and 5xx are retried, with exponential
backoff and jitter; a retried push is safe because the service deduplicates
by ``seq``.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import requests
from packaging.version import InvalidVersion, Version

from nurse_app import __version__ as APP_VERSION
from server_sync.client.errors import (
    CursorExpired,
    EpochChanged,
    RequestRefused,
    SeqGap,
    ServiceUnavailable,
    TlsUntrusted,
    UpdateRequired,
)
from server_sync.protocol import (
    CLIENT_CURRENT_HEADER,
    CLIENT_MINIMUM_HEADER,
    CLIENT_VERSION_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 120.0  # a 500-mutation push on a busy SQLite service may take a while


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one request is retried when the service is unavailable."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        # "Equal jitter": at least half the exponential delay, so 200 PCs do not retry in lockstep.
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class TokenRejected(Exception):
    """401 from the service (internal: the auth layer refreshes, or raises AuthExpired)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    server_time: datetime | None  # from the Date header: the service's clock, never this PC's


def _server_time(response: requests.Response) -> datetime | None:
    header = response.headers.get("Date")
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def _error_body(response: requests.Response) -> tuple[str, str, int | None]:
    try:
        body = response.json()
        return str(body.get("code", "")), str(body.get("message", "")), body.get("expected_seq")
    except (ValueError, AttributeError):
        return "", (response.text or "")[:200], None


def raise_for_refusal(response: requests.Response, base_url: str) -> None:
    """Raise the exception that matches a non-2xx answer."""
    status = response.status_code
    if status < 400:
        return
    code, message, expected_seq = _error_body(response)
    if status >= 500:
        raise ServiceUnavailable(
            f"the central service at {base_url} answered {status} ({message or 'server error'}); "
            "your changes are kept on this PC and will be sent automatically"
        )
    if status == 401:
        raise TokenRejected(code or "token_invalid", message or "not authenticated")
    if status == 426 and code == "client_too_old":
        # IT's minimum desk version: sync stops, offline work and the outbox are kept.
        refused = UpdateRequired(
            message or "this version of the nurse station no longer syncs: ask IT to update it"
        )
        refused.code = "client_too_old"
        raise refused
    if status == 426:
        raise UpdateRequired(
            message or "this app and the central service speak different protocol versions: update the app"
        )
    if status == 409 and code == "seq_gap" and expected_seq is not None:
        raise SeqGap(message, int(expected_seq))
    if status == 409 and code == "epoch_changed":
        raise EpochChanged(message or "the central service was restored from a backup")
    if status == 410:
        raise CursorExpired(message or "the local copy is too old: downloading everything again")
    raise RequestRefused(status, code or "invalid_request", message or response.reason or "refused")


_LEAVES = frozenset({str, int, bool, type(None)})  # what can hold no NaN (most of a push)


def _has_non_finite(value: Any) -> bool:
    """True when ``value`` is or holds a NaN or an infinity."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return False
    for item in items:  # noqa: SIM110 - any() over a generator makes this walk 70% slower
        if type(item) not in _LEAVES and _has_non_finite(item):
            return True
    return False


@dataclass(frozen=True, slots=True)
class EncodedJson:
    """A request body already encoded by ``encode_json`` (say, on another thread): sent as is."""

    data: bytes


def encode_json(body: Any) -> bytes:
    """A request body as compact JSON in UTF-8 (Chinese text: a third of the size of \\u escapes).

    orjson: several times faster than the standard encoder on a push's 500 payloads, and the same
    values. What it refuses (non-str keys, integers beyond 64 bits) or would change (it writes NaN
    and infinities as null, the standard encoder as NaN and Infinity) goes to the standard
    encoder, which encoded every body before.
    """
    if not _has_non_finite(body):
        try:
            return orjson.dumps(body)
        except TypeError:  # orjson.JSONEncodeError is one
            pass
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _decoded(response: requests.Response, decode: Callable[[bytes], Any] | None) -> Any:
    if decode is not None:
        try:
            return decode(response.content)
        except ValueError:  # orjson.JSONDecodeError is one: NaN, Infinity, lone surrogates
            pass
    return response.json()


def _parse_version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


class HttpTransport:
    """One connection pool to one service. Thread-safe enough for the sync worker plus the UI's calls."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        client_version: str = APP_VERSION,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
        self.client_version = client_version
        self.session.headers[CLIENT_VERSION_HEADER] = client_version
        # What the service last announced (every answer, refusals included); None until it answers.
        self.announced_current: str | None = None
        self.announced_minimum: str | None = None
        # Hospitals run internal CAs: a bundle path verifies against them; never verify=False.
        self.session.verify = ca_bundle if ca_bundle else True
        self.last_server_time: datetime | None = None

    def close(self) -> None:
        self.session.close()

    def update_available(self) -> str | None:
        """The current desk version the service announced, when it is newer than this app."""
        current = _parse_version(self.announced_current)
        mine = _parse_version(self.client_version)
        if current is None or mine is None or current <= mine:
            return None
        return self.announced_current

    def _record_announcement(self, response: requests.Response) -> None:
        current = response.headers.get(CLIENT_CURRENT_HEADER)
        if current:
            self.announced_current = current.strip()
        minimum = response.headers.get(CLIENT_MINIMUM_HEADER)
        if minimum:
            self.announced_minimum = minimum.strip()

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """Send one request (retrying unavailability) and return the decoded 2xx answer.

        ``decode``: a faster JSON decoder for the answer, such as ``orjson.loads`` where every
        integer in it fits in 64 bits (orjson reads bigger ones as floats); what it refuses goes
        to the standard decoder.
        """
        attempts = self.retry.attempts if retry else 1
        for attempt in range(attempts):
            try:
                return self._once(method, path, token=token, body=body, params=params, decode=decode)
            except ServiceUnavailable as error:
                if attempt + 1 >= attempts:
                    raise
                pause = self.retry.delay(attempt)
                log.info(
                    "service unavailable (%s); retry %d in %.1fs", type(error).__name__, attempt + 1, pause
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _once(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        body: Any,
        params: dict[str, Any] | None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = body.data if isinstance(body, EncodedJson) else encode_json(body)
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method, self.base_url + path, headers=headers, data=data, params=params, timeout=self.timeout
            )
        except requests.exceptions.SSLError as error:
            raise TlsUntrusted(
                f"the certificate of {self.base_url} is not trusted: ask IT for the hospital CA bundle "
                "and set it in the sync settings"
            ) from error
        except (requests.ConnectionError, requests.Timeout) as error:
            reason = "timed out" if isinstance(error, requests.Timeout) else "cannot be reached"
            raise ServiceUnavailable(
                f"the central service at {self.base_url} {reason}; your changes are kept on this PC "
                "and will be sent automatically when it is back"
            ) from error
        server_time = _server_time(response)
        if server_time is not None:
            self.last_server_time = server_time
        self._record_announcement(response)
        raise_for_refusal(response, self.base_url)
        decoded = _decoded(response, decode) if response.content else None
        return Reply(response.status_code, decoded, server_time)
