"""Read one record with ward scoping (a nurse never sees another ward's patients)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role, User
from server_sync.protocol import Change
from server_sync.service.core.errors import forbidden, not_found
from server_sync.service.records.models import ROW_TYPES, PatientWardRow


def visible_wards(*, db_session: Session, entity: str, row: object) -> set[str]:
    if entity == "patient":
        codes = db_session.scalars(
            select(PatientWardRow.ward_code).where(PatientWardRow.patient_id == row.id)  # type: ignore[attr-defined]
        ).all()
        return set(codes)
    ward_code = row.ward_code  # type: ignore[attr-defined]
    return {ward_code} if ward_code else set()


def get_record(*, db_session: Session, user: User, entity: str, record_id: str) -> Change:
    """The current state of a record as a feed entry; 404 if unknown, 403 outside the caller's wards."""
    model = ROW_TYPES.get(entity)
    if model is None:
        raise not_found(f"entity {entity}")
    row = db_session.get(model, record_id)
    if row is None:
        raise not_found(entity)
    if user.role is not Role.ADMIN and not (
        visible_wards(db_session=db_session, entity=entity, row=row) & set(user.wards)
    ):
        raise forbidden("this record belongs to a ward that is not yours")
    return Change(
        change_no=0,
        entity=entity,  # type: ignore[arg-type]
        entity_id=row.id,
        op="delete" if row.deleted else "upsert",
        payload=None if row.deleted else row.payload,
        server_version=row.version,
        flags=["needs_review"] if getattr(row, "needs_review", False) else [],
    )
