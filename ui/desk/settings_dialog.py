"""Settings: a general page (server, CA bundle, ward, language, font size; calling hours read-only)
and the voice page (:class:`ui.voice.settings_page.VoiceSettingsPage`)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.model import Ward
from ui.desk import settings as s
from ui.desk.settings import DeskSettings
from ui.i18n import LANGUAGES, _, current_language
from ui.voice.settings_page import VoiceSettingsPage


def _with_browse(edit: QLineEdit, browse: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


class SettingsDialog(QDialog):
    """Edits :class:`DeskSettings`; the caller applies language and font after ``accept``."""

    def __init__(
        self, settings: DeskSettings, ward: Ward | None, wards: tuple[str, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(_("Settings"))
        self.setMinimumWidth(560)
        self.server_url = QLineEdit(settings.get(s.SERVER_URL))
        self.server_url.setPlaceholderText("https://followup.hospital.local")
        self.ca_bundle = QLineEdit(settings.get(s.CA_BUNDLE))
        self.ca_browse = QPushButton(_("Browse…"))
        self.ca_browse.clicked.connect(lambda: self._browse_file(self.ca_bundle, _("CA bundle")))
        self.ward = QComboBox()
        self.ward.addItem(_("All my wards"), "")
        for code in wards:
            self.ward.addItem(code, code)
        self.ward.setCurrentIndex(max(self.ward.findData(settings.get(s.WARD)), 0))
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        # The language on screen (a --lang override may differ from the saved one).
        self.language.setCurrentIndex(max(self.language.findData(current_language()), 0))
        self.font_size = QComboBox()
        self.font_size.addItem(_("Normal"), False)
        self.font_size.addItem(_("Large (easier to read)"), True)
        self.font_size.setCurrentIndex(1 if settings.get(s.LARGE_FONT) else 0)
        self.voice_page = VoiceSettingsPage(settings)
        # The Mandarin model field and the voice chooser, under their older names.
        self.voice_model = self.voice_page.model_edits["zh_CN"]
        self.voice_browse = self.voice_page.model_browse["zh_CN"]
        self.tts_voice = self.voice_page.tts_voice
        hours = ward.calling_hours if ward else None
        self.calling_hours = QLabel(
            f"{hours.start:%H:%M} – {hours.end:%H:%M} ({hours.zone})" if hours else _("Set by the ward")
        )

        self.general_page = QWidget()
        form = QFormLayout(self.general_page)
        rows = (
            (_("Server URL"), self.server_url),
            (_("CA bundle"), _with_browse(self.ca_bundle, self.ca_browse)),
            (_("Ward"), self.ward),
            (_("Language"), self.language),
            (_("Font size"), self.font_size),
            (_("Calling hours"), self.calling_hours),
        )
        for caption, field in rows:
            form.addRow(caption, field)
        for caption, widget in (
            (_("Server URL"), self.server_url),
            (_("CA bundle"), self.ca_bundle),
            (_("Ward"), self.ward),
            (_("Language"), self.language),
            (_("Font size"), self.font_size),
        ):
            widget.setAccessibleName(caption)
        self._disable_locked()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.general_page, _("General"))
        self.tabs.addTab(self.voice_page, _("Voice"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)

    def _disable_locked(self) -> None:
        """Fields IT fixed in the machine configuration are shown but cannot be edited."""
        for setting, widgets in (
            (s.SERVER_URL, (self.server_url,)),
            (s.CA_BUNDLE, (self.ca_bundle, self.ca_browse)),
            (s.WARD, (self.ward,)),
            (s.LANGUAGE, (self.language,)),
            (s.LARGE_FONT, (self.font_size,)),
        ):
            if self.settings.is_locked(setting):
                for widget in widgets:
                    widget.setEnabled(False)

    def _browse_file(self, edit: QLineEdit, title: str) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, title, edit.text())
        if path:
            edit.setText(path)

    def save(self) -> None:
        settings = self.settings
        settings.set(s.SERVER_URL, self.server_url.text().strip())
        settings.set(s.CA_BUNDLE, self.ca_bundle.text().strip())
        settings.set(s.WARD, self.ward.currentData() or "")
        settings.set(s.LANGUAGE, self.language.currentData())
        settings.set(s.LARGE_FONT, bool(self.font_size.currentData()))
        self.voice_page.save()
        settings.sync()

    def accept(self) -> None:
        self.save()
        super().accept()
