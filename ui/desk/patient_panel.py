"""The patient header: who is being called, masked identifiers with an audited "reveal"."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import PatientFolder, reveal_identifier
from ui.desk.busy import BusyTracker
from ui.desk.labels import sex_label
from ui.desk.timeline import format_moment
from ui.i18n import _, language_notifier


class PatientPanel(QWidget):
    def __init__(self, ctx: DeskContext, busy: BusyTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.busy = busy
        self.folder: PatientFolder | None = None
        self.revealed: dict[str, str] = {}

        self.name = QLabel()
        self.name.setObjectName("patientName")
        self.summary = QLabel()
        self.values: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        title = QHBoxLayout()
        title.addWidget(self.name)
        title.addSpacing(12)
        title.addWidget(self.summary)
        title.addStretch(1)
        grid.addLayout(title, 0, 0, 1, 4)
        # (key, row, column): two label/value pairs per line keep the header short on 768 px screens.
        layout_of = (
            ("ward", 1, 0),
            ("discharged", 1, 2),
            ("diagnoses", 2, 0),
            ("plan", 3, 0),
            ("attempts", 3, 2),
            ("phone", 4, 0),
            ("national_id", 4, 2),
        )
        self.reveal_buttons: dict[str, QPushButton] = {}
        for key, row, column in layout_of:
            caption = QLabel()
            value = QLabel()
            self.captions[key], self.values[key] = caption, value
            grid.addWidget(caption, row, column)
            if key in ("phone", "national_id"):
                button = QPushButton()
                button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
                button.clicked.connect(lambda _checked=False, which=key: self.reveal(which))
                self.reveal_buttons[key] = button
                box = QHBoxLayout()
                box.setContentsMargins(0, 0, 0, 0)
                box.addWidget(value)
                box.addWidget(button)
                box.addStretch(1)
                grid.addLayout(box, row, column + 1)
            elif key == "diagnoses":
                value.setWordWrap(True)
                grid.addWidget(value, row, column + 1, 1, 3)
            else:
                grid.addWidget(value, row, column + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.setLayout(grid)
        language_notifier().sig_language_changed.connect(self.retranslate)
        self.retranslate()
        self.show_folder(None)

    def retranslate(self) -> None:
        captions = {
            "ward": _("Ward"),
            "discharged": _("Discharged"),
            "diagnoses": _("Diagnoses"),
            "plan": _("Plan"),
            "attempts": _("Calls made"),
            "phone": _("Phone"),
            "national_id": _("National ID"),
        }
        for key, text in captions.items():
            self.captions[key].setText(text + _(":"))
        self.reveal_buttons["phone"].setText(_("Show"))
        self.reveal_buttons["phone"].setAccessibleName(_("Show the full phone number (audited)"))
        self.reveal_buttons["national_id"].setText(_("Show"))
        self.reveal_buttons["national_id"].setAccessibleName(_("Show the full national ID (audited)"))
        self.show_folder(self.folder, keep_revealed=True)

    def show_folder(self, folder: PatientFolder | None, *, keep_revealed: bool = False) -> None:
        if (
            not keep_revealed
            or folder is None
            or self.folder is None
            or folder.patient.id != self.folder.patient.id
        ):
            self.revealed = {}
        self.folder = folder
        for button in self.reveal_buttons.values():
            button.setEnabled(folder is not None)
        if folder is None:
            self.name.setText(_("No patient open"))
            self.summary.setText(_("Choose a row in the worklist and press Enter, or Ctrl+N"))
            for value in self.values.values():
                value.setText("—")
            return
        patient, encounter = folder.patient, folder.encounter
        today = self.ctx.now().date()
        self.name.setText(patient.name)
        self.summary.setText(
            _("{sex}, {age} years · MRN {mrn}").format(
                sex=sex_label(patient.sex), age=patient.age_on(today), mrn=patient.mrn
            )
        )
        self.values["ward"].setText(encounter.ward_code)
        self.values["discharged"].setText(format_moment(encounter.discharged_at, self.ctx.zone))
        self.values["diagnoses"].setText(
            "；".join(f"{d.description} ({d.icd10})" for d in encounter.diagnoses) or "—"
        )
        plan = folder.plan.name if folder.plan else folder.task.plan_code
        step = folder.step.name if folder.step else str(folder.task.step_no)
        self.values["plan"].setText(f"{plan} · {step}")
        self.values["attempts"].setText(str(folder.task.attempts))
        self.values["phone"].setText(self.revealed.get("phone", folder.masked_phone))
        self.values["national_id"].setText(self.revealed.get("national_id", folder.masked_national_id))
        for which, button in self.reveal_buttons.items():
            button.setEnabled(which not in self.revealed)

    def reveal(self, which: str) -> None:
        """Show a masked identifier in full; ``reveal_identifier`` writes the audit event."""
        if self.folder is None:
            return
        ctx, patient_id = self.ctx, self.folder.patient.id

        def shown(value: str) -> None:
            if self.folder is not None and self.folder.patient.id == patient_id:
                self.revealed[which] = value
                self.values[which].setText(value)
                self.reveal_buttons[which].setEnabled(False)

        self.busy.run(lambda: reveal_identifier(ctx, patient_id, which), shown, owner=self)
