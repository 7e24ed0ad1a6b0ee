"""The patient's history as one time-ordered list: earlier calls, submitted scales and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from nurse_app.desk.folder import PatientFolder
from ui.desk.labels import outcome_label
from ui.i18n import _


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str  # call | response | alert
    text: str


def build_timeline(folder: PatientFolder, zone: str) -> list[TimelineEntry]:
    """Newest first; texts in the current language (patient data as recorded)."""
    steps = {task.id: task.step_no for task in folder.tasks}
    entries: list[TimelineEntry] = []
    for attempt in folder.attempts:
        text = _("Step {step}: call — {outcome} ({nurse})").format(
            step=steps.get(attempt.task_id, "?"), outcome=outcome_label(attempt.outcome), nurse=attempt.nurse
        )
        if attempt.note:
            text += f" — {attempt.note}"
        entries.append(TimelineEntry(attempt.started_at, "call", text))
    for response in folder.responses:
        score = "" if response.score is None else _(", score {score:g}").format(score=response.score)
        text = _("Step {step}: scale {code} submitted{score}").format(
            step=steps.get(response.task_id, "?"), code=response.questionnaire_code, score=score
        )
        entries.append(TimelineEntry(response.submitted_at, "response", text))
    for alert in folder.alerts:
        text = _("Alert ({status}): {message}").format(status=alert.status, message=alert.message)
        entries.append(TimelineEntry(alert.raised_at, "alert", text))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def format_moment(moment: datetime | None, zone: str) -> str:
    return "" if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
