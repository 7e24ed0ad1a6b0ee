"""Hot configuration: wards, users and plans into the cache; scales, scripts, thresholds as JSON.

Documents arrive from ``GET /config?since=`` in config-version order and are
saved with the new position in one transaction. Wards are written before the
rest of a page because users name their wards (foreign keys). Scales, call
scripts and thresholds have no cache table yet: they are kept in ``sync_state``
as ``config:<kind>:<key>:<version>`` (JSON body), read with ``config_document``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from nurse_app.domain.codec import PayloadError, dataclass_from_payload
from nurse_app.domain.model import Plan, Role, User, Ward
from nurse_app.store.repository import CacheRepository
from server_sync.client import state
from server_sync.client.auth import Authenticator

log = logging.getLogger(__name__)

_FIRST = {"ward": 0, "user": 1, "plan": 2}


def pull_config(auth: Authenticator, sessions: Callable[[], Session]) -> tuple[int, str]:
    """Fetch and store every document published since the last call; returns (count, server epoch)."""
    with sessions() as session:
        since = state.get_int(session, state.CONFIG_VERSION)
    body = auth.request("GET", "/config", params={"since": since}).body
    documents = sorted(body["documents"], key=lambda d: (_FIRST.get(d["kind"], 3), d["config_version"]))
    with sessions() as session, session.begin():
        repo = CacheRepository(session)
        for document in documents:
            _save(repo, session, document)
        state.set_value(session, state.CONFIG_VERSION, body["config_version"])
    return len(documents), body["server_epoch"]


def _save(repo: CacheRepository, session: Session, document: dict[str, Any]) -> None:
    kind, body = document["kind"], document["body"]
    try:
        if kind == "ward":
            repo.save_ward(dataclass_from_payload(Ward, body))
        elif kind == "user":
            wards = tuple(code for code in body.get("wards", ()) if repo.get_ward(code) is not None)
            repo.save_user(
                User(
                    body["username"],
                    body["display_name"],
                    Role(body["role"]),
                    wards,
                    body.get("active", True),
                )
            )
        elif kind == "plan":
            repo.save_plan(dataclass_from_payload(Plan, body))
        else:
            key = f"{state.CONFIG_DOC}{kind}:{document['key']}:{document['version']}"
            state.set_json(session, key, body)
    except (PayloadError, KeyError, ValueError) as error:
        # A document this app version cannot read must not stop the others (a newer service).
        log.warning(
            "configuration %s %s v%s not understood: %s",
            kind,
            document.get("key"),
            document.get("version"),
            error,
        )


def config_document(
    session: Session, kind: str, key: str, version: int | None = None
) -> dict[str, Any] | None:
    """A scale / script / thresholds document from the cache: ``version`` or the newest one."""
    if version is not None:
        return state.get_json(session, f"{state.CONFIG_DOC}{kind}:{key}:{version}")
    found = state.with_prefix(session, f"{state.CONFIG_DOC}{kind}:{key}:")
    if not found:
        return None
    newest = max(found, key=lambda k: int(k.rsplit(":", 1)[1]))
    return json.loads(found[newest])
