"""The list-shaped properties of the selected item: answer options, enableWhen conditions, score membership.

Each editor shows a :class:`RowsTable`, turns its rows back into definition
objects on every committed edit, and records that as one undoable edit.
Values that do not parse are kept as typed so the problems list can name
them, rather than being dropped.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nurse_app.domain.forms import (
    AnswerOption,
    EnableBehavior,
    EnableOperator,
    EnableWhen,
    FormDefinition,
    Item,
    ItemType,
    LocalText,
    ScoreItem,
)
from nurse_app.domain.forms.definition import CHOICE_TYPES, ORDERING_OPERATORS
from nurse_app.domain.forms.rule_checks import SCORABLE_TYPES
from nurse_app.domain.forms.versioning import edit
from ui.designer.document import DesignDocument
from ui.designer.labels import operator_name
from ui.designer.rows_table import Choices, Column, Row, RowsTable
from ui.designer.tree_ops import Path, earlier_questions, item_at, replace_at, with_items
from ui.designer.value_text import parse_number, parse_typed, show
from ui.i18n import N_, _, current_language

_ALL_OPS = [op.value for op in EnableOperator]
_UNORDERED_OPS = ["=", "!=", "exists"]


class _ItemListEditor(QWidget):
    """Shared plumbing: which item is shown, and committing a changed item or definition."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._path: Path | None = None
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #666666;")

    def item(self) -> Item | None:
        if self._path is None:
            return None
        try:
            return item_at(self._document.definition.items, self._path)
        except IndexError:
            return None

    def commit_item(self, new: Item, text: str) -> None:
        defn = self._document.definition
        self.commit(with_items(defn, replace_at(defn.items, self._path, new)), text)  # type: ignore[arg-type]

    def commit(self, after: FormDefinition, text: str) -> None:
        if self._path is not None and not self._document.read_only:
            self._document.apply(after, text, select_after=self._path, select_before=self._path)


class OptionsEditor(_ItemListEditor):
    """Answer options of a choice item: code, Chinese and English display, ordinal (score) value."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        columns = [
            Column(N_("Code"), width=60),
            Column(N_("Chinese"), stretch=True),
            Column(N_("English"), stretch=True),
            Column(N_("Score"), width=56),
        ]
        self.rows = RowsTable(columns, self._new_row, self, visible_rows=4)
        self.rows.sig_edited.connect(self._on_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rows)

    def retranslate(self) -> None:
        self.rows.retranslate()

    def show_item(self, path: Path | None) -> None:
        self._path = path
        item = self.item()
        if item is not None:
            self.rows.set_rows(
                [[o.code, o.display.zh, o.display.en, show(o.ordinal)] for o in item.answer_options]
            )
            self.rows.set_read_only(self._document.read_only)

    def _new_row(self) -> Row:
        rows = self.rows.rows()
        codes = {str(r[0]) for r in rows}
        n = len(rows) + 1
        while str(n) in codes:
            n += 1
        ordinals = [v for v in (parse_number(str(r[3])) for r in rows) if isinstance(v, (int, float))]
        ordinal = max(ordinals) + 1 if ordinals else 0
        return [str(n), f"选项{n}", f"Option {n}", show(ordinal)]

    def _on_edited(self) -> None:
        item = self.item()
        if item is None:
            return
        options = tuple(
            AnswerOption(str(code).strip(), LocalText(str(zh), str(en)), parse_number(str(ordinal)))  # type: ignore[arg-type]
            for code, zh, en, ordinal in self.rows.rows()
        )
        self.commit_item(dataclasses.replace(item, answer_options=options), _("Edit answer options"))


class EnableWhenEditor(_ItemListEditor):
    """Show-the-item conditions; the question combo offers only items *before* this one."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.behavior = QComboBox(self)
        self.behavior.addItem("", EnableBehavior.ALL.value)
        self.behavior.addItem("", EnableBehavior.ANY.value)
        self.behavior_label = QLabel(self)
        columns = [
            Column(N_("Question"), choices=self._question_choices, stretch=True),
            Column(N_("Operator"), choices=self._operator_choices, width=96),
            Column(N_("Answer"), choices=self._answer_choices, editable_combo=True, width=130),
        ]
        self.rows = RowsTable(columns, self._new_row, self, visible_rows=2)
        self.rows.sig_edited.connect(self._on_edited)
        self.behavior.currentIndexChanged.connect(self._on_edited)
        top = QHBoxLayout()
        top.addWidget(self.behavior_label)
        top.addWidget(self.behavior, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.rows)
        layout.addWidget(self.hint)
        self._loading = False
        self.retranslate()

    def retranslate(self) -> None:
        self.behavior_label.setText(_("Show this item when"))
        self.behavior.setItemText(0, _("all conditions hold (all)"))
        self.behavior.setItemText(1, _("any condition holds (any)"))
        self.hint.setText(_("Only questions before this item can be chosen."))
        self.rows.retranslate()

    def _source(self, link_id: object) -> Item | None:
        return self._document.definition.find(str(link_id)) if link_id else None

    def _question_choices(self, row: Row) -> Choices:
        earlier = earlier_questions(self._document.definition, self._path or ())
        choices: Choices = [(f"{i.link_id} · {i.text.get(_lang())}", i.link_id) for i in earlier]
        if row and row[0] and all(value != row[0] for _label, value in choices):
            # A condition on a later or missing item stays visible (and flagged) until fixed.
            choices.append((f"⚠ {row[0]}", row[0]))
        return choices

    def _operator_choices(self, row: Row) -> Choices:
        source = self._source(row[0] if row else None)
        ops = _UNORDERED_OPS if source is not None and source.type in _UNORDERED else _ALL_OPS
        return [(operator_name(op), op) for op in ops]

    def _answer_choices(self, row: Row) -> Choices:
        source = self._source(row[0] if row else None)
        op = row[1] if len(row) > 1 else "="
        if op == "exists" or (source is not None and source.type == ItemType.BOOLEAN):
            return [(_("yes"), True), (_("no"), False)]
        if source is not None and source.type in CHOICE_TYPES and op in ("=", "!="):
            return [(f"{o.code} · {o.display.get(_lang())}", o.code) for o in source.answer_options]
        return []

    def show_item(self, path: Path | None) -> None:
        self._path = path
        item = self.item()
        if item is None:
            return
        self._loading = True
        try:
            self.behavior.setCurrentIndex(0 if item.enable_behavior == EnableBehavior.ALL else 1)
        finally:
            self._loading = False
        rows = []
        for cond in item.enable_when:
            row: Row = [cond.question, str(cond.operator), cond.answer]
            known = [value for _label, value in self._answer_choices(row)]
            rows.append(
                [
                    cond.question,
                    str(cond.operator),
                    cond.answer if cond.answer in known else show(cond.answer),
                ]
            )
        self.rows.set_rows(rows)
        self.rows.set_read_only(self._document.read_only)
        self.behavior.setEnabled(not self._document.read_only)

    def _new_row(self) -> Row | None:
        earlier = earlier_questions(self._document.definition, self._path or ())
        if not earlier:
            self.hint.setText(_("Add a question above this item first: conditions can only look back."))
            return None
        source = earlier[-1]  # the question just before is the usual trigger ("if yes, ask…")
        row: Row = [source.link_id, "=", None]
        answers = self._answer_choices(row)
        row[2] = answers[0][1] if answers else ""
        return row

    def _on_edited(self) -> None:
        item = self.item()
        if item is None or self._loading:
            return
        conditions = []
        for question, op, answer in self.rows.rows():
            source = self._source(question)
            if isinstance(answer, str) and source is not None:
                by_ordinal = source.type in CHOICE_TYPES and op in ORDERING_OPERATORS
                answer = parse_typed(answer, source.type, ordinal=by_ordinal)
            operator = EnableOperator(op) if op in _ALL_OPS else op
            conditions.append(EnableWhen(str(question or ""), operator, answer))  # type: ignore[arg-type]
        behavior = EnableBehavior(self.behavior.currentData())
        changed = dataclasses.replace(item, enable_when=tuple(conditions), enable_behavior=behavior)
        self.commit_item(changed, _("Edit display conditions"))


