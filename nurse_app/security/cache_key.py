"""The encryption key of the local cache, kept only in the OS keyring.

Policy (DESIGN: "privacy protection"; secrets only in keyring):

* The key is 32 random bytes (64 hex characters), one per cache file: the
  keyring entry is service ``followup-nurse-station`` and a user name derived
  from the resolved path of the file, so two caches on one PC have two keys.
* Only a secure OS keyring is accepted (Windows Credential Manager, macOS
  Keychain, Secret Service / KWallet on Linux). The ``fail`` and ``null``
  backends and every ``keyrings.alt`` backend (plaintext or weakly protected
  files) are refused with ``KeyringUnavailable``; there is never a fallback
  to a key in a file or to an unencrypted cache.
* A cache file that already holds data but has no key in the keyring raises
  ``CacheKeyMissing``: making a new key would lock the nurse out of work that
  may not have been synced yet.

Tests: the test suite has no desktop keyring, so ``tests/conftest.py`` sets the
environment variable ``FOLLOWUP_ALLOW_TEST_KEYRING=1`` for the test session and
installs a ``keyrings.alt.file.PlaintextKeyring`` under a temporary directory.
That variable admits exactly that one class and nothing else; ``keyrings.alt``
is a test-only dependency and is not shipped by the installers, so the
variable has no effect on a ward PC.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from nurse_app.store.errors import CacheKeyMissing, KeyringUnavailable

__all__ = [
    "ALLOW_TEST_KEYRING_ENV",
    "SERVICE_NAME",
    "CacheKeyMissing",
    "KeyringUnavailable",
    "cache_key_username",
    "load_or_create_cache_key",
    "secure_keyring",
]

log = logging.getLogger(__name__)

SERVICE_NAME = "followup-nurse-station"
ALLOW_TEST_KEYRING_ENV = "FOLLOWUP_ALLOW_TEST_KEYRING"
KEY_BYTES = 32
_KEY_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
_TEST_BACKEND = ("keyrings.alt.file", "PlaintextKeyring")
_warned_test_backend: list[bool] = []  # warn once per process, not on every key lookup

_HOW_TO_FIX = (
    "Install or enable a secure keyring: on Debian/Ubuntu install 'gnome-keyring' and run the app in a "
    "desktop session with a D-Bus session bus (Secret Service, DBUS_SESSION_BUS_ADDRESS set) and an "
    "unlocked login keyring; on Windows the built-in Credential Manager is used; on macOS the Keychain. "
    "To choose a backend explicitly set the environment variable PYTHON_KEYRING_BACKEND, e.g. "
    "'keyring.backends.SecretService.Keyring'. The local cache is never kept with a plaintext key or "
    "unencrypted."
)


def cache_key_username(db_path: str | os.PathLike[str]) -> str:
    """The keyring user name of the key of ``db_path``: its resolved, case-normalised path."""
    # normcase: on Windows the same file may be spelled in different letter cases.
    return "cache-key:" + os.path.normcase(str(Path(db_path).expanduser().resolve()))


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _refusal(backend: KeyringBackend) -> str | None:
    """Why ``backend`` may not hold the cache key, or None when it may."""
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available (keyring chose keyring.backends.fail.Keyring)"
    if isinstance(backend, null.Keyring):
        return "the configured keyring backend 'null' discards every secret"
    cls = type(backend)
    if cls.__module__.startswith("keyrings.alt"):
        if (cls.__module__, cls.__name__) == _TEST_BACKEND and os.environ.get(ALLOW_TEST_KEYRING_ENV) == "1":
            if not _warned_test_backend:
                _warned_test_backend.append(True)
                log.warning(
                    "test keyring %s admitted by %s=1", _backend_name(backend), ALLOW_TEST_KEYRING_ENV
                )
            return None
        return (
            f"the keyring backend {_backend_name(backend)} keeps secrets in a plain or weakly protected file"
        )
    return None


def secure_keyring() -> KeyringBackend:
    """The keyring backend that holds cache keys; raises KeyringUnavailable when none is secure.

    A chainer is resolved to its highest-priority acceptable member, so a key is
    never read back from (or written to) an insecure backend that happens to be chained.
    """
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyringrc or PYTHON_KEYRING_BACKEND raises almost anything
        raise KeyringUnavailable(f"the OS keyring could not be loaded ({exc!r}). {_HOW_TO_FIX}") from exc
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        usable = [member for member in members if _refusal(member) is None]
        if usable:
            return usable[0]
        found = ", ".join(_backend_name(m) for m in members) or "none"
        raise KeyringUnavailable(f"no secure keyring backend is available (found: {found}). {_HOW_TO_FIX}")
    reason = _refusal(backend)
    if reason is not None:
        raise KeyringUnavailable(f"the cache key cannot be kept safely: {reason}. {_HOW_TO_FIX}")
    return backend


def _holds_data(path: Path) -> bool:
    """True when the cache file (or its write-ahead log) exists and is not empty."""
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            if candidate.stat().st_size > 0:
                return True
        except FileNotFoundError:
            continue
    return False


def _keyring_call(
    backend: KeyringBackend, what: str, func: Callable[..., str | None], *args: str
) -> str | None:
    try:
        return func(*args)
    except Exception as exc:  # locked collection, D-Bus gone, access denied…: all mean "no keyring"
        raise KeyringUnavailable(
            f"the keyring {_backend_name(backend)} failed to {what} the cache key ({exc!r}). {_HOW_TO_FIX}"
        ) from exc


def load_or_create_cache_key(db_path: str | os.PathLike[str]) -> str:
    """The hex key of the cache at ``db_path``, made and stored in the keyring for a new cache.

    Raises KeyringUnavailable when no secure keyring works, and CacheKeyMissing
    when the file already holds data but the keyring has no (valid) key for it.
    """
    path = Path(db_path).expanduser().resolve()
    username = cache_key_username(path)
    backend = secure_keyring()
    stored = _keyring_call(backend, "read", backend.get_password, SERVICE_NAME, username)
    if stored is not None and _KEY_PATTERN.fullmatch(stored):
        return stored.lower()
    if _holds_data(path):
        state = "is damaged" if stored is not None else "is missing"
        raise CacheKeyMissing(
            path,
            f"the local cache '{path}' exists but its encryption key {state} in the keyring "
            f"({_backend_name(backend)}, service '{SERVICE_NAME}', user '{username}'). No new key is made "
            "because that would lock away any unsynced work in this file. Sign in as the same OS user "
            "whose keyring holds the key, or restore that keyring entry; only when IT has confirmed that "
            "nothing unsynced is in the file may it be moved aside so that a fresh cache is created.",
        )
    key = secrets.token_hex(KEY_BYTES)
    _keyring_call(backend, "store", backend.set_password, SERVICE_NAME, username, key)
    # Some backends accept a write and keep nothing; a key that cannot be read back would
    # make the new cache unreadable after the next restart, so refuse now instead.
    if _keyring_call(backend, "read", backend.get_password, SERVICE_NAME, username) != key:
        raise KeyringUnavailable(
            f"the keyring {_backend_name(backend)} did not keep the cache key it was given. {_HOW_TO_FIX}"
        )
    log.info("created a new cache key in %s for %s", _backend_name(backend), path)
    return key
