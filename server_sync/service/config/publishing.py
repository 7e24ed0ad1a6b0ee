"""Publishing of plans, scales, call scripts and ward thresholds (used by HTTP and the CLI)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nurse_app.domain.model import CallingHours, Plan, Ward
from server_sync.protocol import PayloadError, dataclass_from_payload, entity_to_payload
from server_sync.service.config import service
from server_sync.service.config.models import ConfigDocumentRow
from server_sync.service.core.errors import ServiceError


def _invalid(error: Exception) -> ServiceError:
    return ServiceError(422, "invalid_request", str(error))


def ward_from_body(body: dict[str, Any]) -> Ward:
    """A Ward from its admin form (calling hours optional)."""
    try:
        hours = body.get("calling_hours")
        calling_hours = dataclass_from_payload(CallingHours, hours) if hours else CallingHours()
        return Ward(
            body["code"], body["name"], body["department"], body.get("zone") or "Asia/Shanghai", calling_hours
        )
    except (PayloadError, KeyError) as error:
        raise _invalid(error) from None


def publish_plan(*, db_session: Session, body: dict[str, Any], actor: str) -> ConfigDocumentRow:
    """Validate a plan against the domain model and publish it as (code, version)."""
    try:
        plan = dataclass_from_payload(Plan, body)
    except PayloadError as error:
        raise _invalid(error) from None
    return service.publish(
        db_session=db_session,
        kind="plan",
        key=plan.code,
        body=entity_to_payload(plan),
        published_by=actor,
        version=plan.version,
    )


def publish_document(
    *, db_session: Session, kind: str, body: dict[str, Any], actor: str
) -> ConfigDocumentRow:
    """Publish an opaque scale or script document keyed by its ``code``."""
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ServiceError(422, "invalid_request", f"a {kind} document needs a 'code'")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or version < 1):
        raise ServiceError(422, "invalid_request", "'version' must be a positive integer")
    return service.publish(
        db_session=db_session, kind=kind, key=code, body=body, published_by=actor, version=version
    )


def publish_thresholds(
    *, db_session: Session, ward_code: str, rules: list[dict[str, Any]], actor: str
) -> ConfigDocumentRow:
    """Publish the critical-value thresholds of one ward."""
    if not service.ward_exists(db_session=db_session, code=ward_code):
        raise ServiceError(422, "invalid_request", f"unknown ward {ward_code}")
    body = {"ward_code": ward_code, "rules": rules}
    return service.publish(
        db_session=db_session, kind="thresholds", key=ward_code, body=body, published_by=actor
    )
