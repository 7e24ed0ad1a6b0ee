"""The two editable tables of the plan editor: steps and weighted inclusion rules."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHeaderView,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nurse_app.domain.model import InclusionRule, OffsetUnit, PlanStep
from ui.admin.common import Texts
from ui.i18n import N_, _

RULE_KINDS = (
    "icd10_prefix",
    "procedure",
    "ward",
    "department",
    "chronic",
    "age_min",
    "age_max",
    "age_band",
    "los_min",
    "los_max",
    "readmission",
    "tag",
    "exclude",
)
UNIT_LABELS = {
    OffsetUnit.HOURS: N_("hours"),
    OffsetUnit.DAYS: N_("days"),
    OffsetUnit.WEEKS: N_("weeks"),
    OffsetUnit.MONTHS: N_("months"),
}


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("，", ",").split(",") if part.strip())


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text().strip() if item is not None else ""


class StepsTable(QTableWidget):
    """One row per step: name, offset + unit, window hours, scale codes, script code."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 6, parent)
        Texts(self).headers(
            self,
            [N_("Step name"), N_("Offset"), N_("Unit"), N_("Window (h)"), N_("Scales"), N_("Script")],
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((128, 58, 64, 104, 190, 110)):
            self.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        self.itemChanged.connect(lambda _item: self.sig_changed.emit())

    def add_step(self, step: PlanStep | None = None) -> None:
        step = step or PlanStep(self.rowCount() + 1, "", 7, OffsetUnit.DAYS, 72)
        row = self.rowCount()
        self.blockSignals(True)
        self.insertRow(row)
        self.setItem(row, 0, QTableWidgetItem(step.name))
        offset = QSpinBox()
        offset.setRange(0, 100_000)
        offset.setValue(int(step.offset))
        offset.valueChanged.connect(lambda _v: self.sig_changed.emit())
        self.setCellWidget(row, 1, offset)
        unit = QComboBox()
        for value, label in UNIT_LABELS.items():
            unit.addItem(_(label), value.value)
        unit.setCurrentIndex(unit.findData(OffsetUnit(step.offset_unit).value))
        unit.currentIndexChanged.connect(lambda _i: self.sig_changed.emit())
        self.setCellWidget(row, 2, unit)
        window = QDoubleSpinBox()
        window.setRange(0, 50_000)
        window.setDecimals(1)
        window.setValue(float(step.window_hours))
        window.valueChanged.connect(lambda _v: self.sig_changed.emit())
        self.setCellWidget(row, 3, window)
        self.setItem(row, 4, QTableWidgetItem(", ".join(step.questionnaires)))
        self.setItem(row, 5, QTableWidgetItem(step.script_code))
        self.blockSignals(False)
        self.sig_changed.emit()

    def remove_selected(self) -> None:
        if self.currentRow() >= 0:
            self.removeRow(self.currentRow())
            self.sig_changed.emit()

    def set_steps(self, steps: tuple[PlanStep, ...]) -> None:
        self.setRowCount(0)
        for step in sorted(steps, key=lambda s: s.step_no):
            self.add_step(step)

    def steps(self) -> tuple[PlanStep, ...]:
        """The steps as shown; step numbers follow the row order (1, 2, 3…)."""
        result = []
        for row in range(self.rowCount()):
            offset = self.cellWidget(row, 1)
            unit = self.cellWidget(row, 2)
            window = self.cellWidget(row, 3)
            result.append(
                PlanStep(
                    row + 1,
                    _text(self, row, 0),
                    offset.value(),
                    OffsetUnit(unit.currentData()),
                    window.value(),
                    _split(_text(self, row, 4)),
                    _text(self, row, 5),
                )
            )
        return tuple(result)


class RulesTable(QTableWidget):
    """One row per weighted inclusion rule: kind, value, weight (``exclude`` keeps patients off)."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        Texts(self).headers(self, [N_("Rule kind"), N_("Value"), N_("Weight")])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setDefaultSectionSize(26)
        self.setColumnWidth(0, 130)
        self.setColumnWidth(1, 120)
        self.horizontalHeader().setStretchLastSection(True)
        self.itemChanged.connect(lambda _item: self.sig_changed.emit())

    def add_rule(self, rule: InclusionRule | None = None) -> None:
        rule = rule or InclusionRule("icd10_prefix", "", 1.0)
        row = self.rowCount()
        self.blockSignals(True)
        self.insertRow(row)
        kind = QComboBox()
        kind.setEditable(True)  # a newer service may know kinds this desk does not list
        kind.addItems(RULE_KINDS)
        kind.setCurrentText(rule.kind)
        kind.currentTextChanged.connect(lambda _t: self.sig_changed.emit())
        self.setCellWidget(row, 0, kind)
        self.setItem(row, 1, QTableWidgetItem(rule.value))
        weight = QDoubleSpinBox()
        weight.setRange(0, 1000)
        weight.setDecimals(2)
        weight.setSingleStep(0.5)
        weight.setValue(float(rule.weight))
        weight.valueChanged.connect(lambda _v: self.sig_changed.emit())
        self.setCellWidget(row, 2, weight)
        self.blockSignals(False)
        self.sig_changed.emit()

    def remove_selected(self) -> None:
        if self.currentRow() >= 0:
            self.removeRow(self.currentRow())
            self.sig_changed.emit()

    def set_rules(self, rules: tuple[InclusionRule, ...]) -> None:
        self.setRowCount(0)
        for rule in rules:
            self.add_rule(rule)

    def rules(self) -> tuple[InclusionRule, ...]:
        return tuple(
            InclusionRule(
                self.cellWidget(row, 0).currentText().strip(),
                _text(self, row, 1),
                self.cellWidget(row, 2).value(),
            )
            for row in range(self.rowCount())
        )
