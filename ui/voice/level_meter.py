"""A small input level meter fed with RMS dBFS values (−60 dB silent … 0 dB full scale)."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from ui.i18n import _

FLOOR_DB = -60


class LevelMeter(QProgressBar):
    """Shows how loud the microphone hears the nurse; ``clear_level`` when a dictation ends."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(FLOOR_DB, 0)
        self.setTextVisible(False)
        self.setFixedSize(72, 10)
        self.setToolTip(_("Microphone level"))
        self.clear_level()

    def set_level(self, dbfs: float) -> None:
        self.setValue(int(max(FLOOR_DB, min(0.0, dbfs))))

    def clear_level(self) -> None:
        self.setValue(FLOOR_DB)

    def level(self) -> int:
        return self.value()
