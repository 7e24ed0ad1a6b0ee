"""Revisions of a stored monthly report: which ward-months later syncs touched, and the revision documents.

A report is built from the records committed up to a change number (the
*source*, read from the change counter before the records). A ward PC that was
offline at month end pushes last month's calls later: those changes get higher
numbers in the ``changes`` feed of the ward, so "changes of the ward numbered
above the report's mark that touch its month" finds every report that may be
out of date. The test is deliberately generous (any date in the changed record,
in its task, its encounter or the response it corrects, and in their earlier
versions, puts the change in that local month); the job then recomputes the
figures and makes a new revision only when they really differ.

Without a schema change (the ``ward_reports`` row is unique per ward-month and
is the claim), the revision bookkeeping lives in the row's ``figures`` document:

* ``revision`` — 1 for the first build, +1 for every rebuild;
* ``source_change_no`` — the high-water mark the figures were built from;
* ``verified_through`` — a later mark up to which the job checked that no change
  alters the figures (so each pass only reads newer changes);
* ``built_at`` — when this revision was built;
* ``history`` — the earlier revisions' documents (without their own history),
  each with ``superseded_at``: small enough to keep, and their PDF is rendered
  again from them on download, marked as superseded.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.calling_hours import zone_of
from server_sync.service.records.models import ROW_TYPES, RecordHistoryRow
from server_sync.service.sync.models import ChangeRow

# The records the monthly figures read (service.load_records); other changes cannot alter them.
CLINICAL = ("encounter", "task", "call_attempt", "response")
# The parts of the document that are the report's content (not when or from what it was built).
CONTENT_KEYS = ("no_data", "summary", "by_nurse", "by_plan")
_CHUNK = 500
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# --- which months a change touches ------------------------------------------------------------


def moments(value: Any) -> Iterator[datetime]:
    """Every ISO 8601 date-time anywhere in a payload (nested lists and objects included)."""
    if isinstance(value, str):
        if _ISO_MOMENT.match(value):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return
            yield moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    elif isinstance(value, dict):
        for item in value.values():
            yield from moments(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from moments(item)


def local_month(moment: datetime, zone: str) -> str:
    return moment.astimezone(zone_of(zone)).strftime("%Y-%m")


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _payloads(db_session: Session, entity: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Current payloads (deleted records included: their dates still say which month they were in)."""
    model = ROW_TYPES[entity]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for record_id, payload in db_session.execute(
            select(model.id, model.payload).where(model.id.in_(chunk))
        ):
            found[record_id] = payload
    return found


