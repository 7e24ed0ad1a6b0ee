"""Notification configuration: channels, templates, contacts and policy, validated when saved.

Each section is one row of ``notify_config`` read on every use, so a change
applies to the next message without a restart. Secrets (HMAC key, SMTP
password) live here too: the section is admin-only and never pulled by desks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_sync.service.core.errors import ServiceError
from server_sync.service.notify.models import NotifyConfigRow
from server_sync.service.notify.templates import validate_templates

SECTIONS = ("channels", "templates", "contacts", "policy")
_KEPT = "notify_config_sections"  # Session.info key of the sections read in this transaction
CHANNELS = ("sms", "email", "chat")
ROLES = ("doctor", "manager", "duty_doctor")


def _bad(message: str) -> ServiceError:
    return ServiceError(422, "invalid_request", message)


def check_url(url: object, what: str) -> str:
    """An absolute http(s) URL with a host, else 422."""
    if not isinstance(url, str):
        raise _bad(f"{what}: url must be text")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise _bad(f"{what}: malformed webhook URL {url!r} (need http:// or https:// and a host)")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise _bad(f"{what}: malformed port in {url!r}") from None
    return url


def _check_channels(body: dict[str, Any]) -> dict[str, Any]:
    for name, conf in body.items():
        if name not in CHANNELS or not isinstance(conf, dict):
            raise _bad(f"unknown channel {name!r} (known: {', '.join(CHANNELS)})")
        if name in ("sms", "chat"):
            check_url(conf.get("url"), f"channel {name}")
        if name == "email" and (not conf.get("host") or not conf.get("sender")):
            raise _bad("channel email needs host and sender")
    return body


def _check_contacts(body: dict[str, Any]) -> dict[str, Any]:
    for ward, roles in body.items():
        if not isinstance(roles, dict):
            raise _bad(f"contacts of {ward!r} must be an object")
        for role, contact in roles.items():
            if role not in ROLES or not isinstance(contact, dict):
                raise _bad(f"contacts of {ward!r}: unknown role {role!r} (known: {', '.join(ROLES)})")
    return body


def _check_policy(body: dict[str, Any]) -> dict[str, Any]:
    policy = Policy.from_body(body)  # raises on a bad value
    del policy
    return body


_CHECKS = {
    "channels": _check_channels,
    "templates": validate_templates,
    "contacts": _check_contacts,
    "policy": _check_policy,
}


def save_section(*, db_session: Session, key: str, body: dict[str, Any], actor: str, now: datetime) -> int:
    """Validate and store one section; returns its new version."""
    if key not in SECTIONS:
        raise _bad(f"unknown notification section {key!r} (known: {', '.join(SECTIONS)})")
    if not isinstance(body, dict):
        raise _bad(f"section {key} must be an object")
    checked = _CHECKS[key](body)
    db_session.info.pop(_KEPT, None)
    row = db_session.get(NotifyConfigRow, key, with_for_update=True)
    if row is None:
        row = NotifyConfigRow(key=key, version=1, body=checked, updated_by=actor, updated_at=now)
        db_session.add(row)
    else:
        row.version, row.body, row.updated_by, row.updated_at = row.version + 1, checked, actor, now
    return row.version


def load_section(db_session: Session, key: str) -> dict[str, Any]:
    return dict(_sections(db_session).get(key) or {})


def _sections(db_session: Session) -> dict[str, dict[str, Any]]:
    """Every stored section in one read, kept for the session's transaction.

    A push of 500 failed call attempts asks for the configuration 500 times; a
    save in the same session drops the kept copy (see ``save_section``).
    """
    transaction = db_session.get_transaction()
    kept = db_session.info.get(_KEPT)
    if kept is None or transaction is None or kept[0] is not transaction:
        rows = db_session.execute(select(NotifyConfigRow.key, NotifyConfigRow.body)).all()
        # Asked again, not ``transaction``: with none open yet, the read above has just begun one.
        kept = (db_session.get_transaction(), {key: body for key, body in rows})
        db_session.info[_KEPT] = kept
    return kept[1]


def _clock(text: str) -> time:
    return time.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Policy:
    """Timings and limits; defaults suit one hospital."""

    ack_minutes: float = 15
    escalate_minutes: float = 15
    max_attempts: int = 6
    backoff_seconds: float = 5
    backoff_max_seconds: float = 900
    lease_seconds: float = 60
    lang: str = "zh_CN"
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)
    zone: str = "Asia/Shanghai"
    reminders_per_day: int = 2
    callback_phone: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Policy:
        try:
            quiet = body.get("quiet_hours", {"start": "21:00", "end": "08:00"})
            zone = str(body.get("zone", "Asia/Shanghai"))
            ZoneInfo(zone)
            policy = cls(
                ack_minutes=float(body.get("ack_minutes", 15)),
                escalate_minutes=float(body.get("escalate_minutes", 15)),
                max_attempts=int(body.get("max_attempts", 6)),
                backoff_seconds=float(body.get("backoff_seconds", 5)),
                backoff_max_seconds=float(body.get("backoff_max_seconds", 900)),
                lease_seconds=float(body.get("lease_seconds", 60)),
                lang=str(body.get("lang", "zh_CN")),
                quiet_start=_clock(quiet["start"]) if quiet else None,
                quiet_end=_clock(quiet["end"]) if quiet else None,
                zone=zone,
                reminders_per_day=int(body.get("reminders_per_day", 2)),
                callback_phone=str(body.get("callback_phone", "")),
            )
        except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as error:
            raise _bad(f"invalid notification policy: {error}") from None
        if policy.lang not in ("zh_CN", "en") or policy.max_attempts < 1 or policy.ack_minutes <= 0:
            raise _bad("invalid notification policy: lang zh_CN|en, max_attempts ≥ 1, ack_minutes > 0")
        return policy

    def in_quiet_hours(self, now: datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = now.astimezone(ZoneInfo(self.zone)).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def quiet_over(self, now: datetime) -> datetime:
        """The first moment after ``now`` outside quiet hours (``now`` itself when not quiet)."""
        if not self.in_quiet_hours(now) or self.quiet_end is None:
            return now
        zone = ZoneInfo(self.zone)
        local = now.astimezone(zone)
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if end <= local:
            end = (local + timedelta(days=1)).replace(
                hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0
            )
        return end.astimezone(now.tzinfo)


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """All four sections, as read at one moment."""

    channels: dict[str, Any]
    templates: dict[str, Any]
    contacts: dict[str, Any]
    policy: Policy

    def contact(self, ward_code: str, role: str) -> dict[str, Any]:
        ward = self.contacts.get(ward_code) or {}
        return ward.get(role) or (self.contacts.get("*") or {}).get(role) or {}


def load(db_session: Session) -> NotifyConfig:
    """The current configuration (one read per section; cheap enough for every event)."""
    return NotifyConfig(
        channels=load_section(db_session, "channels"),
        templates=load_section(db_session, "templates"),
        contacts=load_section(db_session, "contacts"),
        policy=Policy.from_body(load_section(db_session, "policy")),
    )
