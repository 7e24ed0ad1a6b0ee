"""HTTP routes of authentication: login, refresh, logout, me."""

from __future__ import annotations

from fastapi import APIRouter, Response

from nurse_app.domain.model import utc_now
from server_sync.protocol import LoginRequest, LoginResponse, RefreshRequest, TokenPair, UserInfo
from server_sync.service.auth import login as login_flow
from server_sync.service.auth import service
from server_sync.service.core.deps import CurrentUser, DatabaseDep, SecretDep, SettingsDep
from server_sync.service.core.errors import ServiceError

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, database: DatabaseDep, settings: SettingsDep, secret: SecretDep
) -> LoginResponse:
    """Exchange username/password (and the device's id) for an access and a refresh token."""
    now = utc_now()
    result = database.run_write(
        lambda s: login_flow.login(db_session=s, settings=settings, secret=secret, request=body, now=now)
    )
    if isinstance(result, ServiceError):
        raise result
    return result


@router.post("/refresh", response_model=TokenPair)
def refresh(
    body: RefreshRequest, database: DatabaseDep, settings: SettingsDep, secret: SecretDep
) -> TokenPair:
    """Rotate the refresh token; the old one stops working (replaying it ends the session)."""
    now = utc_now()
    result = database.run_write(
        lambda s: login_flow.refresh(
            db_session=s, settings=settings, secret=secret, refresh_token=body.refresh_token, now=now
        )
    )
    if isinstance(result, ServiceError):
        raise result
    return result


@router.post("/logout", status_code=204)
def logout(principal: CurrentUser, database: DatabaseDep) -> Response:
    """Revoke this session: its refresh token and access tokens stop working."""
    now = utc_now()
    database.run_write(lambda s: service.end_session(db_session=s, session_id=principal.session_id, now=now))
    return Response(status_code=204)


@router.get("/me", response_model=UserInfo)
def me(principal: CurrentUser) -> UserInfo:
    """Who the token belongs to, with role and wards."""
    user = principal.user
    return UserInfo(
        username=user.username, display_name=user.display_name, role=user.role, wards=list(user.wards)
    )
