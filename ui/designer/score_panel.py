"""The Scores tab: named scores, the items they count (with weights) and their interpretation bands."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nurse_app.domain.forms import LocalText, ScoreBand, ScoreDefinition, ScoreItem
from nurse_app.domain.forms.rule_checks import SCORABLE_TYPES
from nurse_app.domain.forms.versioning import edit
from ui.designer.document import DesignDocument
from ui.designer.item_fields import show_text
from ui.designer.rows_table import Choices, Column, Row, RowsTable
from ui.designer.tree_ops import walk_paths
from ui.designer.value_text import parse_number, show
from ui.i18n import N_, _, current_language


class ScorePanel(QWidget):
    """Pick a score, edit its name, title, members and bands; Add / Remove scores."""

    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._loading = False
        self.selector = QComboBox(self)
        self.add_button = QPushButton(self)
        self.remove_button = QPushButton(self)
        self.name = QLineEdit(self)
        self.title_zh = QLineEdit(self)
        self.title_en = QLineEdit(self)
        self.members = RowsTable(
            [
                Column(N_("Item"), choices=self._item_choices, stretch=True),
                Column(N_("Weight"), width=70),
            ],
            self._new_member,
            self,
            visible_rows=3,
        )
        self.bands = RowsTable(
            [
                Column(N_("From"), width=52),
                Column(N_("To"), width=52),
                Column(N_("Meaning (Chinese)"), stretch=True),
                Column(N_("Meaning (English)"), stretch=True),
            ],
            self._new_band,
            self,
            visible_rows=4,
        )
        top = QHBoxLayout()
        top.addWidget(self.selector, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        self.form = QFormLayout()
        self.labels = [QLabel(self) for _n in range(5)]
        self.form.addRow(self.labels[0], self.name)
        self.form.addRow(self.labels[1], self.title_zh)
        self.form.addRow(self.labels[2], self.title_en)
        self.form.addRow(self.labels[3], self.members)
        self.form.addRow(self.labels[4], self.bands)
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addLayout(self.form)
        layout.addStretch(1)

        self.selector.currentIndexChanged.connect(lambda _i: self._load_selected())
        self.add_button.clicked.connect(self._add_score)
        self.remove_button.clicked.connect(self._remove_score)
        self.name.editingFinished.connect(self._commit)
        self.title_zh.editingFinished.connect(self._commit)
        self.title_en.editingFinished.connect(self._commit)
        self.members.sig_edited.connect(self._commit)
        self.bands.sig_edited.connect(self._commit)
        document.sig_changed.connect(lambda _select: self.reload())
        self.retranslate()

    def retranslate(self) -> None:
        self.add_button.setText(_("New score"))
        self.remove_button.setText(_("Delete score"))
        for label, msgid in zip(
            self.labels,
            (N_("Score name"), N_("Title (Chinese)"), N_("Title (English)"), N_("Counts items"), N_("Bands")),
            strict=True,
        ):
            label.setText(_(msgid))
        self.empty.setText(_("No scores yet. A score adds up the answer scores of the items it counts."))
        self.members.retranslate()
        self.bands.retranslate()
        self.reload()

    # -- loading ------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Refill from the document, keeping (or moving to) the score named ``select``."""
        scores = self._document.definition.scores
        # currentData() on an empty combo would read back None, which PySide6 6.12 mis-counts.
        current = self.selector.currentIndex()
        keep = select if select is not None else self.selector.itemData(current) if current >= 0 else None
        self._loading = True
        try:
            self.selector.clear()
            for score in scores:
                title = score.title.get(current_language())
                self.selector.addItem(f"{score.name} · {title}" if title else score.name, score.name)
            index = self.selector.findData(keep)
            self.selector.setCurrentIndex(index if index >= 0 else 0 if scores else -1)
        finally:
            self._loading = False
        self._load_selected()

    def select_score(self, name: str) -> bool:
        index = self.selector.findData(name)
        if index >= 0:
            self.selector.setCurrentIndex(index)
        return index >= 0

    def _current(self) -> ScoreDefinition | None:
        row = self.selector.currentIndex()
        scores = self._document.definition.scores
        return scores[row] if 0 <= row < len(scores) else None

    def _load_selected(self) -> None:
        if self._loading:
            return
        score = self._current()
        editable = not self._document.read_only
        self.empty.setVisible(score is None)
        for row in range(self.form.rowCount()):
            self.form.setRowVisible(row, score is not None)
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and score is not None)
        if score is None:
            return
        self._loading = True
        try:
            for edit_box, text in (
                (self.name, score.name),
                (self.title_zh, score.title.zh),
                (self.title_en, score.title.en),
            ):
                show_text(edit_box, text)
                edit_box.setReadOnly(not editable)
            self.members.set_rows([[e.link_id, show(e.weight)] for e in score.items])
            self.bands.set_rows([[show(b.min), show(b.max), b.label.zh, b.label.en] for b in score.bands])
        finally:
            self._loading = False
        self.members.set_read_only(not editable)
        self.bands.set_read_only(not editable)

    # -- choices and new rows -----------------------------------------------------------------
    def _item_choices(self, row: Row) -> Choices:
        lang = current_language()
        choices: Choices = [
            (f"{item.link_id} · {item.text.get(lang)}", item.link_id)
            for _path, item in walk_paths(self._document.definition.items)
            if item.type in SCORABLE_TYPES
        ]
        if row and row[0] and all(value != row[0] for _label, value in choices):
            choices.append((f"⚠ {row[0]}", row[0]))  # a missing member stays visible until removed
        return choices

    def _new_member(self) -> Row | None:
        used = {r[0] for r in self.members.rows()}
        free = [value for _label, value in self._item_choices([]) if value not in used]
        return [free[0], "1"] if free else None

    def _new_band(self) -> Row:
        rows = self.bands.rows()
        highs = [v for v in (parse_number(str(r[1])) for r in rows) if isinstance(v, (int, float))]
        low = max(highs) + 1 if highs else 0
        return [show(low), show(low), "", ""]

    # -- edits --------------------------------------------------------------------------------
    def _replace(self, scores: list[ScoreDefinition], text: str, select: str | None) -> None:
        if self._document.read_only:
            return
        self._document.apply(edit(self._document.definition, scores=tuple(scores)), text)
        self.reload(select)

    def _add_score(self) -> None:
        scores = list(self._document.definition.scores)
        names = {s.name for s in scores}
        name = (
            "total"
            if "total" not in names
            else next(f"score{n}" for n in range(2, 999) if f"score{n}" not in names)
        )
        scores.append(
            ScoreDefinition(
                name, (), (), LocalText("总分", "Total score") if name == "total" else LocalText()
            )
        )
        self._replace(scores, _("Add score"), name)

    def _remove_score(self) -> None:
        row = self.selector.currentIndex()
        scores = list(self._document.definition.scores)
        if 0 <= row < len(scores):
            del scores[row]
            self._replace(scores, _("Delete score"), None)

    def _commit(self) -> None:
        score = self._current()
        if score is None or self._loading:
            return
        members = tuple(
            ScoreItem(str(link_id or ""), parse_number(str(weight)))  # type: ignore[arg-type]
            for link_id, weight in self.members.rows()
        )
        bands = tuple(
            ScoreBand(parse_number(str(low)), parse_number(str(high)), LocalText(str(zh), str(en)))  # type: ignore[arg-type]
            for low, high, zh, en in self.bands.rows()
        )
        changed = dataclasses.replace(
            score,
            name=self.name.text().strip(),
            title=LocalText(self.title_zh.text(), self.title_en.text()),
            items=members,
            bands=bands,
        )
        defn = self._document.definition
        scores = list(defn.scores)
        scores[self.selector.currentIndex()] = changed
        rules = defn.critical_rules
        if changed.name != score.name and sum(s.name == score.name for s in defn.scores) == 1:
            # Rules on the renamed score follow it, as conditions follow a renamed linkId.
            rules = tuple(
                dataclasses.replace(r, target=changed.name) if r.target == score.name else r for r in rules
            )
        if self._document.read_only:
            return
        self._document.apply(edit(defn, scores=tuple(scores), critical_rules=rules), _("Edit score"))
        self.reload(changed.name)
