"""Fixtures shared by the whole test suite.

The keyring: the encrypted cache keeps its key only in the OS keyring, and
production (``nurse_app.security.cache_key``) refuses plaintext backends. Test
machines and CI have no desktop keyring, so for the test session only a
``keyrings.alt`` PlaintextKeyring under a temporary directory is installed and
admitted through ``FOLLOWUP_ALLOW_TEST_KEYRING=1``. Set
``FOLLOWUP_TEST_KEYRING=system`` to run against the machine's real keyring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# Qt widgets in any test directory need a platform; the real-window smoke test picks xcb itself.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest
from keyring.backend import KeyringBackend

from nurse_app.security.cache_key import ALLOW_TEST_KEYRING_ENV


@pytest.fixture(scope="session", autouse=True)
def test_session_plaintext_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyringBackend]:
    """Test session only: a throw-away plaintext keyring; production refuses plaintext backends."""
    if os.environ.get("FOLLOWUP_TEST_KEYRING") == "system":
        yield keyring.get_keyring()
        return
    from keyrings.alt.file import PlaintextKeyring  # test-only dependency (the "test" extra)

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path_factory.mktemp("keyring") / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as patch:
        # The only place that sets this variable: it admits exactly this backend class.
        patch.setenv(ALLOW_TEST_KEYRING_ENV, "1")
        keyring.set_keyring(backend)
        try:
            yield backend
        finally:
            keyring.set_keyring(previous)


@pytest.fixture
def restore_keyring(test_session_plaintext_keyring: KeyringBackend) -> Iterator[None]:
    """Put the session keyring back after a test that swaps or breaks the keyring."""
    yield
    keyring.set_keyring(test_session_plaintext_keyring)
