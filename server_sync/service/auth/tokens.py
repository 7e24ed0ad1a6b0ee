"""Short-lived HMAC-signed access tokens and opaque refresh tokens.

Access tokens are checked without a database round trip for the signature, so
any replica can verify them; each one names its login session, which the
service also checks so a logout or a disabled account takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from server_sync.service.core.errors import ServiceError


@dataclass(frozen=True, slots=True)
class AccessClaims:
    username: str
    session_id: str
    device_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue_access_token(
    *, secret: str, username: str, session_id: str, device_id: str, now: datetime, lifetime: timedelta
) -> str:
    """A signed token valid until ``now + lifetime``."""
    claims = {"sub": username, "sid": session_id, "dev": device_id, "exp": int((now + lifetime).timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, body)}"


def read_access_token(*, secret: str, token: str, now: datetime) -> AccessClaims:
    """The claims of a valid token; raises 401 ``token_invalid`` / ``token_expired``."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature, _sign(secret, body)):
        raise ServiceError(401, "token_invalid", "the access token is not valid")
    try:
        claims = json.loads(_unb64(body))
        expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
        parsed = AccessClaims(str(claims["sub"]), str(claims["sid"]), str(claims["dev"]), expires_at)
    except (ValueError, KeyError, TypeError):
        raise ServiceError(401, "token_invalid", "the access token is not valid") from None
    if parsed.expires_at <= now:
        raise ServiceError(401, "token_expired", "the access token has expired: refresh it")
    return parsed


def new_refresh_token() -> str:
    """An opaque random refresh token (only its hash is stored)."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough here: the token is 256 random bits, not a guessable password."""
    return hashlib.sha256(token.encode()).hexdigest()
