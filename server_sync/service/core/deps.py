"""FastAPI dependencies as ``Annotated`` aliases: the database, settings, the caller, role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from nurse_app.domain.model import Role, utc_now
from server_sync.service.auth import service as auth_service
from server_sync.service.auth.tokens import read_access_token
from server_sync.service.core import meta
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database
from server_sync.service.core.errors import ServiceError, forbidden

# Dependencies that do no I/O are ``async``: FastAPI runs every plain ``def`` dependency in its
# thread pool, and at a few hundred requests a second those hand-offs cost more CPU than the queries.


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(database: Annotated[Database, Depends(get_database)]) -> AsyncIterator[Session]:
    # Made and closed on the event loop: a Session connects only at its first query (in the
    # endpoint's thread), and closing it must not wait for a free pool thread while it still holds
    # a pooled connection — with every thread waiting for a connection, that would deadlock.
    db_session = database.session()
    try:
        yield db_session
    finally:
        db_session.close()


# Cursors go to SQL as 64-bit signed integers: larger ones are refused with 422, not a driver overflow.
MAX_DB_INT = 2**63 - 1

DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


async def token_secret(request: Request) -> str:
    """The access-token signing key: from settings, else generated into ``server_meta``."""
    state = request.app.state
    if getattr(state, "token_secret", None) is None:
        secret = state.settings.secret_key or await run_in_threadpool(_stored_secret, state.database)
        if not secret:
            raise RuntimeError("no token secret: run `followup-server migrate` first")
        state.token_secret = secret
    return state.token_secret


def _stored_secret(database: Database) -> str | None:
    with database.session() as db_session:
        return meta.get_value(db_session=db_session, key=meta.SECRET_KEY)


SecretDep = Annotated[str, Depends(token_secret)]


def get_principal(
    database: DatabaseDep, secret: SecretDep, authorization: Annotated[str | None, Header()] = None
) -> auth_service.Principal:
    """The caller named by ``Authorization: Bearer <access token>``; 401/403 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ServiceError(401, "token_invalid", "log in first (Authorization: Bearer <token>)")
    now = utc_now()
    claims = read_access_token(secret=secret, token=token.strip(), now=now)
    # A session of its own, closed in this thread: no pooled connection is held across thread hand-offs.
    with database.session() as db_session:
        live, user = auth_service.session_account(
            db_session=db_session, session_id=claims.session_id, now=now
        )
    if not live or (user is not None and user.username != claims.username):
        raise ServiceError(401, "token_invalid", "the session has ended: log in again")
    if user is None or not user.active:
        raise ServiceError(403, "account_disabled", "this account is disabled: ask the ward manager")
    return auth_service.Principal(user=user, session_id=claims.session_id, device_id=claims.device_id)


CurrentUser = Annotated[auth_service.Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[auth_service.Principal], auth_service.Principal]:
    """A dependency that admits only callers with one of ``roles``."""
    allowed = frozenset(roles)

    async def check(principal: CurrentUser) -> auth_service.Principal:
        if principal.user.role not in allowed:
            raise forbidden(f"needs role {' or '.join(sorted(r.value for r in allowed))}")
        return principal

    return check


AdminUser = Annotated[auth_service.Principal, Depends(require_role(Role.ADMIN))]
ManagerUser = Annotated[auth_service.Principal, Depends(require_role(Role.WARD_MANAGER, Role.ADMIN))]
