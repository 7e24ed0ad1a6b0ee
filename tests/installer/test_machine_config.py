"""The per-machine configuration: values, locks, problems with key and line, and the desk settings hook."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings

from nurse_app import machine_config
from nurse_app.machine_config import MACHINE_CONFIG_ENV, load, parse
from ui.desk import settings as s
from ui.desk.settings import DeskSettings

GOOD = """\
server_url = "https://followup.hospital.local"
ca_bundle = "/etc/nurse-station/hospital-ca.pem"
ward = "CARD1"
language = "en"
voice_model_path = "/opt/nurse-station/voice-model"

[locked]
keys = ["server_url", "ca_bundle"]
ward = true
language = false
"""


def _settings(tmp_path: Path, config: machine_config.MachineConfig) -> DeskSettings:
    return DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), machine=config)


def test_values_and_both_lock_forms(tmp_path: Path) -> None:
    config = parse(GOOD, tmp_path / "config.toml")
    assert config.problems == ()
    assert config.values["server_url"] == "https://followup.hospital.local"
    assert config.locked == {"server_url", "ca_bundle", "ward"}


def test_missing_file_is_an_empty_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MACHINE_CONFIG_ENV, str(tmp_path / "absent.toml"))
    config = load()
    assert config.path == tmp_path / "absent.toml"
    assert config.values == {} and config.locked == frozenset() and config.problems == ()


def test_default_path_per_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MACHINE_CONFIG_ENV, raising=False)
    monkeypatch.setattr(machine_config.sys, "platform", "linux")
    assert machine_config.default_path() == Path("/etc/nurse-station/config.toml")
    monkeypatch.setattr(machine_config.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", "C:/ProgramData")
    assert machine_config.default_path() == Path("C:/ProgramData") / "NurseStation" / "config.toml"


def test_syntax_error_reports_the_line_and_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('server_url = "https://a.example"\nward = CARD1\n', encoding="utf-8")
    config = load(path)
    assert config.values == {} and config.locked == frozenset()
    (problem,) = config.problems
    assert problem.line == 2 and "not valid TOML" in problem.message
    assert f"{path}, line 2" in str(problem)


def test_bad_values_are_reported_with_key_and_line_and_only_they_are_dropped(tmp_path: Path) -> None:
    text = (
        'server_url = "ftp://nope"\n'
        'ward = "CARD1"\n'
        "language = 3\n"
        'colour = "red"\n'
        'large_font = "yes"\n'
        "[locked]\n"
        'keys = ["ward", "printer"]\n'
        'server_url = "please"\n'
    )
    config = parse(text, tmp_path / "config.toml")
    assert config.values == {"ward": "CARD1"}
    assert config.locked == {"ward"}
    found = {(p.key, p.line) for p in config.problems}
    assert found == {
        ("server_url", 1),
        ("language", 3),
        ("colour", 4),
        ("large_font", 5),
        ("locked.keys", 7),
        ("locked.server_url", 8),
    }


def test_unsupported_language_is_rejected(tmp_path: Path) -> None:
    config = parse('language = "fr"\n', tmp_path / "c.toml")
    assert config.values == {} and "unsupported language" in config.problems[0].message


def test_bom_from_notepad_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('\ufeffward = "CARD1"\n'.encode())
    assert load(path).values == {"ward": "CARD1"}


def test_check_command_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text("ward = [\n", encoding="utf-8")
    assert machine_config.main([str(good)]) == 0
    assert "server_url = 'https://followup.hospital.local' (locked)" in capsys.readouterr().out
    assert machine_config.main([str(bad)]) == 1
    assert "problem:" in capsys.readouterr().out


def test_desk_settings_machine_values_are_defaults_and_locks_win(tmp_path: Path) -> None:
    settings = _settings(tmp_path, parse(GOOD, tmp_path / "config.toml"))
    # Machine values are the defaults of this PC.
    assert settings.get(s.SERVER_URL) == "https://followup.hospital.local"
    assert settings.get(s.LANGUAGE) == "en"
    assert settings.get(s.VOICE_MODEL_PATH) == "/opt/nurse-station/voice-model"
    # Unlocked keys: the user's choice applies.
    settings.set(s.LANGUAGE, "zh_CN")
    settings.set(s.VOICE_MODEL_PATH, "/home/nurse/model")
    assert settings.get(s.LANGUAGE) == "zh_CN"
    assert settings.get(s.VOICE_MODEL_PATH) == "/home/nurse/model"
    # Locked keys: a save is refused, and a value already in the user's file is ignored.
    settings.set(s.SERVER_URL, "https://elsewhere.example")
    settings.store.setValue(s.WARD.key, "ORTHO2")
    assert settings.get(s.SERVER_URL) == "https://followup.hospital.local"
    assert settings.get(s.WARD) == "CARD1"
    assert settings.is_locked(s.CA_BUNDLE) and not settings.is_locked(s.LANGUAGE)
    assert not settings.is_locked(s.LAST_USER)


def test_locked_key_without_a_value_pins_the_built_in_default(tmp_path: Path) -> None:
    settings = _settings(tmp_path, parse("[locked]\nkeys = ['large_font']\n", tmp_path / "c.toml"))
    settings.store.setValue(s.LARGE_FONT.key, True)
    assert settings.get(s.LARGE_FONT) is False


def test_desk_settings_read_the_file_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv(MACHINE_CONFIG_ENV, str(path))
    settings = DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat))
    assert settings.is_locked(s.SERVER_URL)
    assert settings.get(s.WARD) == "CARD1"


def test_broken_file_still_gives_working_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text("server_url = \n", encoding="utf-8")
    monkeypatch.setenv(MACHINE_CONFIG_ENV, str(path))
    settings = DeskSettings(QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat))
    assert settings.get(s.LANGUAGE) == "zh_CN"
    settings.set(s.SERVER_URL, "https://mine.example")
    assert settings.get(s.SERVER_URL) == "https://mine.example"


def test_settings_dialog_disables_locked_fields(qtbot, tmp_path: Path) -> None:
    from ui.desk.settings_dialog import SettingsDialog

    settings = _settings(tmp_path, parse(GOOD, tmp_path / "config.toml"))
    dialog = SettingsDialog(settings, None, ("CARD1", "ORTHO2"))
    qtbot.addWidget(dialog)
    assert not dialog.server_url.isEnabled() and not dialog.ca_browse.isEnabled()
    assert not dialog.ward.isEnabled()
    assert dialog.language.isEnabled() and dialog.voice_model.isEnabled()
    dialog.server_url.setText("https://typed.example")
    dialog.save()
    assert settings.get(s.SERVER_URL) == "https://followup.hospital.local"
