"""Publish and read server-authoritative configuration documents (immutable per version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurse_app.domain.model import Ward, utc_now
from server_sync.protocol import ConfigDocument, ConfigResponse, entity_to_payload
from server_sync.service.config.models import ConfigDocumentRow, WardRow
from server_sync.service.core.counter import feed_bookkeeping, take_numbers
from server_sync.service.core.errors import ServiceError


def publish(
    *,
    db_session: Session,
    kind: str,
    key: str,
    body: dict[str, Any],
    published_by: str,
    version: int | None = None,
    now: datetime | None = None,
) -> ConfigDocumentRow:
    """Store ``body`` as the next version of (kind, key), or as ``version`` when given.

    Republishing an existing version with the same body is a no-op; with another
    body it is refused: a published version never changes.
    """
    latest = db_session.execute(
        select(func.max(ConfigDocumentRow.version)).where(
            ConfigDocumentRow.kind == kind, ConfigDocumentRow.key == key
        )
    ).scalar_one()
    if version is not None and latest is not None and version <= latest:
        existing = db_session.get(ConfigDocumentRow, (kind, key, version))
        if existing is not None and existing.body == body:
            return existing
        raise ServiceError(409, "conflict", f"{kind} {key} version {version} is published and immutable")
    if version is None and latest is not None:
        current = db_session.get(ConfigDocumentRow, (kind, key, latest))
        if current is not None and current.body == body:
            return current  # nothing changed: no new version
    row = ConfigDocumentRow(
        kind=kind,
        key=key,
        version=version if version is not None else (latest or 0) + 1,
        config_version=take_numbers(db_session=db_session, count=1),
        body=body,
        published_by=published_by,
        published_at=now or utc_now(),
    )
    db_session.add(row)
    return row


def upsert_ward(*, db_session: Session, ward: Ward, published_by: str) -> WardRow:
    """Create or update a ward and publish its new configuration version."""
    payload = entity_to_payload(ward)
    row = db_session.get(WardRow, ward.code)
    now = utc_now()
    if row is None:
        row = WardRow(code=ward.code)
        db_session.add(row)
    row.name, row.department, row.zone = ward.name, ward.department, ward.zone
    row.calling_hours = payload["calling_hours"]
    row.active, row.updated_at = True, now
    publish(db_session=db_session, kind="ward", key=ward.code, body=payload, published_by=published_by)
    return row


def ward_exists(*, db_session: Session, code: str) -> bool:
    return db_session.get(WardRow, code) is not None


def documents_since(*, db_session: Session, since: int) -> ConfigResponse:
    """Every document published after config version ``since``, oldest first."""
    # Counter first, then rows ≤ it: a document committing meanwhile is picked up next time.
    epoch, _floor, ceiling = feed_bookkeeping(db_session=db_session)
    rows = db_session.scalars(
        select(ConfigDocumentRow)
        .where(ConfigDocumentRow.config_version > since, ConfigDocumentRow.config_version <= ceiling)
        .order_by(ConfigDocumentRow.config_version)
    ).all()
    documents = [
        ConfigDocument(
            kind=row.kind,  # type: ignore[arg-type]
            key=row.key,
            version=row.version,
            config_version=row.config_version,
            body=row.body,
            published_at=row.published_at,
        )
        for row in rows
    ]
    return ConfigResponse(server_epoch=epoch, config_version=ceiling, documents=documents)
