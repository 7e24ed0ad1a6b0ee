"""Administration of the follow-up service from the desk (issue "Hospital intake", admin part).

Public API::

    window = AdminWindow(auth_provider, role, engine, now)   # tabs for the role
    window.show_page(PLANS)                                   # plans | review | users | wards | dead_letters
    pages_for(role)                                           # which pages a role may open

Pages: ``plan_editor`` (+ ``plan_tables``), ``review_queue``, ``users_wards``,
``dead_letters``; ``common`` holds the network helper (``call_service``: off the
GUI thread, errors in words). All HTTP goes through ``server_sync.client.admin``.
"""

from __future__ import annotations

from ui.admin.window import (
    DEAD_LETTERS,
    PAGE_TITLES,
    PLANS,
    REVIEW,
    USERS,
    WARDS,
    AdminWindow,
    pages_for,
)

__all__ = ["DEAD_LETTERS", "PAGE_TITLES", "PLANS", "REVIEW", "USERS", "WARDS", "AdminWindow", "pages_for"]
