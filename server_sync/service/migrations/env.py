"""Alembic environment of the central service.

``server_sync.service.core.migrate`` passes an open connection in
``config.attributes["connection"]``; offline (SQL script) mode is not offered.
"""

from __future__ import annotations

from alembic import context

from server_sync.service.core.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("use `followup-server migrate --db URL` (server_sync.service.core.migrate)")
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
