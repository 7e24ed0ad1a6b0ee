"""The two strips above a form: the red critical-value banner and the live score line.

Both sit outside the scrolled questions, so a critical value stays in sight
wherever the nurse is in a long scale.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from nurse_app.domain.forms import RaisedAlert, ScoreResult
from nurse_app.domain.model import AlertSeverity
from ui.forms.texts import (
    ANSWERED,
    CRITICAL_TITLE,
    SCORE,
    SEVERITY_CRITICAL,
    SEVERITY_WARNING,
    number_text,
    tr,
)


class CriticalBanner(QFrame):
    """Red strip listing every raised alert's message; hidden while none is raised."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("criticalBanner")
        self.setStyleSheet(
            "#criticalBanner { background: #c62828; border-radius: 4px; }"
            "#criticalBanner QLabel { color: white; background: transparent; }"
        )
        self.title = QLabel(self)
        self.title.setStyleSheet("font-weight: bold;")
        self.lines = QLabel(self)
        self.lines.setWordWrap(True)
        self.lines.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.lines)
        self.setAccessibleName("critical values")
        self.hide()
        self._alerts: tuple[RaisedAlert, ...] = ()
        self._lang = "zh_CN"

    def show_alerts(self, alerts: Sequence[RaisedAlert], lang: str) -> None:
        alerts = tuple(alerts)
        if alerts == self._alerts and lang == self._lang:
            return
        self._alerts, self._lang = alerts, lang
        self.title.setText("⚠ " + tr(CRITICAL_TITLE, lang))
        rows = []
        for alert in alerts:
            tag = SEVERITY_CRITICAL if alert.severity is AlertSeverity.CRITICAL else SEVERITY_WARNING
            rows.append(f"• <b>[{html.escape(tr(tag, lang))}]</b> {html.escape(alert.message(lang))}")
        self.lines.setText("<br>".join(rows))
        self.setVisible(bool(alerts))

    def messages(self) -> list[str]:
        """The alert messages shown (tests and accessibility)."""
        return [alert.message(self._lang) for alert in self._alerts]


class ScoreSummary(QLabel):
    """ "PHQ-9 总分：12 · 中度 (9/9 已答)" for every score of the scale; hidden when it has none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scoreSummary")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setStyleSheet("#scoreSummary { background: palette(alternate-base); padding: 6px 10px; }")
        self.hide()

    def show_scores(self, scores: Mapping[str, ScoreResult], lang: str) -> None:
        parts = []
        for result in scores.values():
            title = result.title.get(lang) or result.name
            head = tr(SCORE, lang, title=html.escape(title), value=number_text(result.value))
            band = f" · {html.escape(result.label)}" if result.label else ""
            counted = tr(ANSWERED, lang, answered=result.answered, enabled=result.enabled)
            parts.append(f"<b>{head}</b>{band} <span style='color: gray'>({counted})</span>")
        text = "&nbsp;&nbsp;&nbsp;".join(parts)
        if text != self.text():
            self.setText(text)
        self.setVisible(bool(parts))
