"""The local cache is encrypted, its key lives only in a secure keyring, and a bad file is never touched."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, null
from keyring.errors import KeyringError
from sqlalchemy import text

from nurse_app.security import cache_key
from nurse_app.security.cache_key import (
    ALLOW_TEST_KEYRING_ENV,
    SERVICE_NAME,
    cache_key_username,
    load_or_create_cache_key,
    secure_keyring,
)
from nurse_app.store.engine import connect_raw, open_cache, open_cache_for
from nurse_app.store.errors import CacheKeyMissing, CacheUnreadable, KeyringUnavailable

OTHER_KEY = "ab" * 32


class LockedKeyring(KeyringBackend):
    """A secure-looking backend whose every call fails, like a locked Secret Service collection."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("collection is locked")


class ForgetfulKeyring(KeyringBackend):
    """Accepts every secret and keeps none."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        return None


def make_cache(path: Path) -> None:
    """A cache with one table and a row, closed again (WAL checkpointed into the main file)."""
    engine = open_cache_for(path)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO wards VALUES ('W1', '心内科一病区', '心内科', 'Asia/Shanghai', '08:30', '20:00')"
            )
        )
    engine.dispose()


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def test_cache_file_does_not_open_with_plain_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    make_cache(path)
    plain = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            plain.execute("SELECT name FROM sqlite_master").fetchall()
    finally:
        plain.close()
    assert "心内科".encode() not in path.read_bytes()


def test_cache_reopens_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    make_cache(path)
    engine = open_cache_for(path)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM wards")).scalar_one() == "心内科一病区"
    engine.dispose()


def test_wrong_key_raises_unreadable_and_leaves_the_file_untouched(tmp_path: Path, capfd) -> None:
    path = tmp_path / "cache.db"
    make_cache(path)
    before = snapshot(path)
    with pytest.raises(CacheUnreadable) as caught:
        open_cache(path, OTHER_KEY)
    assert str(path) in str(caught.value)
    assert "untouched" in str(caught.value)
    assert caught.value.path == path
    assert snapshot(path) == before
    # SQLCipher's own "hmac check failed" chatter is silenced; the exception says it all.
    assert "hmac" not in capfd.readouterr().err


def test_wrong_key_leaves_a_crashed_cache_and_its_write_ahead_log_untouched(tmp_path: Path) -> None:
    # A crash leaves committed work only in cache.db-wal; a wrong key must not checkpoint or delete it.
    live, crashed = tmp_path / "live", tmp_path / "crashed"
    live.mkdir()
    crashed.mkdir()
    key = load_or_create_cache_key(live / "cache.db")
    conn = connect_raw(live / "cache.db", key)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE unsynced (note TEXT)")
    conn.execute("INSERT INTO unsynced VALUES ('血压 185/110')")
    for name in os.listdir(live):  # the files as a power cut would leave them
        shutil.copy2(live / name, crashed / name)
    conn.close()
    assert (crashed / "cache.db-wal").stat().st_size > 0
    files = {name: snapshot(crashed / name)[:2] for name in os.listdir(crashed)}

    with pytest.raises(CacheUnreadable):
        open_cache(crashed / "cache.db", OTHER_KEY)
    assert {name: snapshot(crashed / name)[:2] for name in os.listdir(crashed)} == files

    engine = open_cache(crashed / "cache.db", key)
    with engine.connect() as db:
        assert db.execute(text("SELECT note FROM unsynced")).scalar_one() == "血压 185/110"
    engine.dispose()


@pytest.mark.parametrize("size", [100, 4096, 3 * 4096 + 17])
def test_corrupt_file_raises_unreadable_and_leaves_the_file_untouched(tmp_path: Path, size: int) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(os.urandom(size))
    before = snapshot(path)
    with pytest.raises(CacheUnreadable, match=r"cache\.db"):
        open_cache(path, OTHER_KEY)
    assert snapshot(path) == before


def test_unencrypted_sqlite_file_is_unreadable_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    plain = sqlite3.connect(path)
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    before = snapshot(path)
    with pytest.raises(CacheUnreadable):
        open_cache(path, OTHER_KEY)
    assert snapshot(path) == before


def test_corrupt_file_with_a_key_in_the_keyring_is_unreadable_via_open_cache_for(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    make_cache(path)
    path.write_bytes(os.urandom(8192))  # damaged after its key was made
    before = snapshot(path)
    with pytest.raises(CacheUnreadable):
        open_cache_for(path)
    assert snapshot(path) == before


def test_existing_file_without_key_raises_key_missing_and_makes_no_key(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(os.urandom(4096))  # e.g. a cache copied from another PC
    before = snapshot(path)
    with pytest.raises(CacheKeyMissing) as caught:
        open_cache_for(path)
    assert str(path) in str(caught.value)
    assert caught.value.path == path
    assert keyring.get_password(SERVICE_NAME, cache_key_username(path)) is None
    assert snapshot(path) == before


def test_damaged_key_of_an_existing_file_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    make_cache(path)
    keyring.set_password(SERVICE_NAME, cache_key_username(path), "not-a-key")
    with pytest.raises(CacheKeyMissing, match="damaged"):
        load_or_create_cache_key(path)
    assert keyring.get_password(SERVICE_NAME, cache_key_username(path)) == "not-a-key"


def test_each_cache_file_gets_its_own_stable_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a" / "cache.db", tmp_path / "b" / "cache.db"
    key_a = load_or_create_cache_key(first)
    key_b = load_or_create_cache_key(second)
    assert len(key_a) == 64 and int(key_a, 16) >= 0
    assert key_a != key_b
    monkeypatch.chdir(tmp_path)
    assert load_or_create_cache_key(Path("a") / ".." / "a" / "cache.db") == key_a  # resolved path
    assert cache_key_username(first).endswith(os.path.normcase(str(first.resolve())))


def test_keyring_unavailable_raises_with_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_keyring: None
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    path = tmp_path / "cache.db"
    with pytest.raises(KeyringUnavailable) as caught:
        open_cache_for(path)
    message = str(caught.value)
    for hint in ("gnome-keyring", "D-Bus", "Credential Manager", "PYTHON_KEYRING_BACKEND"):
        assert hint in message
    assert not path.exists()  # no unencrypted (or any) cache is made without a key


@pytest.mark.parametrize(
    "backend",
    [null.Keyring(), LockedKeyring()],
    ids=["null", "locked"],
)
def test_unusable_backends_are_refused(
    tmp_path: Path, backend: KeyringBackend, restore_keyring: None
) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(KeyringUnavailable):
        load_or_create_cache_key(tmp_path / "cache.db")


def test_backend_that_keeps_nothing_is_refused(tmp_path: Path, restore_keyring: None) -> None:
    keyring.set_keyring(ForgetfulKeyring())
    with pytest.raises(KeyringUnavailable, match="did not keep"):
        load_or_create_cache_key(tmp_path / "cache.db")


def test_plaintext_keyring_is_refused_outside_the_test_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_TEST_KEYRING_ENV, raising=False)
    with pytest.raises(KeyringUnavailable, match="plain or weakly protected"):
        load_or_create_cache_key(tmp_path / "cache.db")
    monkeypatch.setenv(ALLOW_TEST_KEYRING_ENV, "yes")  # only exactly "1" admits it
    with pytest.raises(KeyringUnavailable):
        secure_keyring()


def test_chainer_without_secure_members_is_refused(
    monkeypatch: pytest.MonkeyPatch, test_session_plaintext_keyring: KeyringBackend, restore_keyring: None
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [], raising=False)
    keyring.set_keyring(chainer.ChainerBackend())
    with pytest.raises(KeyringUnavailable, match="found: none"):
        secure_keyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring(), test_session_plaintext_keyring])
    monkeypatch.delenv(ALLOW_TEST_KEYRING_ENV)
    with pytest.raises(KeyringUnavailable, match="PlaintextKeyring"):
        secure_keyring()
    # A chainer resolves to its best secure member, never to an insecure one next to it.
    forgetful = ForgetfulKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [null.Keyring(), forgetful])
    assert secure_keyring() is forgetful


def test_broken_keyring_configuration_is_reported(
    monkeypatch: pytest.MonkeyPatch, restore_keyring: None
) -> None:
    def explode() -> KeyringBackend:
        raise RuntimeError("No recommended backend was available")

    monkeypatch.setattr(cache_key.keyring, "get_keyring", explode)
    with pytest.raises(KeyringUnavailable, match="could not be loaded"):
        secure_keyring()


def test_open_cache_rejects_malformed_keys(tmp_path: Path) -> None:
    for bad in ("", "x" * 64, "ab" * 31, "ab" * 32 + "'; DROP"):
        with pytest.raises(ValueError, match="64 hexadecimal"):
            open_cache(tmp_path / "cache.db", bad)
    assert not (tmp_path / "cache.db").exists()
