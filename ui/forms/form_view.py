"""``ScaleFormView``: any scale definition as a live form.

Every edit runs the form engine's ``evaluate`` once (well under 2 ms) and the
view applies the result: items shown or hidden by enableWhen, the inline
problem of each field (once the nurse has finished with it, or after a submit
attempt — a half-typed number is not an error yet), the scores with their
interpretation, and the critical-value banner the moment a rule fires.
Only what changed is touched, so a 60-item scale stays smooth per keystroke.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from nurse_app.domain.forms import Evaluation, FormDefinition, Item, ItemType, RaisedAlert, evaluate
from nurse_app.domain.forms.critical_rules import Overrides
from nurse_app.domain.forms.definition import normalize_lang
from nurse_app.domain.forms.values import is_empty
from ui.forms.form_banners import CriticalBanner, ScoreSummary
from ui.forms.question_row import DisplayText, GroupFrame, QuestionRow
from ui.forms.texts import ANSWER_NEEDED, tr
from ui.i18n import current_language, language_notifier


def initial_answers(definition: FormDefinition) -> dict[str, object]:
    """The answers a new response starts with: each item's ``initial`` values (FHIR semantics)."""
    answers: dict[str, object] = {}
    for item, _parent in definition.walk():
        if item.is_question and item.initial:
            answers[item.link_id] = list(item.initial) if item.repeats else item.initial[0]
    return answers


