"""Plan editor (admin): steps, retry policy, weighted inclusion rules, threshold; inline
validation with the domain's ``validate_plan``; a dry run over the local cache's recent
discharges; publish as a new version through the service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from nurse_app.desk.plan_dry_run import DryRunReport, dry_run
from nurse_app.domain.codec import PayloadError, dataclass_from_payload, entity_to_payload
from nurse_app.domain.enrollment import Decision
from nurse_app.domain.model import (
    InclusionRule,
    OffsetUnit,
    Plan,
    PlanStep,
    PublicationStatus,
    RetryPolicy,
)
from nurse_app.domain.scheduling import InvalidSchedule, validate_plan
from server_sync.client import admin
from ui.admin.common import AuthProvider, Texts, call_service, fill_table, message_label, show_message
from ui.admin.plan_tables import RulesTable, StepsTable
from ui.desk.busy import while_alive
from ui.i18n import N_, _, language_notifier
from ui.operations import Operation

NEW_PLAN = Plan(
    "",
    1,
    "",
    PublicationStatus.DRAFT,
    (PlanStep(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, ("general_followup",)),),
    inclusion_rules=(InclusionRule("icd10_prefix", "", 1.0),),
)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("，", ",").split(",") if part.strip())


def decision_label(decision: Decision) -> str:
    return {Decision.ENROLL: _("Enroll"), Decision.CANDIDATE: _("Review")}.get(decision, _("None"))


class PlanEditorPage(QWidget):
    """Edit a plan, see at once whether it is valid, try it on recent discharges, publish it."""

    sig_published = Signal(dict)  # the service's answer: kind, key, version, config_version
    sig_dry_run_done = Signal(object)  # DryRunReport

    def __init__(
        self,
        auth: AuthProvider,
        engine: Engine,
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.auth, self.engine, self.now = auth, engine, now
        self.report: DryRunReport | None = None
        self.error: str | None = None
        self._plans: dict[str, dict[str, Any]] = {}
        texts = Texts(self)

        # --- the plan's identity and scope
        self.existing = QComboBox()
        self.existing.setMinimumContentsLength(18)
        self.load_button = QPushButton()
        self.new_button = QPushButton()
        self.code_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.wards_edit = QLineEdit()
        self.departments_edit = QLineEdit()
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.1, 1000)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.5)
        texts.add(self.load_button.setText, N_("Load"))
        texts.add(self.new_button.setText, N_("New plan"))
        texts.add(self.wards_edit.setPlaceholderText, N_("ward codes, comma separated (empty: all)"))
        texts.add(self.departments_edit.setPlaceholderText, N_("departments, comma separated (empty: all)"))

        pick = QHBoxLayout()
        pick.addWidget(self.existing, 1)
        pick.addWidget(self.load_button)
        pick.addWidget(self.new_button)
        identity = QFormLayout()
        identity.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        labels = [QLabel() for _i in range(6)]
        for label, msgid in zip(
            labels,
            [
                N_("Published plans"),
                N_("Plan code"),
                N_("Plan name"),
                N_("Wards"),
                N_("Departments"),
                N_("Enrollment threshold"),
            ],
            strict=True,
        ):
            texts.add(label.setText, msgid)
        identity.addRow(labels[0], pick)
        code_name = QHBoxLayout()
        code_name.addWidget(self.code_edit, 2)
        code_name.addWidget(labels[2])
        code_name.addWidget(self.name_edit, 3)
        identity.addRow(labels[1], code_name)
        scope = QHBoxLayout()
        scope.addWidget(self.wards_edit, 1)
        scope.addWidget(labels[4])
        scope.addWidget(self.departments_edit, 1)
        identity.addRow(labels[3], scope)

        # --- steps and retry policy
        self.steps = StepsTable()
        self.add_step_button, self.remove_step_button = QPushButton(), QPushButton()
        texts.add(self.add_step_button.setText, N_("Add step"))
        texts.add(self.remove_step_button.setText, N_("Remove step"))
        self.max_attempts = QSpinBox()
        self.max_attempts.setRange(1, 20)
        self.interval = QDoubleSpinBox()
        self.interval.setRange(0.5, 720)
        self.interval.setDecimals(1)
        attempts_label, interval_label = QLabel(), QLabel()
        texts.add(attempts_label.setText, N_("Retry: max attempts"))
        texts.add(interval_label.setText, N_("interval (h)"))
        steps_box = QGroupBox()
        texts.add(steps_box.setTitle, N_("Steps (timed from discharge)"))
        steps_layout = QVBoxLayout(steps_box)
        steps_layout.addWidget(self.steps)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(self.add_step_button)
        step_buttons.addWidget(self.remove_step_button)
        step_buttons.addStretch(1)
        step_buttons.addWidget(attempts_label)
        step_buttons.addWidget(self.max_attempts)
        step_buttons.addWidget(interval_label)
        step_buttons.addWidget(self.interval)
        steps_layout.addLayout(step_buttons)

        # --- inclusion rules
        self.rules = RulesTable()
        self.add_rule_button, self.remove_rule_button = QPushButton(), QPushButton()
        texts.add(self.add_rule_button.setText, N_("Add rule"))
        texts.add(self.remove_rule_button.setText, N_("Remove rule"))
        rules_box = QGroupBox()
        texts.add(rules_box.setTitle, N_("Inclusion rules (weighted; 'exclude' keeps patients off)"))
        rules_layout = QVBoxLayout(rules_box)
        rules_layout.addWidget(self.rules)
        rule_buttons = QHBoxLayout()
        rule_buttons.addWidget(self.add_rule_button)
        rule_buttons.addWidget(self.remove_rule_button)
        rule_buttons.addStretch(1)
        rule_buttons.addWidget(labels[5])
        rule_buttons.addWidget(self.threshold)
        rules_layout.addLayout(rule_buttons)

        # --- validation, actions
        self.validation = QLabel()
        self.validation.setWordWrap(True)
        self.dry_run_button, self.publish_button = QPushButton(), QPushButton()
        texts.add(self.dry_run_button.setText, N_("Dry run on last month's discharges"))
        texts.add(self.publish_button.setText, N_("Publish as new version"))
        self.message = message_label()
        actions = QHBoxLayout()
        actions.addWidget(self.validation, 1)
        actions.addWidget(self.dry_run_button)
        actions.addWidget(self.publish_button)

        # --- dry run results
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.results = QTableWidget(0, 7)
        texts.headers(
            self.results,
            [
                N_("Patient"),
                N_("Ward"),
                N_("Discharged"),
                N_("Diagnosis"),
                N_("Score"),
                N_("Decision"),
                N_("Contributing tags"),
            ],
        )
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.verticalHeader().setVisible(False)
        self.results.verticalHeader().setDefaultSectionSize(24)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(identity)
        tables = QHBoxLayout()
        tables.addWidget(steps_box, 3)
        tables.addWidget(rules_box, 2)
        top_layout.addLayout(tables, 1)
        top_layout.addLayout(actions)
        top_layout.addWidget(self.message)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.summary)
        bottom_layout.addWidget(self.results, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([400, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

        self.add_step_button.clicked.connect(lambda: self.steps.add_step())
        self.remove_step_button.clicked.connect(self.steps.remove_selected)
        self.add_rule_button.clicked.connect(lambda: self.rules.add_rule())
        self.remove_rule_button.clicked.connect(self.rules.remove_selected)
        self.load_button.clicked.connect(self.load_selected)
        self.new_button.clicked.connect(lambda: self.set_plan(NEW_PLAN))
        self.dry_run_button.clicked.connect(self.run_dry_run)
        self.publish_button.clicked.connect(self.publish)
        for edit in (self.code_edit, self.name_edit, self.wards_edit, self.departments_edit):
            edit.textChanged.connect(self.revalidate)
        for spin in (self.threshold, self.max_attempts, self.interval):
            spin.valueChanged.connect(self.revalidate)
        self.steps.sig_changed.connect(self.revalidate)
        self.rules.sig_changed.connect(self.revalidate)
        language_notifier().sig_language_changed.connect(while_alive(self, lambda _lang: self.revalidate()))
        self.set_plan(NEW_PLAN)

    # ------------------------------------------------------------------ the form

    def set_plan(self, plan: Plan) -> None:
        """Show ``plan`` in the form (a published plan is edited into a new version)."""
        self.code_edit.setText(plan.code)
        self.name_edit.setText(plan.name)
        self.wards_edit.setText(", ".join(plan.wards))
        self.departments_edit.setText(", ".join(plan.departments))
        self.threshold.setValue(float(plan.enrollment_threshold))
        self.max_attempts.setValue(int(plan.retry.max_attempts))
        self.interval.setValue(float(plan.retry.interval_hours))
        self.steps.set_steps(plan.steps)
        self.rules.set_rules(plan.inclusion_rules)
        self.revalidate()

    def plan(self) -> Plan:
        """The plan as edited, as a publishable version (the service numbers the version)."""
        return Plan(
            self.code_edit.text().strip(),
            1,
            self.name_edit.text().strip(),
            PublicationStatus.PUBLISHED,
            self.steps.steps(),
            wards=_split(self.wards_edit.text()),
            departments=_split(self.departments_edit.text()),
            inclusion_rules=self.rules.rules(),
            enrollment_threshold=self.threshold.value(),
            retry=RetryPolicy(self.max_attempts.value(), self.interval.value()),
        )

    def problem(self) -> str | None:
        """Why the plan cannot be published yet, in words; None when it is valid."""
        plan = self.plan()
        if not plan.code:
            return _("Enter a plan code.")
        if not plan.name:
            return _("Enter a plan name.")
        for number, step in enumerate(plan.steps, start=1):
            if not step.name:
                return _("Step {number} needs a name.").format(number=number)
        for number, rule in enumerate(plan.inclusion_rules, start=1):
            if not rule.kind or not rule.value:
                return _("Rule {number} needs a kind and a value.").format(number=number)
        try:
            validate_plan(plan)
        except InvalidSchedule as error:
            return _("Not valid: {reason}").format(reason=error)
        return None

    def revalidate(self, *_args: object) -> None:
        self.error = self.problem()
        if self.error:
            self.validation.setText("✗ " + self.error)
            self.validation.setStyleSheet("color: #b00020;")
        else:
            self.validation.setText("✓ " + _("The plan is valid."))
            self.validation.setStyleSheet("color: #1b5e20;")
        self.publish_button.setEnabled(self.error is None)

    # ------------------------------------------------------------------ published plans

    def refresh_plans(self) -> None:
        """Fetch the published plans from the service (for "Load")."""
        call_service(self, self.auth, admin.list_plans, self._plans_loaded, self._failed)

    def _plans_loaded(self, plans: list[dict[str, Any]]) -> None:
        self._plans = {p["code"]: p for p in plans}
        current = self.existing.currentData()
        self.existing.clear()
        for plan in plans:
            self.existing.addItem(
                f"{plan['code']} v{plan['_version']} · {plan.get('name', '')}", plan["code"]
            )
        if current in self._plans:
            self.existing.setCurrentIndex(self.existing.findData(current))

    def load_selected(self) -> None:
        body = self._plans.get(self.existing.currentData())
        if body is None:
            return
        try:
            plan = dataclass_from_payload(Plan, {k: v for k, v in body.items() if k != "_version"})
        except PayloadError as error:
            show_message(
                self.message, _("This plan cannot be edited here: {reason}").format(reason=error), error=True
            )
            return
        self.set_plan(plan)
        show_message(
            self.message,
            _("Loaded {code} v{version}; publishing makes a new version.").format(
                code=plan.code, version=body["_version"]
            ),
        )

    # ------------------------------------------------------------------ dry run and publish

    def run_dry_run(self) -> None:
        """Match the edited plan against last month's discharges in the local cache (db worker)."""
        plan, engine, now = self.plan(), self.engine, self.now()
        self.dry_run_button.setEnabled(False)
        self.summary.setText(_("Matching last month's discharges…"))
        Operation(lambda: dry_run(engine, plan, now=now)).success(self._dry_run_done).failure(
            lambda error: self._dry_run_failed(str(error))
        ).run_in("db")

    def _dry_run_failed(self, reason: str) -> None:
        self.dry_run_button.setEnabled(True)
        self.summary.setText(_("The dry run failed: {reason}").format(reason=reason))

    def _dry_run_done(self, report: DryRunReport) -> None:
        self.report = report
        self.dry_run_button.setEnabled(True)
        self.summary.setText(
            _(
                "Of {total} discharges in the last 30 days this plan would enroll {enrolled} "
                "and send {candidates} to the review queue."
            ).format(total=report.discharges, enrolled=report.enrolled, candidates=report.candidates)
        )
        fill_table(
            self.results,
            [
                [
                    row.patient,
                    row.ward_code,
                    row.discharged_at.strftime("%Y-%m-%d"),
                    row.diagnosis,
                    f"{row.score:g}",
                    decision_label(row.decision),
                    "; ".join(row.tags),
                ]
                for row in report.rows
            ],
        )
        self.results.setColumnWidth(3, min(self.results.columnWidth(3), 220))
        self.sig_dry_run_done.emit(report)

    def publish(self) -> None:
        """Publish the edited plan as the next version of its code."""
        self.revalidate()
        if self.error:
            return
        body = entity_to_payload(self.plan())
        self.publish_button.setEnabled(False)
        show_message(self.message, _("Publishing…"))
        call_service(
            self,
            self.auth,
            lambda auth: admin.publish_plan_as_new_version(auth, body),
            self._published,
            self._failed,
        )

    def _published(self, answer: dict[str, Any]) -> None:
        self.publish_button.setEnabled(True)
        show_message(
            self.message,
            _("Published {code} version {version}; desks receive it at their next sync.").format(
                code=answer.get("key"), version=answer.get("version")
            ),
        )
        self.sig_published.emit(answer)
        self.refresh_plans()

    def _failed(self, reason: str) -> None:
        self.publish_button.setEnabled(self.error is None)
        show_message(self.message, reason, error=True)
