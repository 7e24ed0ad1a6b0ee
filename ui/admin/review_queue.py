"""Candidate review queue (ward manager + admin): enrollment candidates and uncertain patient matches."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from server_sync.client import admin
from ui.admin.common import (
    AuthProvider,
    Texts,
    call_service,
    fill_table,
    message_label,
    selected_key,
    show_message,
)
from ui.i18n import N_, _


def explain(explanation: dict[str, Any] | None) -> str:
    """The matcher's explanation as one line: which tags contributed what."""
    if not explanation:
        return ""
    parts = [
        f"{c.get('kind')}={c.get('value')} +{float(c.get('weight', 0)):g} ({c.get('evidence', '')})"
        for c in explanation.get("contributions", [])
    ]
    head = f"{float(explanation.get('score', 0)):g} / {float(explanation.get('threshold', 0)):g}"
    return head + (": " + "; ".join(parts) if parts else "")


def _table() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    return table


class ReviewQueuePage(QWidget):
    """Accept or reject enrollment candidates; merge or keep apart uncertain patient records."""

    sig_decided = Signal(dict)  # the service's answer to a decision

    def __init__(self, auth: AuthProvider, *, can_merge: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auth, self.can_merge = auth, can_merge
        self.queue: dict[str, list[dict[str, Any]]] = {"enrollments": [], "patients": []}
        self._last_decision = ""
        texts = Texts(self)
        self.candidates = _table()
        texts.headers(
            self.candidates,
            [
                N_("Ward"),
                N_("Patient"),
                N_("Plan"),
                N_("Score"),
                N_("Received"),
                N_("Why (contributing tags)"),
            ],
        )
        self.patients = _table()
        texts.headers(
            self.patients,
            [N_("Ward"), N_("New record"), N_("Possibly the same as"), N_("Score"), N_("Reasons")],
        )
        self.refresh_button = QPushButton()
        self.accept_button, self.reject_button = QPushButton(), QPushButton()
        self.merge_button, self.distinct_button = QPushButton(), QPushButton()
        texts.add(self.refresh_button.setText, N_("Refresh"))
        texts.add(self.accept_button.setText, N_("Accept (enroll)"))
        texts.add(self.reject_button.setText, N_("Reject"))
        texts.add(self.merge_button.setText, N_("Merge (same person)"))
        texts.add(self.distinct_button.setText, N_("Different people"))
        self.message = message_label()

        candidates_box, patients_box = QGroupBox(), QGroupBox()
        texts.add(
            candidates_box.setTitle,
            N_("Enrollment candidates (score between the review bound and the threshold)"),
        )
        texts.add(patients_box.setTitle, N_("Uncertain patient matches"))
        box_layout = QVBoxLayout(candidates_box)
        box_layout.addWidget(self.candidates)
        row = QHBoxLayout()
        row.addWidget(self.accept_button)
        row.addWidget(self.reject_button)
        row.addStretch(1)
        box_layout.addLayout(row)
        box_layout = QVBoxLayout(patients_box)
        box_layout.addWidget(self.patients)
        row = QHBoxLayout()
        row.addWidget(self.merge_button)
        row.addWidget(self.distinct_button)
        row.addStretch(1)
        box_layout.addLayout(row)
        if not can_merge:
            self.merge_button.setEnabled(False)
            self.distinct_button.setEnabled(False)
            texts.add(self.merge_button.setToolTip, N_("Only an administrator can merge patient records."))

        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(candidates_box, 3)
        layout.addWidget(patients_box, 2)

        self.refresh_button.clicked.connect(self.refresh)
        self.accept_button.clicked.connect(lambda: self.decide_candidate(accept=True))
        self.reject_button.clicked.connect(lambda: self.decide_candidate(accept=False))
        self.merge_button.clicked.connect(lambda: self.decide_patients(same=True))
        self.distinct_button.clicked.connect(lambda: self.decide_patients(same=False))

    def refresh(self) -> None:
        show_message(self.message, _("Loading the review queue…"))
        call_service(self, self.auth, admin.review_queue, self._loaded, self._failed)

    def _loaded(self, queue: dict[str, list[dict[str, Any]]]) -> None:
        self.queue = queue
        enrollments, patients = queue.get("enrollments", []), queue.get("patients", [])
        fill_table(
            self.candidates,
            [
                [
                    c["ward_code"],
                    c["patient_id"][:8],
                    f"{c['plan_code']} v{c['plan_version']}",
                    f"{float(c['score']):g}",
                    c["created_at"][:16].replace("T", " "),
                    explain(c.get("explanation")),
                ]
                for c in enrollments
            ],
            [c["id"] for c in enrollments],
        )
        fill_table(
            self.patients,
            [
                [
                    p["ward_code"],
                    p["patient_id"][:8],
                    p["candidate_id"][:8],
                    f"{float(p['score']):g}",
                    ", ".join(p.get("reasons") or [])
                    if isinstance(p.get("reasons"), list)
                    else str(p.get("reasons")),
                ]
                for p in patients
            ],
            [p["id"] for p in patients],
        )
        counts = _(
            "{candidates} candidates and {patients} uncertain patient matches wait for review."
        ).format(candidates=len(enrollments), patients=len(patients))
        show_message(self.message, " ".join(filter(None, [self._last_decision, counts])))
        self._last_decision = ""

    def select_candidate(self, match_id: str) -> None:
        for row in range(self.candidates.rowCount()):
            if self.candidates.item(row, 0).data(Qt.ItemDataRole.UserRole) == match_id:
                self.candidates.selectRow(row)
                return

    def decide_candidate(self, *, accept: bool) -> None:
        match_id = selected_key(self.candidates)
        if match_id is None:
            show_message(self.message, _("Select a candidate first."), error=True)
            return
        call_service(
            self,
            self.auth,
            lambda auth: admin.decide_enrollment(auth, match_id, accept=accept),
            self._decided,
            self._failed,
        )

    def decide_patients(self, *, same: bool) -> None:
        review_id = selected_key(self.patients)
        if review_id is None:
            show_message(self.message, _("Select a patient match first."), error=True)
            return
        call_service(
            self,
            self.auth,
            lambda auth: admin.decide_patients(auth, review_id, same=same),
            self._decided,
            self._failed,
        )

    def _decided(self, answer: dict[str, Any]) -> None:
        status = {
            "enrolled": _("enrolled: the ward's tasks arrive at its next sync"),
            "accepted": _("enrolled: the ward's tasks arrive at its next sync"),
            "rejected": _("rejected"),
            "merged": _("merged"),
            "distinct": _("kept as different people"),
        }.get(str(answer.get("status")), str(answer.get("status")))
        self._last_decision = _("Done: {status}.").format(status=status)
        self.sig_decided.emit(answer)
        self.refresh()

    def _failed(self, reason: str) -> None:
        show_message(self.message, reason, error=True)
