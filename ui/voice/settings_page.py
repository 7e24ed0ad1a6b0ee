"""The "Voice" page of the settings dialog: dictation models, microphone, threshold, audio, read-aloud.

* one Vosk model folder per dictation language (Mandarin, English), each with a
  "Check" button that runs :meth:`ModelRegistry.check_all` on the folder and shows
  its message (missing, incomplete, unreadable, or OK);
* the microphone, from :func:`list_input_devices` (saved by label; when there is
  no device the reason is shown — a PC without a sound card, a CI machine);
* the confidence threshold below which a result is only suggested;
* "keep dictated audio" (off by default: then no audio is stored at all);
* "Export voice usage log": the desk's dictation usage log (which fields were
  dictated, how long each took) as a CSV file;
* the read-aloud voice (from :meth:`ReadAloud.voices`; "automatic" is the best
  Mandarin voice, named once known) and rate, with the reason when read-aloud is
  unavailable. The speech engine is probed off the GUI thread when the page is
  first shown, since starting it can take seconds.

Keys locked by the machine configuration are shown greyed out, as on the general page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nurse_app.voice import InputDevice, ModelRegistry, ModelState, ReadAloud, TtsVoice, list_input_devices
from nurse_app.voice.errors import ModelProblem
from ui.desk import settings as s
from ui.desk.settings import DeskSettings, Setting
from ui.i18n import _

log = logging.getLogger(__name__)

OK_STYLE = "color: #1b7f3b;"
PROBLEM_STYLE = "color: #b3261e;"


@dataclass(frozen=True, slots=True)
class ReadAloudInfo:
    """What the read-aloud engine of this PC offers: whether it works (and why not), its voices."""

    ok: bool
    reason: str
    voices: tuple[TtsVoice, ...] = ()
    chosen: TtsVoice | None = None  # the best Mandarin voice: what "automatic" reads with


def probe_read_aloud(engine: ReadAloud | None = None) -> ReadAloudInfo:
    """Ask a :class:`ReadAloud` (a new one unless given) for its availability and voices (blocking)."""
    own = engine is None
    engine = engine or ReadAloud()
    try:
        ok, reason = engine.available()
        return ReadAloudInfo(ok, reason, tuple(engine.voices()), engine.chosen_voice("zh_CN"))
    finally:
        if own:
            engine.close()


def _problem_text(problem: ModelProblem | None) -> str:
    return {
        ModelProblem.MISSING: _("Model folder not found"),
        ModelProblem.PARTIAL: _("Incomplete model"),
        ModelProblem.UNREADABLE: _("Model cannot be read"),
        ModelProblem.NOT_CONFIGURED: _("No model set"),
    }.get(problem or ModelProblem.LOAD_FAILED, _("Model cannot be used"))


class VoiceSettingsPage(QWidget):
    """Edits the voice settings of :class:`DeskSettings`; the dialog calls :meth:`save` on accept."""

    sig_read_aloud = Signal(object)  # ReadAloudInfo, emitted from the probe thread (queued)

    def __init__(
        self,
        settings: DeskSettings,
        parent: QWidget | None = None,
        *,
        list_devices: Callable[[], tuple[list[InputDevice], str]] = list_input_devices,
        read_aloud_probe: Callable[[], ReadAloudInfo] = probe_read_aloud,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._read_aloud_probe = read_aloud_probe
        self._probe_started = False
        self.read_aloud_info: ReadAloudInfo | None = None
        self.sig_read_aloud.connect(self._read_aloud_probed)

        # -- dictation models, one per language
        captions = {"zh_CN": _("Mandarin model"), "en": _("English model")}
        self.model_edits: dict[str, QLineEdit] = {}
        self.model_browse: dict[str, QPushButton] = {}
        self.model_check: dict[str, QPushButton] = {}
        self.model_status: dict[str, QLabel] = {}
        dictation = QGroupBox(_("Dictation"))
        dictation_form = QFormLayout(dictation)
        for lang, setting in s.VOICE_MODEL_PATHS.items():
            edit = QLineEdit(settings.get(setting))
            edit.setPlaceholderText(_("Vosk model folder (empty: no dictation in this language)"))
            edit.setAccessibleName(captions[lang])
            browse = QPushButton(_("Browse…"))
            browse.clicked.connect(lambda _checked=False, lang=lang: self._browse_model(lang))
            check = QPushButton(_("Check"))
            check.setToolTip(_("Check that the folder holds a complete, readable Vosk model"))
            check.clicked.connect(lambda _checked=False, lang=lang: self.check_model(lang))
            status = QLabel()
            status.setWordWrap(True)
            status.setVisible(False)
            edit.textEdited.connect(lambda _text, status=status: status.setVisible(False))
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(edit, 1)
            row.addWidget(browse)
            row.addWidget(check)
            dictation_form.addRow(captions[lang], row)
            dictation_form.addRow("", status)
            self.model_edits[lang], self.model_browse[lang] = edit, browse
            self.model_check[lang], self.model_status[lang] = check, status

        # -- microphone
        self.device = QComboBox()
        self.device.setAccessibleName(_("Microphone"))
        self.device_reason = QLabel()
        self.device_reason.setWordWrap(True)
        self.device_reason.setStyleSheet(PROBLEM_STYLE)
        self._fill_devices(list_devices)
        dictation_form.addRow(_("Microphone"), self.device)
        dictation_form.addRow("", self.device_reason)

        # -- confidence threshold
        self.confidence = QDoubleSpinBox()
        self.confidence.setRange(0.0, 1.0)
        self.confidence.setSingleStep(0.05)
        self.confidence.setDecimals(2)
        self.confidence.setValue(float(settings.get(s.VOICE_CONFIDENCE)))
        self.confidence.setAccessibleName(_("Confidence threshold"))
        self.confidence.setToolTip(
            _("Results less certain than this are shown for confirmation, not filled in")
        )
        dictation_form.addRow(_("Confidence threshold"), self.confidence)

        # -- keeping audio
        self.store_audio = QCheckBox(_("Keep dictated audio"))
        self.store_audio.setChecked(bool(settings.get(s.VOICE_STORE_AUDIO)))
        self.store_audio_note = QLabel()
        self.store_audio_note.setWordWrap(True)
        self.store_audio.toggled.connect(self._update_audio_note)
        self._update_audio_note(self.store_audio.isChecked())
        dictation_form.addRow("", self.store_audio)
        dictation_form.addRow("", self.store_audio_note)

        # -- the dictation usage log
        self.export_usage = QPushButton(_("Export voice usage log"))
        self.export_usage.setToolTip(_("Save which fields were dictated and how long each took, as CSV"))
        self.export_usage.clicked.connect(self.export_usage_dialog)
        self.export_usage_status = QLabel()
        self.export_usage_status.setWordWrap(True)
        self.export_usage_status.setVisible(False)
        dictation_form.addRow("", self.export_usage)
        dictation_form.addRow("", self.export_usage_status)

        # -- read-aloud
        reading = QGroupBox(_("Read-aloud"))
        reading_form = QFormLayout(reading)
        self.tts_voice = QComboBox()
        self.tts_voice.setAccessibleName(_("Read-aloud voice"))
        self._fill_voices(None)
        self.tts_rate = QSpinBox()
        self.tts_rate.setRange(0, 400)
        self.tts_rate.setSingleStep(10)
        self.tts_rate.setSpecialValueText(_("Engine default"))
        self.tts_rate.setSuffix(_(" words/min"))
        self.tts_rate.setValue(int(settings.get(s.TTS_RATE)))
        self.tts_rate.setAccessibleName(_("Speaking rate"))
        self.read_aloud_reason = QLabel()
        self.read_aloud_reason.setWordWrap(True)
        self.read_aloud_reason.setVisible(False)
        reading_form.addRow(_("Read-aloud voice"), self.tts_voice)
        reading_form.addRow(_("Speaking rate"), self.tts_rate)
        reading_form.addRow("", self.read_aloud_reason)

        layout = QVBoxLayout(self)
        layout.addWidget(dictation)
        layout.addWidget(reading)
        layout.addStretch(1)
        self._disable_locked()

    # ------------------------------------------------------------------ models

    def check_model(self, lang: str) -> bool:
        """Check the folder typed for ``lang`` and show the outcome under it; True when it is usable."""
        path = self.model_edits[lang].text().strip()
        label = self.model_status[lang]
        ok = False
        if not path:
            text = _("No model set: no dictation in this language")
            style = ""
        else:
            status = ModelRegistry({lang: path}).check_all()[lang]
            ok = status.state is ModelState.IDLE
            if ok:
                text = _("Model OK: {path}").format(path=path)
            else:
                text = f"{_problem_text(status.problem)} — {status.message}"
            style = OK_STYLE if ok else PROBLEM_STYLE
        label.setText(text)
        label.setStyleSheet(style)
        label.setVisible(True)
        return ok

    def _browse_model(self, lang: str) -> None:
        edit = self.model_edits[lang]
        path = QFileDialog.getExistingDirectory(self, _("Voice model"), edit.text())
        if path:
            edit.setText(path)
            self.check_model(lang)

    # ------------------------------------------------------------------ microphone

    def _fill_devices(self, list_devices: Callable[[], tuple[list[InputDevice], str]]) -> None:
        try:
            devices, reason = list_devices()
        except Exception as exc:  # list_input_devices never raises; an injected lister might
            devices, reason = [], str(exc)
        self.device.addItem(_("System default microphone"), "")
        for device in devices:
            text = (
                _("{device} (system default)").format(device=device.label)
                if device.is_default
                else device.label
            )
            self.device.addItem(text, device.label)
        saved = self.settings.get(s.VOICE_INPUT_DEVICE)
        if saved and self.device.findData(saved) < 0:
            self.device.addItem(_("{device} (not connected)").format(device=saved), saved)
        self.device.setCurrentIndex(max(self.device.findData(saved), 0))
        self.devices = devices
        if devices:
            self.device_reason.setVisible(False)
        else:
            self.device_reason.setText(_("No microphone can be used: {reason}").format(reason=reason))
            self.device_reason.setVisible(True)

    # ------------------------------------------------------------------ audio

    def _update_audio_note(self, on: bool) -> None:
        if on:
            self.store_audio_note.setText(
                _("Each dictated utterance is kept as a WAV file in {folder}. Audio is patient data.").format(
                    folder=s.voice_audio_dir()
                )
            )
            self.store_audio_note.setStyleSheet(PROBLEM_STYLE)
        else:
            self.store_audio_note.setText(_("No audio is stored: speech is turned into text and discarded."))
            self.store_audio_note.setStyleSheet("")

    # ------------------------------------------------------------------ usage log

    def export_usage_dialog(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export voice usage log"), "voice-usage.csv", "CSV (*.csv)"
        )
        if path:
            self.export_usage_log(Path(path))

    def export_usage_log(self, path: Path) -> bool:
        """Write the desk's dictation usage log to ``path`` as CSV and say so under the button."""
        from ui.voice.service import usage_log

        try:
            usage_log().export_csv(path)
        except OSError as error:
            text = _("Cannot export the voice usage log: {error}").format(error=error)
            ok = False
        else:
            text = _("Voice usage log exported: {path}").format(path=path)
            ok = True
        self.export_usage_status.setText(text)
        self.export_usage_status.setStyleSheet(OK_STYLE if ok else PROBLEM_STYLE)
        self.export_usage_status.setVisible(True)
        return ok

    # ------------------------------------------------------------------ read-aloud

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.probe_read_aloud()

    def probe_read_aloud(self) -> None:
        """Start (once) finding the read-aloud voices off the GUI thread; ``sig_read_aloud`` answers."""
        if self._probe_started:
            return
        self._probe_started = True
        self.read_aloud_reason.setText(_("Looking for read-aloud voices…"))
        self.read_aloud_reason.setStyleSheet("")
        self.read_aloud_reason.setVisible(True)
        probe = self._read_aloud_probe

        def run() -> None:
            try:
                info = probe()
            except Exception as exc:  # the page must still say something
                info = ReadAloudInfo(False, str(exc))
            if shiboken6.isValid(self):
                self.sig_read_aloud.emit(info)

        threading.Thread(target=run, name="read-aloud-settings-probe", daemon=True).start()

    def _read_aloud_probed(self, info: ReadAloudInfo) -> None:
        self.read_aloud_info = info
        self._fill_voices(info)
        if info.ok:
            self.read_aloud_reason.setVisible(False)
        else:
            log.info("read-aloud unavailable: %s", info.reason)
            self.read_aloud_reason.setText(
                _("Read-aloud is not available on this PC: {reason}").format(reason=info.reason)
            )
            self.read_aloud_reason.setStyleSheet(PROBLEM_STYLE)
            self.read_aloud_reason.setVisible(True)

    def _fill_voices(self, info: ReadAloudInfo | None) -> None:
        """The voice chooser: "automatic" (the best Mandarin voice) first, then every installed voice."""
        selected = self.tts_voice.currentData() if self.tts_voice.count() else self.settings.get(s.TTS_VOICE)
        self.tts_voice.clear()
        if info is None:
            automatic = _("Automatic (best Mandarin voice)")
        elif info.chosen is not None:
            automatic = _("Automatic: {voice}").format(voice=info.chosen.name or info.chosen.id)
        else:
            automatic = _("Automatic (no Mandarin voice installed)")
        self.tts_voice.addItem(automatic, "")
        for voice in info.voices if info else ():
            self.tts_voice.addItem(voice.name or voice.id, voice.id)
        if selected and self.tts_voice.findData(selected) < 0:
            by_name = next((v for v in (info.voices if info else ()) if v.name == selected), None)
            if by_name is not None:
                selected = by_name.id
            else:
                text = selected if info is None else _("{voice} (not installed)").format(voice=selected)
                self.tts_voice.addItem(text, selected)
        self.tts_voice.setCurrentIndex(max(self.tts_voice.findData(selected), 0))

    # ------------------------------------------------------------------ locks and saving

    def _locked_widgets(self) -> tuple[tuple[Setting, tuple[QWidget, ...]], ...]:
        models = tuple(
            (setting, (self.model_edits[lang], self.model_browse[lang]))
            for lang, setting in s.VOICE_MODEL_PATHS.items()
        )
        return (
            *models,
            (s.VOICE_INPUT_DEVICE, (self.device,)),
            (s.VOICE_CONFIDENCE, (self.confidence,)),
            (s.VOICE_STORE_AUDIO, (self.store_audio,)),
            (s.TTS_VOICE, (self.tts_voice,)),
            (s.TTS_RATE, (self.tts_rate,)),
        )

    def _disable_locked(self) -> None:
        """Fields IT fixed in the machine configuration are shown but cannot be edited (Check still works)."""
        for setting, widgets in self._locked_widgets():
            if self.settings.is_locked(setting):
                for widget in widgets:
                    widget.setEnabled(False)
                    widget.setToolTip(_("Set by IT for this PC"))
        if not self.devices:
            self.device.setEnabled(False)  # nothing to choose from

    def dictation_values(self) -> tuple[object, ...]:
        """What dictation is built from (a change means rebuilding it for new forms)."""
        return tuple(self.settings.get(setting) for setting in (*s.VOICE_MODEL_PATHS.values(), *_DICTATION))

    def save(self) -> None:
        settings = self.settings
        before = self.dictation_values()
        for lang, setting in s.VOICE_MODEL_PATHS.items():
            settings.set(setting, self.model_edits[lang].text().strip())
        settings.set(s.VOICE_INPUT_DEVICE, self.device.currentData() or "")
        settings.set(s.VOICE_CONFIDENCE, round(self.confidence.value(), 2))
        settings.set(s.VOICE_STORE_AUDIO, self.store_audio.isChecked())
        settings.set(s.TTS_VOICE, self.tts_voice.currentData() or "")
        settings.set(s.TTS_RATE, self.tts_rate.value())
        if self.dictation_values() != before:
            from ui.voice.service import reset_voice

            reset_voice()


_DICTATION = (s.VOICE_INPUT_DEVICE, s.VOICE_CONFIDENCE, s.VOICE_STORE_AUDIO)
