"""Errors of the encrypted local cache and of its key.

The UI catches ``CacheError`` to show a dialog instead of a traceback; the
message of every class is written for the nurse's IT contact (what is wrong,
which file, what to do) and never suggests anything that could lose data.
"""

from __future__ import annotations

from pathlib import Path


class CacheError(RuntimeError):
    """Base of every failure to obtain a usable, encrypted local cache."""


class KeyringUnavailable(CacheError):
    """No secure OS keyring is usable, so the cache key can be neither stored nor read."""


class CacheKeyMissing(CacheError):
    """The cache file exists but its key is not in the keyring (or is damaged there)."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(message)
        self.path = Path(path)


class CacheUnreadable(CacheError):
    """The file could not be opened with the key: wrong key, corrupt, or not an encrypted cache.

    The file is never modified or recreated when this is raised.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"the local cache '{self.path}' cannot be opened with its key ({reason}): the key does not "
            "fit, or the file is damaged or is not an encrypted cache. The file was left untouched; keep "
            "it (it may hold unsynced work) and contact IT."
        )


class CacheSchemaTooNew(CacheError):
    """The cache was migrated by a newer version of the app than the one now running."""

    def __init__(self, path: str | Path, revision: str, head: str) -> None:
        self.path = Path(path)
        self.revision = revision
        super().__init__(
            f"the local cache '{self.path}' has schema revision '{revision}', newer than this version "
            f"of the app knows (head '{head}'). Install the newer app version again; the file was left "
            "untouched."
        )
