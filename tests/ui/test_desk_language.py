"""Chinese first, English at run time: every visible text follows ``set_language``; settings persist."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from nurse_app.domain.model import CallOutcome
from ui.desk import settings as s
from ui.desk.settings_dialog import SettingsDialog
from ui.i18n import current_language, set_language


def _visible_texts(window) -> dict[str, str]:
    call = window.workspace.call
    return {
        "tab": window.worklist.tabs.tabText(0),
        "outcome": call.outcome_buttons[CallOutcome.NO_ANSWER].text(),
        "sync": window.status.sync_button.text(),
        "search": window.worklist.search.placeholderText(),
        "header": window.worklist.model.headerData(
            1, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal
        ),
        "workspace_tab": window.workspace.tabs.tabText(0),
        "patient": window.workspace.patient.name.text(),
        "menu": window.desk_menu.title(),
    }


def test_switching_language_rewrites_the_visible_texts(qtbot, desk_window):
    chinese = _visible_texts(desk_window)
    assert chinese["tab"].startswith("待随访")
    assert chinese["outcome"] == "无人接听 (F2)"
    assert chinese["sync"] == "立即同步"
    assert chinese["header"] == "姓名"
    set_language("en")
    english = _visible_texts(desk_window)
    assert english["tab"].startswith("Due now (")
    assert english["outcome"] == "No answer (F2)"
    assert english["sync"] == "Sync now"
    assert english["header"] == "Name"
    assert english["workspace_tab"] == "Call"
    assert english["patient"] == "No patient open"
    assert all(chinese[key] != english[key] for key in chinese)
    set_language("zh_CN")
    assert _visible_texts(desk_window) == chinese


def test_settings_dialog_saves_and_applies_language_and_font(qtbot, desk_window, desk_settings):
    before = (desk_settings.get(s.LANGUAGE), desk_settings.get(s.LARGE_FONT), desk_settings.get(s.WARD))
    dialog = SettingsDialog(desk_settings, desk_window.setup.ward, ("CARD1",), desk_window)
    qtbot.addWidget(dialog)
    assert "08:30" in dialog.calling_hours.text() and "20:00" in dialog.calling_hours.text()
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.font_size.setCurrentIndex(1)
    dialog.server_url.setText("https://followup.example.org")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert desk_settings.get(s.LANGUAGE) == "en"
    assert desk_settings.get(s.LARGE_FONT) is True
    assert desk_settings.get(s.SERVER_URL) == "https://followup.example.org"
    desk_window.apply_settings(before)
    assert current_language() == "en"
    assert desk_window.status.sync_button.text() == "Sync now"
    from PySide6.QtWidgets import QApplication

    from ui import theme

    assert QApplication.instance().font().pointSize() == theme.LARGE_POINT_SIZE
    theme.apply_theme(QApplication.instance(), large=False)


def test_settings_are_declared_once_with_types_and_defaults(desk_settings):
    assert desk_settings.get(s.LANGUAGE) == "zh_CN"
    assert desk_settings.get(s.LARGE_FONT) is False
    desk_settings.set(s.LARGE_FONT, True)
    desk_settings.sync()
    again = s.DeskSettings(desk_settings.store)
    assert again.get(s.LARGE_FONT) is True
    assert {setting.key for setting in s.ALL_SETTINGS} >= {"ui/language", "login/last_user"}
