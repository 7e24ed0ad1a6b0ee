"""Accounts and logins: argon2 passwords, lockout, device registration, token sessions."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from nurse_app.domain.model import Role, User, utc_now
from server_sync.service.auth.models import AuthSessionRow, DeviceRow, UserRow, UserWardRow
from server_sync.service.auth.tokens import hash_refresh_token, new_refresh_token
from server_sync.service.config import service as config_service
from server_sync.service.core.config import Settings
from server_sync.service.core.errors import ServiceError, not_found


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    user: User
    session_id: str
    device_id: str


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str
    refresh_token: str
    refresh_expires_at: datetime


@lru_cache(maxsize=4)
def password_hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher_for(settings: Settings) -> PasswordHasher:
    """The argon2id hasher configured by ``settings``."""
    return password_hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def generate_password() -> str:
    """A random password for reset/initial accounts (shown once to the administrator)."""
    return secrets.token_urlsafe(12)


def _user_doc(row: UserRow, wards: Iterable[str]) -> dict:
    # Published to every desk as configuration: never the hash or the lockout state.
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "wards": sorted(wards),
        "active": row.active,
    }


def ward_codes(*, db_session: Session, username: str) -> list[str]:
    return sorted(
        db_session.scalars(select(UserWardRow.ward_code).where(UserWardRow.username == username)).all()
    )


def publish_user(*, db_session: Session, row: UserRow, actor: str) -> None:
    wards = ward_codes(db_session=db_session, username=row.username)
    config_service.publish(
        db_session=db_session, kind="user", key=row.username, body=_user_doc(row, wards), published_by=actor
    )


def create_user(
    *,
    db_session: Session,
    hasher: PasswordHasher,
    username: str,
    display_name: str,
    role: Role,
    wards: Iterable[str],
    password: str | None = None,
    password_hash: str | None = None,
    actor: str = "system",
) -> UserRow:
    """Create an account with its ward membership; 409 if the username is taken."""
    if db_session.get(UserRow, username) is not None:
        raise ServiceError(409, "conflict", f"user {username} already exists")
    now = utc_now()
    row = UserRow(
        username=username,
        display_name=display_name,
        role=Role(role).value,
        password_hash=password_hash or hasher.hash(password or generate_password()),
        active=True,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    db_session.add(row)
    set_wards(db_session=db_session, username=username, wards=wards)
    db_session.flush()
    publish_user(db_session=db_session, row=row, actor=actor)
    return row


def set_wards(*, db_session: Session, username: str, wards: Iterable[str]) -> None:
    codes = sorted(set(wards))
    for code in codes:
        if not config_service.ward_exists(db_session=db_session, code=code):
            raise ServiceError(422, "invalid_request", f"unknown ward {code}")
    db_session.execute(delete(UserWardRow).where(UserWardRow.username == username))
    db_session.add_all(UserWardRow(username=username, ward_code=code) for code in codes)


def _existing(db_session: Session, username: str) -> UserRow:
    row = db_session.get(UserRow, username)
    if row is None:
        raise not_found(f"user {username}")
    return row


def disable_user(*, db_session: Session, username: str, actor: str = "system") -> None:
    """Disable an account and end all its sessions."""
    row = _existing(db_session, username)
    row.active, row.updated_at = False, utc_now()
    revoke_sessions(db_session=db_session, username=username)
    publish_user(db_session=db_session, row=row, actor=actor)


def reset_password(*, db_session: Session, hasher: PasswordHasher, username: str, password: str) -> None:
    """Set a new password, clear the lockout and end all sessions."""
    row = _existing(db_session, username)
    row.password_hash = hasher.hash(password)
    row.failed_logins, row.locked_until, row.updated_at = 0, None, utc_now()
    revoke_sessions(db_session=db_session, username=username)


def revoke_sessions(*, db_session: Session, username: str) -> None:
    db_session.execute(
        update(AuthSessionRow)
        .where(AuthSessionRow.username == username, AuthSessionRow.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


def load_user(*, db_session: Session, username: str) -> User | None:
    """The domain view of an account (role and wards), or None."""
    row = db_session.get(UserRow, username)
    if row is None:
        return None
    wards = tuple(ward_codes(db_session=db_session, username=username))
    return User(row.username, row.display_name, Role(row.role), wards, row.active)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    """A real hash to verify unknown usernames against: same timing as a wrong password."""
    return password_hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(16))


def check_password(
    *, db_session: Session, settings: Settings, username: str, password: str, now: datetime
) -> UserRow | ServiceError:
    """The account if the password is right; otherwise the refusal (failures are counted).

    Returns rather than raises the refusal, so the caller commits the failure
    counter before answering.
    """
    hasher = hasher_for(settings)
    row = db_session.get(UserRow, username, with_for_update=True)
    if row is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib), password)
        return ServiceError(401, "invalid_credentials", "wrong username or password")
    if row.locked_until is not None and row.locked_until > now:
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        return ServiceError(423, "account_locked", f"too many failed logins: try again in {minutes} min")
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        row.failed_logins += 1
        if row.failed_logins >= settings.lockout_failures:
            row.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            row.failed_logins = 0
        return ServiceError(401, "invalid_credentials", "wrong username or password")
    if not row.active:
        return ServiceError(403, "account_disabled", "this account is disabled: ask the ward manager")
    row.failed_logins, row.locked_until = 0, None
    if hasher.check_needs_rehash(row.password_hash):
        row.password_hash = hasher.hash(password)
    return row


def register_device(*, db_session: Session, device_id: str, name: str, username: str, now: datetime) -> None:
    row = db_session.get(DeviceRow, device_id)
    if row is None:
        db_session.add(
            DeviceRow(
                device_id=device_id, name=name, last_username=username, registered_at=now, last_seen_at=now
            )
        )
    else:
        row.name, row.last_username, row.last_seen_at = name or row.name, username, now


def start_session(
    *, db_session: Session, settings: Settings, username: str, device_id: str, now: datetime
) -> NewSession:
    token = new_refresh_token()
    expires = now + timedelta(days=settings.refresh_token_days)
    session_id = str(uuid.uuid4())
    db_session.add(
        AuthSessionRow(
            id=session_id,
            username=username,
            device_id=device_id,
            refresh_hash=hash_refresh_token(token),
            refresh_expires_at=expires,
            created_at=now,
        )
    )
    return NewSession(session_id, token, expires)


def rotate_refresh(
    *, db_session: Session, settings: Settings, token: str, now: datetime
) -> tuple[AuthSessionRow, NewSession] | ServiceError:
    """Swap a refresh token for a new one. A replayed old token revokes its session (theft)."""
    digest = hash_refresh_token(token)
    row = db_session.execute(
        select(AuthSessionRow).where(AuthSessionRow.refresh_hash == digest).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        reused = db_session.execute(
            select(AuthSessionRow).where(AuthSessionRow.previous_hash == digest).with_for_update()
        ).scalar_one_or_none()
        if reused is not None and reused.revoked_at is None:
            reused.revoked_at = now
        return ServiceError(401, "token_invalid", "the refresh token is not valid: log in again")
    if row.revoked_at is not None or row.refresh_expires_at <= now:
        return ServiceError(401, "token_invalid", "the session has ended: log in again")
    user = db_session.get(UserRow, row.username)
    if user is None or not user.active:
        return ServiceError(403, "account_disabled", "this account is disabled: ask the ward manager")
    new_token = new_refresh_token()
    row.previous_hash, row.refresh_hash = digest, hash_refresh_token(new_token)
    row.refresh_expires_at = now + timedelta(days=settings.refresh_token_days)
    return row, NewSession(row.id, new_token, row.refresh_expires_at)


def end_session(*, db_session: Session, session_id: str, now: datetime) -> None:
    """Log out: the session's refresh token and access tokens stop working."""
    row = db_session.get(AuthSessionRow, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


# Built once: this runs on every request, and building the statement costs more than running it.
_SESSION_ACCOUNT = (
    select(
        AuthSessionRow.revoked_at,
        AuthSessionRow.refresh_expires_at,
        UserRow.username,
        UserRow.display_name,
        UserRow.role,
        UserRow.active,
        UserWardRow.ward_code,
    )
    .select_from(AuthSessionRow)
    .outerjoin(UserRow, UserRow.username == AuthSessionRow.username)
    .outerjoin(UserWardRow, UserWardRow.username == UserRow.username)
    .where(AuthSessionRow.id == bindparam("session_id"))
)


def session_account(*, db_session: Session, session_id: str, now: datetime) -> tuple[bool, User | None]:
    """Whether a token's session is live, and its account (role, wards) — one query per request."""
    rows = db_session.execute(_SESSION_ACCOUNT, {"session_id": session_id}).all()
    if not rows:
        return False, None
    first = rows[0]
    live = first.revoked_at is None and first.refresh_expires_at > now
    if first.username is None:
        return live, None
    wards = tuple(sorted({row.ward_code for row in rows if row.ward_code is not None}))
    return live, User(first.username, first.display_name, Role(first.role), wards, first.active)
