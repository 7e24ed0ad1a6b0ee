"""Login and token refresh as whole transactions, returning protocol replies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from server_sync.protocol import LoginRequest, LoginResponse, TokenPair, UserInfo
from server_sync.service.auth import service
from server_sync.service.auth.tokens import issue_access_token
from server_sync.service.core import meta
from server_sync.service.core.config import Settings
from server_sync.service.core.errors import ServiceError


def _pair(
    settings: Settings, secret: str, username: str, new: service.NewSession, device_id: str, now: datetime
):
    lifetime = timedelta(seconds=settings.access_token_seconds)
    access = issue_access_token(
        secret=secret,
        username=username,
        session_id=new.session_id,
        device_id=device_id,
        now=now,
        lifetime=lifetime,
    )
    return {
        "access_token": access,
        "refresh_token": new.refresh_token,
        "expires_in": settings.access_token_seconds,
        "refresh_expires_in": int((new.refresh_expires_at - now).total_seconds()),
    }


def login(
    *, db_session: Session, settings: Settings, secret: str, request: LoginRequest, now: datetime
) -> LoginResponse | ServiceError:
    """Check the password, register the device and open a session (refusals are returned)."""
    outcome = service.check_password(
        db_session=db_session,
        settings=settings,
        username=request.username,
        password=request.password,
        now=now,
    )
    if isinstance(outcome, ServiceError):
        return outcome
    service.register_device(
        db_session=db_session,
        device_id=request.device_id,
        name=request.device_name,
        username=outcome.username,
        now=now,
    )
    db_session.flush()
    new = service.start_session(
        db_session=db_session,
        settings=settings,
        username=outcome.username,
        device_id=request.device_id,
        now=now,
    )
    user = service.load_user(db_session=db_session, username=outcome.username)
    assert user is not None
    return LoginResponse(
        **_pair(settings, secret, user.username, new, request.device_id, now),
        user=UserInfo(
            username=user.username, display_name=user.display_name, role=user.role, wards=list(user.wards)
        ),
        server_epoch=meta.server_epoch(db_session=db_session),
    )


def refresh(
    *, db_session: Session, settings: Settings, secret: str, refresh_token: str, now: datetime
) -> TokenPair | ServiceError:
    """Rotate the refresh token and issue a new access token."""
    outcome = service.rotate_refresh(db_session=db_session, settings=settings, token=refresh_token, now=now)
    if isinstance(outcome, ServiceError):
        return outcome
    row, new = outcome
    return TokenPair(**_pair(settings, secret, row.username, new, row.device_id, now))
