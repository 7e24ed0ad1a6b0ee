"""The Critical values tab: rules that raise an alert when an answer or a score crosses a threshold."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from nurse_app.domain.forms import CriticalRule, ItemType, LocalText, RuleOperator
from nurse_app.domain.forms.definition import CHOICE_TYPES, ORDERING_OPERATORS
from nurse_app.domain.forms.rule_checks import SCORE_TYPE
from nurse_app.domain.forms.versioning import edit
from nurse_app.domain.model import AlertSeverity
from ui.designer.document import DesignDocument
from ui.designer.item_fields import show_text
from ui.designer.labels import operator_name, severity_name
from ui.designer.rows_table import Choices, Column, Row, RowsTable
from ui.designer.tree_ops import walk_paths
from ui.designer.value_text import parse_list, parse_typed, show
from ui.i18n import N_, _, current_language

_OPS = [op.value for op in RuleOperator]
_MESSAGE_COLUMNS = (5, 6)


class RulesPanel(QWidget):
    """One row per rule: code, target (item or score), operator, threshold, severity, messages."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.rows = RowsTable(
            [
                Column(N_("Code"), width=96),
                Column(N_("Target"), choices=self._target_choices, stretch=True),
                Column(N_("Operator"), choices=self._operator_choices, width=70),
                Column(N_("Threshold"), width=74),
                Column(N_("Severity"), choices=self._severity_choices, width=86),
                Column(N_("Message (Chinese)")),
                Column(N_("Message (English)")),
            ],
            self._new_row,
            self,
            visible_rows=8,
        )
        self.rows.sig_edited.connect(self._commit)
        # The messages are long: edited below the table for the selected rule instead of in narrow cells.
        for column in _MESSAGE_COLUMNS:
            self.rows.table.setColumnHidden(column, True)
        self.message_zh = QLineEdit(self)
        self.message_en = QLineEdit(self)
        self.message_labels = (QLabel(self), QLabel(self))
        messages = QFormLayout()
        messages.addRow(self.message_labels[0], self.message_zh)
        messages.addRow(self.message_labels[1], self.message_en)
        for column, edit_box in zip(_MESSAGE_COLUMNS, (self.message_zh, self.message_en), strict=True):
            edit_box.editingFinished.connect(
                lambda column=column, edit_box=edit_box: self._message_edited(column, edit_box)
            )
        self.rows.table.currentCellChanged.connect(lambda *_args: self._show_messages())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.intro)
        layout.addWidget(self.rows, 1)
        layout.addLayout(messages)
        document.sig_changed.connect(lambda _select: self.reload())
        self.retranslate()

    def retranslate(self) -> None:
        self.intro.setText(
            _(
                "A critical rule raises an alert for the nurse when the answer of an item, or a score, "
                "meets the condition. Messages may use {value} and {threshold}. For “in”, list option "
                "codes separated by commas."
            )
        )
        self.message_labels[0].setText(_("Message (Chinese)"))
        self.message_labels[1].setText(_("Message (English)"))
        self.rows.retranslate()
        self.reload()

    def _show_messages(self) -> None:
        row = self.rows.table.currentRow()
        for column, edit_box in zip(_MESSAGE_COLUMNS, (self.message_zh, self.message_en), strict=True):
            cell = self.rows.table.item(row, column) if row >= 0 else None
            text = cell.text() if cell is not None else ""
            show_text(edit_box, text)
            edit_box.setEnabled(cell is not None and not self._document.read_only)

    def _message_edited(self, column: int, edit_box: QLineEdit) -> None:
        row = self.rows.table.currentRow()
        cell = self.rows.table.item(row, column) if row >= 0 else None
        if cell is not None and cell.text() != edit_box.text():
            cell.setText(edit_box.text())  # the table reports the edit, which commits it

    def _operator_choices(self, _row: Row) -> Choices:
        return [(operator_name(op), op) for op in _OPS]

    def _severity_choices(self, _row: Row) -> Choices:
        return [(severity_name(s), s.value) for s in AlertSeverity]

    def _target_choices(self, row: Row) -> Choices:
        lang = current_language()
        defn = self._document.definition
        choices: Choices = [
            (f"{item.link_id} · {item.text.get(lang)}", item.link_id)
            for _path, item in walk_paths(defn.items)
            if item.is_question
        ]
        choices += [(f"Σ {s.name} · {s.title.get(lang)}", s.name) for s in defn.scores]
        if row and row[1] and all(value != row[1] for _label, value in choices):
            choices.append((f"⚠ {row[1]}", row[1]))
        return choices

    def reload(self) -> None:
        rules = self._document.definition.critical_rules
        self.rows.set_rows(
            [
                [
                    r.code,
                    r.target,
                    str(r.operator),
                    show(r.threshold),
                    str(r.severity),
                    r.message.zh,
                    r.message.en,
                ]
                for r in rules
            ]
        )
        self.rows.set_read_only(self._document.read_only)
        self._show_messages()

    def select_rule(self, code: str) -> bool:
        for row, values in enumerate(self.rows.rows()):
            if values[0] == code:
                self.rows.table.selectRow(row)
                return True
        return False

    def _new_row(self) -> Row | None:
        targets = self._target_choices([])
        if not targets:
            return None
        codes = {r[0] for r in self.rows.rows()}
        n = 1
        while f"RULE{n}" in codes:
            n += 1
        return [f"RULE{n}", targets[-1][1], ">=", "", AlertSeverity.CRITICAL.value, "", ""]

    def _threshold(self, target: str, op: str, text: str) -> object:
        defn = self._document.definition
        item = defn.find(target)
        kind = item.type if item is not None else SCORE_TYPE if defn.score(target) else ItemType.STRING
        ordinal = kind in CHOICE_TYPES and op in ORDERING_OPERATORS
        if op == "in":
            return parse_list(text, kind)
        return parse_typed(text, kind, ordinal=ordinal)

    def _commit(self) -> None:
        if self._document.read_only:
            return
        rules = []
        for code, target, op, threshold, severity, zh, en in self.rows.rows():
            target = str(target or "")
            op = str(op or "")
            rules.append(
                CriticalRule(
                    code=str(code).strip(),
                    target=target,
                    operator=RuleOperator(op) if op in _OPS else op,  # type: ignore[arg-type]
                    threshold=self._threshold(target, op, str(threshold)),
                    severity=AlertSeverity(severity) if severity else AlertSeverity.CRITICAL,
                    message=LocalText(str(zh), str(en)),
                )
            )
        self._document.apply(
            edit(self._document.definition, critical_rules=tuple(rules)), _("Edit critical rules")
        )
