"""A group of messages applied in one go (``hl7_group``) leaves exactly what applying them one
by one leaves: ACKs, records, MPI links, enrollments, tasks, dead letters and the change feed —
with out-of-order events, resends, failures mid-group, cancellations and merges mixed in."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server_sync.service.intake import group_readahead, hl7_group, hl7_intake
from server_sync.service.intake.models import DeadLetterRow, PatientIdentifierRow, PlanMatchRow
from server_sync.service.records.models import EncounterRow, EnrollmentRow, PatientRow, TaskRow
from server_sync.service.sync.models import ChangeRow


def _cast(hospital) -> dict[str, object]:
    """Fresh patients on the test's wards; 'twin' shares p8's national ID under another MRN."""
    make = lambda: type(hospital)(hospital.database, hospital.settings, hospital.ward, hospital.ward2)  # noqa: E731
    names = ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "ghost")
    cast = {name: make() for name in names}
    twin = make()
    twin.national_id, twin.birth, twin.phone = cast["p8"].national_id, cast["p8"].birth, cast["p8"].phone
    cast["twin"] = twin
    # p10's double: same name, birth date and phone, no national ID — linked on demographics.
    double = make()
    double.birth, double.phone = cast["p10"].birth, cast["p10"].phone
    cast["double"] = double
    return cast


def _script(cast: dict, tag: str) -> list[tuple[str, bytes]]:
    """(label, frame) of a day of ADT traffic touching every kind of event and failure."""
    ward, ward2 = cast["p1"].ward, cast["p1"].ward2

    def msg(who: str, name: str, step: str, **extra: str) -> tuple[str, bytes]:
        return f"{who}:{step}", cast[who].message(name, f"{tag}-{who}-{step}", **extra)

    def no_national_id(item: tuple[str, bytes], who: str) -> tuple[str, bytes]:
        label, raw = item
        return label, raw.replace(f"~{cast[who].national_id}^^^CHN^NNCHN".encode(), b"")

    return [
        msg("p1", "a01_admit.hl7", "admit"),
        msg("p2", "a03_discharge.hl7", "discharge"),  # the discharge before its admission
        msg("p1", "a02_transfer.hl7", "transfer"),
        msg("p3", "a01_admit.hl7", "badward", **{"$WARD": f"NOWARD{tag}"}),  # fails after its patient
        msg("p2", "a01_admit.hl7", "admit"),  # late admission: the stay stays discharged
        msg("p1", "a08_update.hl7", "update", **{"$WARD": ward2}),
        msg("p3", "a01_admit.hl7", "admit"),
        msg("p4", "a03_discharge.hl7", "discharge"),
        msg("p1", "a03_discharge.hl7", "discharge", **{"$WARD": ward2}),
        msg("p4", "a13_cancel_discharge.hl7", "cancel"),
        msg("p5", "a01_admit.hl7", "admit"),
        msg("p4", "a03_discharge.hl7", "again"),
        msg("p4", "a02_transfer.hl7", "late-transfer"),  # its open tasks follow it to the other ward
        msg("p5", "a11_cancel_admit.hl7", "cancel"),
        msg("p5", "a11_cancel_admit.hl7", "cancel"),  # a resend inside the group
        msg("p6", "a03_discharge.hl7", "discharge"),
        msg("p6", "bad_missing_mrn.hl7", "nomrn"),
        msg("p7", "a01_admit.hl7", "admit"),
        msg("p7", "a40_merge.hl7", "merge", **{"$OLDMRN": cast["p6"].mrn}),
        msg("p6", "a08_update.hl7", "after-merge"),  # the old MRN lands on the survivor
        msg("p7", "a40_merge.hl7", "merge-unknown", **{"$OLDMRN": cast["ghost"].mrn}),
        msg("ghost", "a08_update.hl7", "after-merge"),  # an MRN first named (unknown) in a merge
        msg("p8", "a01_admit.hl7", "admit", **{"$WARD": ward}),
        msg("twin", "a03_discharge.hl7", "discharge"),  # same national ID: the same patient
        no_national_id(msg("p10", "a01_admit.hl7", "admit"), "p10"),
        no_national_id(msg("double", "a03_discharge.hl7", "discharge"), "double"),
        msg("p9", "a11_cancel_admit.hl7", "nothing"),  # nothing to cancel
        msg("p1", "a01_admit.hl7", "admit"),  # a resend of the first message
    ]


def _snapshot(database, cast: dict, outcomes, labels: list[str]) -> dict:
    """What the run left, with generated ids replaced by the cast's names."""
    state: dict = {"acks": [(label, o.code, o.duplicate) for label, o in zip(labels, outcomes, strict=True)]}
    with database.session() as s:
        for who, person in cast.items():
            ids = s.scalars(
                select(PatientIdentifierRow.patient_id).where(PatientIdentifierRow.value == person.mrn)
            ).all()
            if not ids:
                state[who] = None
                continue
            patient = s.get(PatientRow, ids[0])
            name = next(w for w, p in cast.items() if p.mrn == patient.mrn)
            encounters = sorted(
                s.scalars(select(EncounterRow).where(EncounterRow.patient_id == patient.id)).all(),
                key=lambda e: (e.payload["admitted_at"], e.ward_code or "", e.payload["discharged_at"] or ""),
            )
            tasks = s.scalars(select(TaskRow).where(TaskRow.patient_id == patient.id)).all()
            enrollments = s.scalars(select(EnrollmentRow).where(EnrollmentRow.patient_id == patient.id)).all()
            matches = s.scalars(select(PlanMatchRow).where(PlanMatchRow.patient_id == patient.id)).all()
            record_ids = [patient.id, *(e.id for e in encounters), *(t.id for t in tasks)]
            record_ids += [e.id for e in enrollments]
            feed = s.scalars(select(ChangeRow).where(ChangeRow.entity_id.in_(record_ids))).all()
            state[who] = {
                "patient": name,
                "deleted": patient.deleted,
                "phone": "own" if patient.payload["phone"] == person.phone else patient.payload["phone"],
                "encounters": [
                    (e.ward_code, e.payload["discharged_at"], e.deleted, e.version) for e in encounters
                ],
                "enrollments": sorted((e.payload["plan_code"], e.payload["status"]) for e in enrollments),
                "tasks": sorted((t.ward_code, t.payload["step_no"], t.status, t.version) for t in tasks),
                "matches": sorted((m.plan_code, m.status) for m in matches),
                "feed": sorted((c.entity, c.ward_code == person.ward2, c.op, c.flags) for c in feed),
            }
    return state


