"""Revisions of the local cache schema (alembic skips this file)."""
