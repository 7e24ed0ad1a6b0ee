"""The Qt-free half of going online: what a successful online login leaves in the cache, scales from config.

Shared by the desk (``ui.desk.online``) and the text command ``nurse-station sync``
(``ui.desk.online_cli``), which must start without Qt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

from nurse_app.desk.scales import install_configured_scales
from nurse_app.domain.forms.parse import from_dict
from nurse_app.domain.forms.problems import FormDefinitionError
from nurse_app.domain.model import Role, User, utc_now
from nurse_app.security.offline_login import DEFAULT_OFFLINE_VALIDITY, set_offline_verifier
from nurse_app.store.repository import CacheRepository
from server_sync.client import SyncClient
from server_sync.client import state as sync_state
from server_sync.client.config import pull_config

log = logging.getLogger(__name__)


def login_online(
    client: SyncClient, username: str, password: str, clock: Callable[[], datetime] = utc_now
) -> User:
    """Log in on the service, fetch wards/users, keep the user and a 72 h offline verifier in the cache.

    Raises the client's ``SyncError`` subclasses (``LoginRefused``, ``ServiceUnavailable``…).
    """
    info = client.login(username, password).user
    # Wards and users arrive as configuration; the user's row must exist before its verifier.
    pull_config(client.auth, client.sessions)
    with client.sessions() as session, session.begin():
        repo = CacheRepository(session)
        known = tuple(code for code in info.wards if repo.get_ward(code) is not None)
        if repo.get_user(info.username) is None:  # not in the configuration feed: what the login said
            repo.save_user(User(info.username, info.display_name, Role(info.role), known))
            session.flush()
        set_offline_verifier(session, info.username, password, clock() + DEFAULT_OFFLINE_VALIDITY)
    return User(info.username, info.display_name, Role(info.role), known)


def install_scales_from_cache(client: SyncClient) -> int:
    """Install every scale version pulled as configuration (none: the bundled scales serve)."""
    with client.sessions() as session:
        documents = sync_state.with_prefix(session, f"{sync_state.CONFIG_DOC}scale:")
    definitions = []
    for key, body in documents.items():
        try:
            definitions.append(from_dict(json.loads(body)))
        except (FormDefinitionError, ValueError, TypeError, KeyError) as error:
            log.warning("configured scale %s not usable: %s", key, error)
    install_configured_scales(definitions)
    return len(definitions)
