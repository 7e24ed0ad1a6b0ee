"""Alembic migrations of the local cache; run them through ``nurse_app.store.migrate``."""
