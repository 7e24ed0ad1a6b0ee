"""Administration and intake-review calls of the central service, over the signed-in session.

Plain functions over an ``Authenticator`` (``SyncClient.auth``): they reuse its
token refresh, retries and error mapping (``errors``), and return decoded JSON.
Run them off the GUI thread; every refusal raises a ``SyncError`` subclass whose
message is the service's own words.

Lists of wards, users and plans come from the configuration feed (``GET /config``),
the one place the service publishes them; only the latest version of each is kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from server_sync.client.auth import Authenticator


def _segment(value: str) -> str:
    return quote(value, safe="")


# --- configuration documents ------------------------------------------------------------------------


def latest_documents(auth: Authenticator, kind: str) -> list[dict[str, Any]]:
    """The newest version of every ``kind`` document ('ward', 'user', 'plan'…), sorted by key.

    Each item is the document's body plus ``_version`` (its version number).
    """
    body = auth.request("GET", "/config", params={"since": 0}).body
    newest: dict[str, dict[str, Any]] = {}
    for document in body.get("documents", []):
        if document.get("kind") != kind:
            continue
        key = document["key"]
        if key not in newest or document["version"] > newest[key]["_version"]:
            newest[key] = {**document["body"], "_version": document["version"]}
    return [newest[key] for key in sorted(newest)]


def list_wards(auth: Authenticator) -> list[dict[str, Any]]:
    return latest_documents(auth, "ward")


def list_users(auth: Authenticator) -> list[dict[str, Any]]:
    return latest_documents(auth, "user")


def list_plans(auth: Authenticator) -> list[dict[str, Any]]:
    return latest_documents(auth, "plan")


# --- wards and users -------------------------------------------------------------------------------


def add_ward(
    auth: Authenticator, *, code: str, name: str, department: str, zone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    """Create (or update) a ward."""
    body = {"code": code, "name": name, "department": department, "zone": zone}
    return auth.request("POST", "/admin/wards", body=body, retry=False).body


def add_user(
    auth: Authenticator,
    *,
    username: str,
    display_name: str,
    role: str,
    wards: list[str],
    password: str,
) -> dict[str, Any]:
    """Create an account with its role and ward membership."""
    body = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "wards": list(wards),
        "password": password,
    }
    return auth.request("POST", "/admin/users", body=body, retry=False).body


def disable_user(auth: Authenticator, username: str) -> None:
    """Disable an account; its sessions end at once."""
    auth.request("POST", f"/admin/users/{_segment(username)}/disable", retry=False)


def reset_password(auth: Authenticator, username: str, password: str) -> None:
    """Set a new password (clears the lockout, ends the user's sessions)."""
    auth.request(
        "POST", f"/admin/users/{_segment(username)}/password", body={"password": password}, retry=False
    )


# --- plans -----------------------------------------------------------------------------------------


def publish_plan(auth: Authenticator, body: dict[str, Any]) -> dict[str, Any]:
    """Publish a plan exactly as given (its ``version`` must be new, or equal with the same body)."""
    return auth.request("POST", "/admin/plans", body=body, retry=False).body


def publish_plan_as_new_version(auth: Authenticator, body: dict[str, Any]) -> dict[str, Any]:
    """Publish ``body`` as the next version of its plan code (published versions never change)."""
    existing = [p for p in list_plans(auth) if p.get("code") == body.get("code")]
    version = max((int(p["_version"]) for p in existing), default=0) + 1
    return publish_plan(auth, {**body, "version": version})


# --- intake review queue ----------------------------------------------------------------------------


def review_queue(auth: Authenticator, ward: str | None = None) -> dict[str, Any]:
    """Open enrollment candidates and uncertain patient matches of the caller's wards."""
    params = {"ward": ward} if ward else None
    return auth.request("GET", "/intake/review", params=params).body


def decide_enrollment(auth: Authenticator, match_id: str, *, accept: bool) -> dict[str, Any]:
    """Accept (enroll) or reject an enrollment candidate."""
    decision = "accept" if accept else "reject"
    return auth.request(
        "POST", f"/intake/review/enrollments/{_segment(match_id)}/{decision}", retry=False
    ).body


def decide_patients(auth: Authenticator, review_id: str, *, same: bool) -> dict[str, Any]:
    """Merge two uncertain patient records (same person) or mark them distinct (admin)."""
    decision = "merge" if same else "distinct"
    return auth.request("POST", f"/intake/review/patients/{_segment(review_id)}/{decision}", retry=False).body


# --- dead letters ------------------------------------------------------------------------------------


def dead_letters(auth: Authenticator, status: str | None = "open") -> list[dict[str, Any]]:
    """Inputs the service could not apply (newest first); ``status=None`` lists every one."""
    return auth.request("GET", "/intake/dead-letters", params={"status": status or ""}).body


def dead_letter(auth: Authenticator, dead_letter_id: str) -> dict[str, Any]:
    """One dead letter with its raw message (``raw``) and reason."""
    return auth.request("GET", f"/intake/dead-letters/{_segment(dead_letter_id)}").body


def replay_dead_letter(auth: Authenticator, dead_letter_id: str) -> dict[str, Any]:
    """Apply a dead letter again; ``status`` is 'replayed' on success, else 'open' with a reason."""
    return auth.request("POST", f"/intake/dead-letters/{_segment(dead_letter_id)}/replay", retry=False).body