_UNORDERED = frozenset({ItemType.BOOLEAN, ItemType.STRING, ItemType.TEXT})


class ScoreMembershipEditor(_ItemListEditor):
    """Which scores count this item, and with what weight."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        columns = [
            Column(N_("Score"), choices=self._score_choices, stretch=True),
            Column(N_("Weight"), width=70),
        ]
        self.rows = RowsTable(columns, self._new_row, self, visible_rows=1)
        self.rows.sig_edited.connect(self._on_edited)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rows)
        layout.addWidget(self.hint)
        self.hint.hide()
        self.retranslate()

    def retranslate(self) -> None:
        self.hint.setText(_("Create a score on the Scores tab first."))
        self.rows.retranslate()

    def _score_choices(self, _row: Row) -> Choices:
        return [(s.title.get(_lang()) or s.name, s.name) for s in self._document.definition.scores]

    def applies_to(self, item: Item) -> bool:
        return item.type in SCORABLE_TYPES

    def show_item(self, path: Path | None) -> None:
        self._path = path
        item = self.item()
        if item is None:
            return
        rows = []
        for score in self._document.definition.scores:
            rows.extend([score.name, show(e.weight)] for e in score.items if e.link_id == item.link_id)
        self.rows.set_rows(rows)
        self.rows.set_read_only(self._document.read_only)
        self.hint.setVisible(not self._document.definition.scores)

    def _new_row(self) -> Row | None:
        used = {r[0] for r in self.rows.rows()}
        free = [s.name for s in self._document.definition.scores if s.name not in used]
        return [free[0], "1"] if free else None

    def _on_edited(self) -> None:
        item = self.item()
        if item is None:
            return
        weights = {str(name): parse_number(str(weight)) for name, weight in self.rows.rows() if name}
        scores = []
        for score in self._document.definition.scores:
            entries = []
            placed = False
            for entry in score.items:
                if entry.link_id != item.link_id:
                    entries.append(entry)
                elif score.name in weights and not placed:
                    entries.append(ScoreItem(item.link_id, weights[score.name]))  # type: ignore[arg-type]
                    placed = True
            if score.name in weights and not placed:
                entries.append(ScoreItem(item.link_id, weights[score.name]))  # type: ignore[arg-type]
            scores.append(dataclasses.replace(score, items=tuple(entries)))
        defn = self._document.definition
        self.commit(edit(defn, scores=tuple(scores)), _("Edit score membership"))


def _lang() -> str:
    return current_language()