class ScaleFormView(QWidget):
    """Renders ``definition`` and keeps it evaluated; ``answers()`` are the engine's raw answers."""

    sig_answers_changed = Signal(dict)  # after every user edit (not after set_answers)
    sig_critical = Signal(list)  # the raised alerts (RaisedAlert), whenever that list changes

    def __init__(
        self,
        definition: FormDefinition,
        *,
        answers: Mapping[str, object] | None = None,
        lang: str | None = None,
        overrides: Overrides | None = None,
        show_title: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.definition = definition
        self.overrides = overrides
        # A view given no language follows the application's; the designer may pin one for a preview.
        self._follows_app = lang is None
        self._lang = normalize_lang(lang or current_language())
        self._answers: dict[str, object] = {}
        self._touched: set[str] = set()
        self._show_all_problems = False
        self._read_only = False
        self._alerts: tuple[RaisedAlert, ...] = ()
        self._evaluation: Evaluation | None = None
        self.rows: dict[str, QuestionRow] = {}
        self.item_widgets: dict[str, QWidget] = {}

        self.banner = CriticalBanner(self)
        self.score_summary = ScoreSummary(self)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: bold; padding: 2px 0 4px 0;")
        self.title.setWordWrap(True)
        self.title.setVisible(show_title)
        content = QWidget()
        self._content_layout = QVBoxLayout(content)
        self._content_layout.setContentsMargins(12, 8, 12, 12)
        self._content_layout.setSpacing(4)
        self._content_layout.addWidget(self.title)
        for item in definition.items:
            self._content_layout.addWidget(self._build(item, content))
        self._content_layout.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.score_summary)
        layout.addWidget(self.scroll, 1)
        self._chain_tab_order()

        language_notifier().sig_language_changed.connect(self._app_language_changed)
        self.retranslate()
        self.set_answers(initial_answers(definition) if answers is None else answers)

    # --- building --------------------------------------------------------------------------------

    def _build(self, item: Item, parent: QWidget) -> QWidget:
        widget: QWidget
        if item.type == ItemType.GROUP:
            frame = GroupFrame(item, self._lang, parent)
            for child in item.items:
                frame.add_child(self._build(child, frame))
            widget = frame
        elif item.type == ItemType.DISPLAY:
            widget = DisplayText(item, self._lang, parent)
        else:
            row = QuestionRow(item, self._lang, parent)
            row.editor.sig_changed.connect(lambda link_id=item.link_id: self._edited(link_id))
            row.editor.sig_touched.connect(lambda link_id=item.link_id: self._mark_touched(link_id))
            self.rows[item.link_id] = row
            widget = row
        self.item_widgets[item.link_id] = widget
        return widget

    def _chain_tab_order(self) -> None:
        targets = [row.editor.focus_target() for row in self.rows.values()]
        for first, second in itertools.pairwise(targets):
            QWidget.setTabOrder(first, second)

    # --- public API ------------------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self._lang

    def answers(self) -> dict[str, object]:
        """The current answers (hidden items' answers kept: the engine ignores them, submit prunes them)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._answers.items()}

    def set_answers(self, answers: Mapping[str, object]) -> None:
        """Show ``answers`` (unknown linkIds are kept, so validation can name them); not an edit."""
        self._answers = {k: v for k, v in answers.items() if not is_empty(v)}
        for link_id, row in self.rows.items():
            row.editor.set_value(self._answers.get(link_id))
        self._refresh()

    def evaluation(self) -> Evaluation:
        """The engine's verdict on the current answers."""
        assert self._evaluation is not None
        return self._evaluation

    def alerts(self) -> tuple[RaisedAlert, ...]:
        """The alerts the banner shows (the engine's, minus those on answers the scale rejects)."""
        return self._alerts

    def show_all_problems(self) -> None:
        """Show every field's problem, touched or not (a submit attempt)."""
        self._show_all_problems = True
        self._refresh()

    def focus_first_problem(self) -> str | None:
        """Show all problems and put the cursor in the first field that has one; returns its linkId."""
        self.show_all_problems()
        for problem in self.evaluation().problems:
            widget = self.item_widgets.get(problem.link_id)
            if widget is None or widget.isHidden():
                continue
            self.scroll.ensureWidgetVisible(widget, 0, 40)
            row = self.rows.get(problem.link_id)
            if row is not None:
                row.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
            return problem.link_id
        return None

    def set_read_only(self, read_only: bool) -> None:
        """Lock every field (a submitted scale), or unlock the ones the scale does not mark read-only."""
        self._read_only = read_only
        for row in self.rows.values():
            row.editor.set_read_only(read_only or row.item.read_only)

    def is_read_only(self) -> bool:
        return self._read_only

    def set_language(self, lang: str) -> None:
        """Show the scale in ``lang`` ("zh_CN" or "en") from now on, whatever the application's language."""
        self._follows_app = False
        self._lang = normalize_lang(lang)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-read every text in the current language; answers are untouched."""
        if self._follows_app:
            self._lang = normalize_lang(current_language())
        self.title.setText(self.definition.title.get(self._lang))
        for widget in self.item_widgets.values():
            widget.retranslate(self._lang)  # type: ignore[attr-defined]
        if self._evaluation is not None:
            self._refresh()  # problems, score labels and alerts are worded by the engine

    # --- reacting to edits -----------------------------------------------------------------------

    def _app_language_changed(self, _language: str) -> None:
        if self._follows_app:
            self.retranslate()

    def _edited(self, link_id: str) -> None:
        value = self.rows[link_id].editor.value()
        if is_empty(value):
            self._answers.pop(link_id, None)
        else:
            self._answers[link_id] = value
        self._refresh()
        self.sig_answers_changed.emit(self.answers())

    def _mark_touched(self, link_id: str) -> None:
        if link_id not in self._touched:
            self._touched.add(link_id)
            self._refresh()

    def _refresh(self) -> None:
        result = evaluate(self.definition, self._answers, self._lang, self.overrides)
        self._evaluation = result
        first_problem: dict[str, str] = {}
        for problem in result.problems:
            # Under its own field, "'<the whole question>' is required" only repeats the question.
            text = tr(ANSWER_NEEDED, self._lang) if problem.code == "required" else problem.message
            first_problem.setdefault(problem.link_id, text)
        show_all = self._show_all_problems
        touched = self._touched
        enabled = result.enabled
        for link_id, widget in self.item_widgets.items():
            hidden = link_id not in enabled
            if widget.isHidden() != hidden:
                widget.setHidden(hidden)
            if hidden:
                continue
            visible = show_all or link_id in touched
            widget.show_problem(first_problem.get(link_id, "") if visible else "")  # type: ignore[attr-defined]
        self.score_summary.show_scores(result.scores, self._lang)
        # A reading the scale itself rejects (SBP "18" on the way to "180", below its minimum of 40)
        # is a typo in progress, not a critical value: alerts on items with a problem wait.
        alerts = tuple(a for a in result.alerts if a.target not in first_problem)
        self.banner.show_alerts(alerts, self._lang)
        if alerts != self._alerts:
            self._alerts = alerts
            self.sig_critical.emit(list(alerts))
