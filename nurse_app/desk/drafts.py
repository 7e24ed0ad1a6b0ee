"""Drafts of scales being filled during a call: saved every few seconds, offered back after a crash.

A draft is one row per (task, scale) in the encrypted cache, overwritten on each
autosave. It commits like every other cache write (WAL, ``synchronous=FULL``),
so once ``save_draft`` returns the answers survive a killed process or a power
cut. Drafts are local to this PC and never pushed; submitting the scale deletes
its draft. The draft keeps the scale version it was started on: a version
retired while the draft was open is still the one it is submitted against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select

from nurse_app.desk.context import DeskContext
from nurse_app.desk.folder import NotFound, _check_ward
from nurse_app.domain.forms import FormDefinition
from nurse_app.store.models import DraftRow, TaskRow

__all__ = ["Draft", "discard_draft", "drafts_of_user", "load_drafts", "save_draft"]


@dataclass(frozen=True, slots=True)
class Draft:
    """The unsubmitted answers of one scale of one task."""

    task_id: str
    questionnaire_code: str
    questionnaire_version: int
    answers: dict[str, object]
    saved_by: str
    saved_at: datetime


def _json_default(value: object) -> Any:
    # Answers are JSON-ish already; a date object slipping in must not lose the whole draft.
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a draft")


def _to_draft(row: DraftRow) -> Draft:
    return Draft(
        row.task_id,
        row.questionnaire_code,
        row.questionnaire_version,
        json.loads(row.answers_json),
        row.saved_by,
        row.saved_at,
    )


def save_draft(
    ctx: DeskContext, task_id: str, definition: FormDefinition, answers: Mapping[str, object]
) -> Draft:
    """Store (or overwrite) the draft of ``definition`` for ``task_id``; durable once this returns."""
    payload = json.dumps(dict(answers), ensure_ascii=False, default=_json_default, sort_keys=True)
    now = ctx.now()
    with ctx.unit_of_work() as (_repo, session):
        ward_code = session.scalar(select(TaskRow.ward_code).where(TaskRow.id == task_id))
        if ward_code is None:
            raise NotFound(f"task {task_id} is not in this PC's cache")
        _check_ward(ctx, ward_code)
        session.merge(
            DraftRow(
                task_id=task_id,
                questionnaire_code=definition.code,
                questionnaire_version=definition.version,
                answers_json=payload,
                saved_by=ctx.user.username,
                saved_at=now,
            )
        )
    return Draft(task_id, definition.code, definition.version, json.loads(payload), ctx.user.username, now)


def load_drafts(ctx: DeskContext, task_id: str) -> dict[str, Draft]:
    """The drafts of ``task_id`` by scale code (whoever saved them: a colleague may take over the call)."""
    with ctx.unit_of_work() as (_repo, session):
        rows = session.scalars(select(DraftRow).where(DraftRow.task_id == task_id)).all()
        return {row.questionnaire_code: _to_draft(row) for row in rows}


def discard_draft(ctx: DeskContext, task_id: str, questionnaire_code: str) -> bool:
    """Delete the draft of one scale of ``task_id``; True when there was one."""
    with ctx.unit_of_work() as (_repo, session):
        result = session.execute(
            delete(DraftRow).where(
                DraftRow.task_id == task_id, DraftRow.questionnaire_code == questionnaire_code
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def drafts_of_user(ctx: DeskContext) -> list[Draft]:
    """Every draft the logged-in nurse left on this PC, newest first (offered back on reopening the app)."""
    with ctx.unit_of_work() as (_repo, session):
        rows = session.scalars(
            select(DraftRow)
            .where(DraftRow.saved_by == ctx.user.username)
            .order_by(DraftRow.saved_at.desc(), DraftRow.task_id, DraftRow.questionnaire_code)
        ).all()
        return [_to_draft(row) for row in rows]