def _history(db_session: Session, entity: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Earlier versions: a task moved to another day still touches the month it left."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(ids))):
        for record_id, payload in db_session.execute(
            select(RecordHistoryRow.entity_id, RecordHistoryRow.payload).where(
                RecordHistoryRow.entity == entity, RecordHistoryRow.entity_id.in_(chunk)
            )
        ):
            found[record_id].append(payload)
    return found


def touched_months(
    db_session: Session, *, ward: str, zone: str, after: int, ceiling: int
) -> tuple[dict[str, int], int]:
    """Local month → highest change number of ``ward`` in ``(after, ceiling]`` that may alter its
    figures; and how many changes were read (0: nothing of the ward happened since ``after``)."""
    changes = db_session.execute(
        select(ChangeRow.change_no, ChangeRow.entity, ChangeRow.entity_id, ChangeRow.payload)
        .where(
            ChangeRow.ward_code == ward,
            ChangeRow.change_no > after,
            ChangeRow.change_no <= ceiling,
            ChangeRow.entity.in_(CLINICAL),
        )
        .order_by(ChangeRow.change_no)
    ).all()
    if not changes:
        return {}, 0
    ids: dict[str, set[str]] = defaultdict(set)
    # A deletion's feed entry has no payload: read the (soft-deleted) record itself.
    missing: dict[str, set[str]] = defaultdict(set)
    for _number, entity, entity_id, payload in changes:
        ids[entity].add(entity_id)
        if payload is None:
            missing[entity].add(entity_id)
    current = {entity: _payloads(db_session, entity, found) for entity, found in missing.items()}
    history = {entity: _history(db_session, entity, found) for entity, found in ids.items()}

    def own(entity: str, entity_id: str, payload: dict[str, Any] | None) -> list[dict[str, Any]]:
        latest = payload if payload is not None else current.get(entity, {}).get(entity_id)
        return [p for p in (latest, *history[entity].get(entity_id, ())) if p]

    # The task of every call and survey, the encounter of every task, the response a correction replaces.
    versions = {(e, i): own(e, i, p) for _n, e, i, p in changes}
    task_ids = {p.get("task_id") for (e, _i), ps in versions.items() if e != "task" for p in ps} - {None}
    tasks = _payloads(db_session, "task", task_ids)
    task_payloads = [p for (e, _i), ps in versions.items() if e == "task" for p in ps] + [*tasks.values()]
    encounter_ids = {p.get("encounter_id") for p in task_payloads} - {None}
    encounters = _payloads(db_session, "encounter", encounter_ids)
    corrected = {p.get("supersedes") for (e, _i), ps in versions.items() if e == "response" for p in ps}
    superseded = _payloads(db_session, "response", corrected - {None})

    touched: dict[str, int] = {}
    for number, entity, entity_id, _payload in changes:
        related = list(versions[(entity, entity_id)])
        for payload in list(related):
            task = tasks.get(payload.get("task_id")) if entity != "task" else payload
            if task is not None:
                related.append(task)
                related.append(encounters.get(task.get("encounter_id")) or {})
            if entity == "response" and payload.get("supersedes"):
                related.append(superseded.get(payload["supersedes"]) or {})
        for moment in moments(related):
            month = local_month(moment, zone)
            touched[month] = max(touched.get(month, 0), number)
    return touched, len(changes)


# --- the revision documents -------------------------------------------------------------------


def content(document: dict[str, Any] | None) -> str:
    """The report's content as canonical JSON: two builds with the same figures compare equal."""
    if not document:
        return ""
    return json.dumps({k: document.get(k) for k in CONTENT_KEYS}, sort_keys=True, ensure_ascii=False)


def revision_of(document: dict[str, Any] | None) -> int:
    """The revision a stored document is (a report built before revisions existed is revision 1)."""
    if not document:
        return 0
    return int(document.get("revision") or 1)


def mark_of(document: dict[str, Any] | None) -> int:
    """The change number up to which the document is known to be current (0: unknown, check all)."""
    if not document:
        return 0
    return int(document.get("verified_through") or document.get("source_change_no") or 0)


def without_history(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "history"}


def next_revision(
    figures: dict[str, Any], *, previous: dict[str, Any] | None, source: int, built_at: datetime
) -> dict[str, Any]:
    """The document of a new build: revision +1 over ``previous`` (kept in ``history``), or revision 1."""
    history: list[dict[str, Any]] = []
    if previous:
        history = [
            *previous.get("history", ()),
            {**without_history(previous), "superseded_at": _iso(built_at)},
        ]
        history[-1].setdefault("revision", revision_of(previous))
    return {
        **figures,
        "revision": revision_of(previous) + 1,
        "source_change_no": source,
        "verified_through": source,
        "built_at": _iso(built_at),
        "history": history,
    }


def verified(document: dict[str, Any], through: int) -> dict[str, Any]:
    """The same document, known to be current up to change ``through``."""
    return {**document, "verified_through": max(mark_of(document), through)}


def find_revision(document: dict[str, Any] | None, revision: int) -> dict[str, Any] | None:
    """The document of ``revision`` (the current one or an earlier one), None when there is none."""
    if not document:
        return None
    if revision == revision_of(document):
        return document
    return next((h for h in document.get("history", ()) if revision_of(h) == revision), None)


def listing(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every revision of the document, newest first: number, when built, when superseded."""
    if not document:
        return []
    entries = [without_history(document), *reversed(document.get("history", ()))]
    return [
        {
            "revision": revision_of(entry),
            "built_at": entry.get("built_at"),
            "source_change_no": entry.get("source_change_no"),
            "superseded_at": entry.get("superseded_at"),
        }
        for entry in entries
    ]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()
