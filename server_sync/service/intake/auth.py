"""Who may feed the intake endpoints: an administrator's access token, or an intake token.

The hospital's interface engine is not a person and has no ward: it gets a
long-lived random token (``followup-server intake-token create NAME``) whose
SHA-256 is stored, checked like refresh tokens are. Accounts keep the three
roles of the domain; the intake role lives only here.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy import select
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role
from server_sync.service.auth.tokens import hash_refresh_token
from server_sync.service.core.deps import DatabaseDep, SecretDep, get_principal
from server_sync.service.core.errors import ServiceError, forbidden
from server_sync.service.intake.models import IntakeTokenRow

TOKEN_PREFIX = "intake_"


@dataclass(frozen=True, slots=True)
class IntakeCaller:
    name: str  # the token's name, or the administrator's username
    role: str  # "intake" | "admin"


def create_token(*, db_session: Session, name: str, now: datetime) -> str:
    """Make a token for a hospital system; returns it (shown once, only its hash is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db_session.add(
        IntakeTokenRow(
            id=str(uuid.uuid4()), name=name[:64], token_hash=hash_refresh_token(token), created_at=now
        )
    )
    return token


def revoke_token(*, db_session: Session, name: str, now: datetime) -> int:
    rows = db_session.scalars(
        select(IntakeTokenRow).where(IntakeTokenRow.name == name, IntakeTokenRow.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def _intake_token(database, token: str) -> IntakeCaller | None:
    with database.session() as db_session:
        row = db_session.scalars(
            select(IntakeTokenRow).where(IntakeTokenRow.token_hash == hash_refresh_token(token))
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    return IntakeCaller(row.name, "intake")


def get_intake_caller(
    database: DatabaseDep, secret: SecretDep, authorization: Annotated[str | None, Header()] = None
) -> IntakeCaller:
    """An intake token, or an administrator's access token (the existing login); 401/403 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token.startswith(TOKEN_PREFIX):
        caller = _intake_token(database, token)
        if caller is None:
            raise ServiceError(401, "token_invalid", "the intake token is not valid or was revoked")
        return caller
    principal = get_principal(database, secret, authorization)
    if principal.user.role is not Role.ADMIN:
        raise forbidden("needs role admin or an intake token")
    return IntakeCaller(principal.user.username, "admin")


IntakeCallerDep = Annotated[IntakeCaller, Depends(get_intake_caller)]
