"""Delivery channels behind one interface: hospital SMS webhook, SMTP e-mail, chat-robot webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

SIGNATURE_HEADER = "X-Followup-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class DeliveryError(Exception):
    """A send that failed; ``permanent`` ones go straight to the dead-letter list."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str
    recipient: str
    subject: str
    body: str


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""


def _post(client: httpx.Client, url: str, raw: bytes, headers: dict[str, str]) -> None:
    try:
        response = client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise DeliveryError(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=True)


class SmsWebhook:
    """POSTs ``{"id", "phone", "content"}`` to the hospital SMS platform, signed with HMAC-SHA256."""

    name = "sms"

    def __init__(self, conf: dict[str, Any], client: httpx.Client) -> None:
        self.url = conf["url"]
        self.secret = str(conf.get("secret", "")).encode()
        self.client = client

    def send(self, message: Outgoing) -> None:
        raw = json.dumps(
            {"id": message.key, "phone": message.recipient, "content": message.body}, ensure_ascii=False
        ).encode()
        signature = hmac.new(self.secret, raw, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: f"sha256={signature}",
            IDEMPOTENCY_HEADER: message.key,
        }
        _post(self.client, self.url, raw, headers)


class ChatRobot:
    """The text-message shape enterprise chat robots accept: ``{"msgtype":"text","text":{"content":…}}``."""

    name = "chat"

    def __init__(self, conf: dict[str, Any], client: httpx.Client) -> None:
        self.url = conf["url"]
        self.client = client

    def send(self, message: Outgoing) -> None:
        raw = json.dumps({"msgtype": "text", "text": {"content": message.body}}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", IDEMPOTENCY_HEADER: message.key}
        _post(self.client, self.url, raw, headers)


class SmtpMail:
    """Plain SMTP (optionally STARTTLS and login); the idempotency key rides in the Message-ID."""

    name = "email"

    def __init__(self, conf: dict[str, Any]) -> None:
        self.host, self.port = conf["host"], int(conf.get("port", 25))
        self.sender = conf["sender"]
        self.username, self.password = conf.get("username"), conf.get("password")
        self.starttls = bool(conf.get("starttls", False))
        self.timeout = float(conf.get("timeout", 10))

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.recipient
        mail["Subject"] = message.subject or "随访护士站通知"
        mail["Message-ID"] = make_msgid(idstring=hashlib.sha256(message.key.encode()).hexdigest()[:24])
        mail["X-Idempotency-Key"] = message.key
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"recipient refused: {error.recipients}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None


def build_channels(conf: dict[str, Any], client: httpx.Client) -> dict[str, Channel]:
    """The configured channels by name (built per worker step, so configuration changes apply)."""
    channels: dict[str, Channel] = {}
    if "sms" in conf:
        channels["sms"] = SmsWebhook(conf["sms"], client)
    if "email" in conf:
        channels["email"] = SmtpMail(conf["email"])
    if "chat" in conf:
        channels["chat"] = ChatRobot(conf["chat"], client)
    return channels
