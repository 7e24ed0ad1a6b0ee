"""The desk's sync client (requests), driven by the outbox of ``nurse_app.store``.

Public API::

    client = SyncClient(engine, "https://followup.hospital.local", ca_bundle="/etc/…/ca.pem")
    client.login("N1001", password)        # or client.resume() with the keyring's refresh token
    report = client.sync()                  # push, pull, config; raises SyncError subclasses
    service = SyncService(client); service.start()
    service.notify_local_change(); service.sync_now(); service.status()

Modules: ``http`` (transport, errors mapping, retries), ``auth`` (tokens),
``push``, ``pull`` + ``apply`` (cache writes), ``config``, ``issues``,
``sync`` (``SyncClient``), ``service`` (``SyncService``), ``state`` (sync_state keys).
"""

from __future__ import annotations

from server_sync.client.config import config_document
from server_sync.client.errors import (
    AuthExpired,
    CursorExpired,
    EpochChanged,
    JournalLost,
    LoginRefused,
    RequestRefused,
    SeqGap,
    ServiceUnavailable,
    SyncError,
    TlsUntrusted,
    UpdateRequired,
)
from server_sync.client.http import RetryPolicy
from server_sync.client.issues import LocalIssue, local_issues
from server_sync.client.service import SyncService, SyncStatus
from server_sync.client.sync import SyncClient, SyncReport

__all__ = [
    "AuthExpired",
    "CursorExpired",
    "EpochChanged",
    "JournalLost",
    "LocalIssue",
    "LoginRefused",
    "RequestRefused",
    "RetryPolicy",
    "SeqGap",
    "ServiceUnavailable",
    "SyncClient",
    "SyncError",
    "SyncReport",
    "SyncService",
    "SyncStatus",
    "TlsUntrusted",
    "UpdateRequired",
    "config_document",
    "local_issues",
]