def _run(hospital, monkeypatch, *, one_by_one: bool, alone: bool = False) -> dict:
    tag = uuid.uuid4().hex[:8]
    cast = _cast(hospital)
    script = _script(cast, tag)
    labels = [label for label, _ in script]
    with monkeypatch.context() as patch:
        if one_by_one:
            patch.setattr(hl7_group, "apply_group", lambda *args, **kwargs: None)
        if alone:
            outcomes = [
                hl7_intake.process(database=hospital.database, raw=raw, settings=hospital.settings)
                for _, raw in script
            ]
        else:
            outcomes = hl7_intake.process_batch(
                database=hospital.database,
                frames=[(raw, "") for _, raw in script],
                settings=hospital.settings,
            )
    state = _snapshot(hospital.database, cast, outcomes, labels)
    with hospital.database.session() as s:
        letters = s.scalars(select(DeadLetterRow.control_id).where(DeadLetterRow.control_id.like(f"{tag}-%")))
        state["letters"] = sorted(c.removeprefix(f"{tag}-") for c in letters)
    return state


def test_a_group_leaves_what_one_by_one_leaves(hospital, monkeypatch):
    together = _run(hospital, monkeypatch, one_by_one=False)
    apart = _run(hospital, monkeypatch, one_by_one=True)
    alone = _run(hospital, monkeypatch, one_by_one=False, alone=True)
    assert together == apart
    assert together == alone
    codes: dict[str, tuple[str, bool]] = {}
    for label, code, duplicate in together["acks"]:
        codes.setdefault(label, (code, duplicate))  # the first copy of a resent message
    assert codes["p3:badward"] == ("AE", False) and codes["p6:nomrn"][0] == "AE"
    assert codes["p9:nothing"] == ("AE", False) and codes["p5:cancel"] == ("AA", False)
    assert [a for a in together["acks"] if a[2]] == [("p5:cancel", "AA", True), ("p1:admit", "AA", True)]
    assert together["letters"] == ["p3-badward", "p6-nomrn", "p9-nothing"]
    assert together["twin"]["patient"] == "p8" and together["double"]["patient"] == "p10"
    assert together["p6"]["patient"] == "p7", "after the merge the old MRN is the survivor's"
    assert together["ghost"]["patient"] == "ghost", "an MRN unknown at its merge stays its own"
    assert {(ward, status) for ward, _, status, _ in together["p4"]["tasks"]} == {
        (hospital.ward2, "pending"),
        (hospital.ward, "cancelled"),
    }
    # The old ward's desks get a tombstone for each moved task.
    moved = {(entity, in_ward2, op) for entity, in_ward2, op, flags in together["p4"]["feed"] if flags}
    assert moved == {("task", False, "delete")}
    assert together["p4"]["enrollments"] == [("HF-DISCHARGE", "active"), ("HF-DISCHARGE", "cancelled")]


@pytest.mark.filterwarnings("ignore:New instance")  # the faked miss: SQLAlchemy sees both copies
def test_a_group_that_hits_a_constraint_is_applied_one_by_one(hospital, monkeypatch):
    """A row the read-ahead missed (as if another connection inserted it meanwhile) collides at
    the group's write: the group is rolled back and applied one by one, which finds the row."""
    first = hospital.send("a01_admit.hl7")
    assert first.code == "AA"
    original = group_readahead.read_ahead

    def blind(ctx, events):
        ahead = original(ctx, events)
        for key in list(ahead.rows):
            if key[0] is PatientIdentifierRow:
                ahead.rows[key] = None  # the MRN looks new: the group inserts it again
        return ahead

    monkeypatch.setattr(hl7_group, "read_ahead", blind)
    one_by_one, handle = [], hl7_intake._handle
    monkeypatch.setattr(hl7_intake, "_handle", lambda *args: one_by_one.append(1) or handle(*args))
    other = type(hospital)(hospital.database, hospital.settings, hospital.ward, hospital.ward2)
    # The same demographics again: the MPI links it to the patient and indexes the "new" MRN.
    frames = [(hospital.message("a01_admit.hl7"), ""), (other.message("a01_admit.hl7"), "")]
    outcomes = hl7_intake.process_batch(database=hospital.database, frames=frames, settings=hospital.settings)
    assert [o.code for o in outcomes] == ["AA", "AA"] and len(one_by_one) == 2
    assert outcomes[0].result.patient_id == first.result.patient_id
    with hospital.database.session() as s:
        assert s.scalar(select(PatientIdentifierRow).where(PatientIdentifierRow.value == other.mrn))
