"""What can go wrong talking to the central service, as exceptions whose messages are words for the UI.

Only ``ServiceUnavailable`` means "try again later" (DESIGN "Sync": only 5xx and
connection failures are retried). Everything else needs someone to act, or is
handled inside the client (``SeqGap``, ``EpochChanged``, ``CursorExpired``).
"""

from __future__ import annotations


class SyncError(RuntimeError):
    """Base of every sync client failure; ``str(error)`` is a sentence a nurse or IT can read."""

    code: str = "sync_error"


class ServiceUnavailable(SyncError):
    """The service cannot be reached or answered 5xx: nothing is lost, sync retries by itself."""

    code = "unavailable"


class UpdateRequired(SyncError):
    """426: this app and the service speak different protocol versions."""

    code = "update_required"


class AuthExpired(SyncError):
    """The session ended (refresh refused): the nurse must log in again. Pending work is kept."""

    code = "auth_expired"


class LoginRefused(SyncError):
    """Wrong password, locked or disabled account (the service's own words)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class RequestRefused(SyncError):
    """Any other 4xx answer: a client bug or a forbidden action; carries the service's code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code


class SeqGap(SyncError):
    """409 seq_gap: the service wants the outbox from ``expected_seq`` (it lost or never saw some)."""

    code = "seq_gap"

    def __init__(self, message: str, expected_seq: int) -> None:
        super().__init__(message)
        self.expected_seq = expected_seq


class EpochChanged(SyncError):
    """409 epoch_changed: the service was restored from a backup."""

    code = "epoch_changed"


class CursorExpired(SyncError):
    """410 cursor_expired: the pull cursor is older than the tombstone window (or ahead of the server)."""

    code = "cursor_expired"


class JournalLost(SyncError):
    """The service needs outbox entries this PC no longer keeps (purged after 30 days)."""

    code = "journal_lost"


class TlsUntrusted(SyncError):
    """The service's TLS certificate is not trusted (hospital CA bundle not configured)."""

    code = "tls_untrusted"
