"""HTTP routes of configuration: the hot-config feed and the administration endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from server_sync.protocol import ConfigResponse, UserInfo
from server_sync.service.auth import service as auth_service
from server_sync.service.config import publishing, service
from server_sync.service.config.models import ConfigDocumentRow
from server_sync.service.config.schemas import (
    PasswordReset,
    UserCreate,
    VersionedDocument,
    WardCreate,
    WardThresholds,
)
from server_sync.service.core.deps import (
    MAX_DB_INT,
    AdminUser,
    CurrentUser,
    DatabaseDep,
    SessionDep,
    SettingsDep,
)
from server_sync.service.core.replies import json_reply

router = APIRouter(tags=["config"])


def _published(row: ConfigDocumentRow) -> dict[str, Any]:
    return {"kind": row.kind, "key": row.key, "version": row.version, "config_version": row.config_version}


@router.get("/config", response_model=ConfigResponse)
def config_feed(
    principal: CurrentUser, db_session: SessionDep, since: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0
) -> Response:
    """Every configuration document published after ``since`` (wards, users, plans, scales…)."""
    return json_reply(service.documents_since(db_session=db_session, since=since))


@router.post("/admin/wards", status_code=201)
def add_ward(body: WardCreate, principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    """Create or update a ward (a new configuration version)."""
    ward = publishing.ward_from_body(body.model_dump())
    database.run_write(
        lambda s: service.upsert_ward(db_session=s, ward=ward, published_by=principal.user.username)
    )
    return {"code": ward.code}


@router.post("/admin/users", status_code=201, response_model=UserInfo)
def add_user(
    body: UserCreate, principal: AdminUser, database: DatabaseDep, settings: SettingsDep
) -> UserInfo:
    """Create an account with role and wards."""
    database.run_write(
        lambda s: auth_service.create_user(
            db_session=s,
            hasher=auth_service.hasher_for(settings),
            username=body.username,
            display_name=body.display_name,
            role=body.role,
            wards=body.wards,
            password=body.password,
            actor=principal.user.username,
        )
    )
    return UserInfo(
        username=body.username, display_name=body.display_name, role=body.role, wards=sorted(set(body.wards))
    )


@router.post("/admin/users/{username}/disable", status_code=204)
def disable_user(username: str, principal: AdminUser, database: DatabaseDep) -> None:
    """Disable an account; its sessions end at once."""
    database.run_write(
        lambda s: auth_service.disable_user(db_session=s, username=username, actor=principal.user.username)
    )


@router.post("/admin/users/{username}/password", status_code=204)
def reset_password(
    username: str, body: PasswordReset, principal: AdminUser, database: DatabaseDep, settings: SettingsDep
) -> None:
    """Set a new password (clears the lockout, ends sessions)."""
    database.run_write(
        lambda s: auth_service.reset_password(
            db_session=s, hasher=auth_service.hasher_for(settings), username=username, password=body.password
        )
    )


@router.post("/admin/plans", status_code=201)
def publish_plan(body: dict[str, Any], principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    """Publish a follow-up plan (validated against the domain's Plan)."""
    row = database.run_write(
        lambda s: publishing.publish_plan(db_session=s, body=body, actor=principal.user.username)
    )
    return _published(row)


@router.post("/admin/scales", status_code=201)
def publish_scale(body: VersionedDocument, principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    """Publish a questionnaire (FHIR-like JSON, opaque to the service for now)."""
    return _publish_document("scale", body, principal, database)


@router.post("/admin/scripts", status_code=201)
def publish_script(body: VersionedDocument, principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    """Publish a call script template."""
    return _publish_document("script", body, principal, database)


@router.post("/admin/thresholds", status_code=201)
def publish_thresholds(body: WardThresholds, principal: AdminUser, database: DatabaseDep) -> dict[str, Any]:
    """Publish one ward's critical-value thresholds."""
    row = database.run_write(
        lambda s: publishing.publish_thresholds(
            db_session=s, ward_code=body.ward_code, rules=body.rules, actor=principal.user.username
        )
    )
    return _published(row)


def _publish_document(kind: str, body: VersionedDocument, principal: Any, database: Any) -> dict[str, Any]:
    document = body.model_dump(exclude_none=True)
    row = database.run_write(
        lambda s: publishing.publish_document(
            db_session=s, kind=kind, body=document, actor=principal.user.username
        )
    )
    return _published(row)
