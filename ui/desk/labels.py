"""Translatable names of domain values (tabs, outcomes, sex), marked once for the catalogue."""

from __future__ import annotations

from nurse_app.domain.model import CallOutcome, Sex
from nurse_app.store.worklist import WorklistTab
from ui.i18n import N_, _

TAB_TITLES = {
    WorklistTab.DUE_NOW: N_("Due now"),
    WorklistTab.OVERDUE: N_("Overdue"),
    WorklistTab.UPCOMING: N_("Upcoming"),
    WorklistTab.DONE_TODAY: N_("Done today"),
}

OUTCOME_LABELS = {
    CallOutcome.REACHED: N_("Reached"),
    CallOutcome.NO_ANSWER: N_("No answer"),
    CallOutcome.BUSY: N_("Busy"),
    CallOutcome.WRONG_NUMBER: N_("Wrong number"),
    CallOutcome.REFUSED: N_("Refused"),
    CallOutcome.DECEASED: N_("Deceased"),
    CallOutcome.READMITTED: N_("Readmitted"),
    CallOutcome.CALL_BACK: N_("Call back later"),
}

# F1–F7 as on the ward's paper checklist; "call back" needs a time, so it sits last (F8).
OUTCOME_KEYS = {
    CallOutcome.REACHED: "F1",
    CallOutcome.NO_ANSWER: "F2",
    CallOutcome.BUSY: "F3",
    CallOutcome.WRONG_NUMBER: "F4",
    CallOutcome.REFUSED: "F5",
    CallOutcome.DECEASED: "F6",
    CallOutcome.READMITTED: "F7",
    CallOutcome.CALL_BACK: "F8",
}

SEX_LABELS = {Sex.MALE: N_("Male"), Sex.FEMALE: N_("Female"), Sex.UNKNOWN: N_("Unknown")}


def tab_title(tab: WorklistTab) -> str:
    return _(TAB_TITLES[tab])


def outcome_label(outcome: CallOutcome | str) -> str:
    outcome = CallOutcome(outcome)
    return _(OUTCOME_LABELS[outcome])


def sex_label(sex: Sex | str) -> str:
    try:
        return _(SEX_LABELS[Sex(sex)])
    except ValueError:
        return str(sex)
