"""GUI tests: offscreen Qt, private settings, and the desk's demo cache fixtures.

The offscreen platform needs no display; the one real-window smoke test
(``test_desk_real_window.py``) starts its own subprocess on X11 instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before pytest-qt makes the QApplication

import pytest
from desk_fixtures import build_desk_cache, demo_context
from PySide6.QtCore import QSettings
from sqlalchemy import Engine

from nurse_app.demo.generate import DEMO_NURSE
from nurse_app.desk.context import DeskContext


@pytest.fixture(scope="session", autouse=True)
def private_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QSettings of the tests live in a temporary folder, never in the tester's profile."""
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings"))
    )


@pytest.fixture(scope="module")
def desk_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = build_desk_cache(tmp_path_factory.mktemp("desk") / "cache.db")
    yield engine
    from ui.operations import wait_for_all

    wait_for_all()
    engine.dispose()


@pytest.fixture
def desk_ctx(desk_engine: Engine) -> DeskContext:
    return demo_context(desk_engine, DEMO_NURSE, "PC-CARD1-TEST")


@pytest.fixture(autouse=True)
def chinese_first() -> Iterator[None]:
    """Every GUI test starts in Chinese (the default) and leaves the language as it found it."""
    from ui.i18n import current_language, set_language

    # Only switch when needed: every switch re-translates every live widget of the session.
    if current_language() != "zh_CN":
        set_language("zh_CN")
    yield
    if current_language() != "zh_CN":
        set_language("zh_CN")


@pytest.fixture
def desk_settings(tmp_path):
    from ui.desk.settings import DeskSettings

    return DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def desk_window(qtbot, desk_ctx, desk_settings):
    """The main window of the demo nurse, worklist loaded, without read-aloud (no speech in CI)."""
    from ui.desk.read_aloud import NoReadAloud
    from ui.main_window import MainWindow

    window = MainWindow(desk_ctx, desk_settings, read_aloud=NoReadAloud())
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.worklist.page is not None, timeout=10_000)
    return window
