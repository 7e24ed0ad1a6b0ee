"""The central service's first schema: accounts, config, records, change feed, sync, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa
from alembic import op

from server_sync.service.core.types import JsonText, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RECORD_TABLES = {
    "patients": [("mrn", sa.String(64), False, True)],
    "encounters": [("patient_id", sa.String(64), False, True)],
    "enrollments": [("patient_id", sa.String(64), False, True)],
    "tasks": [
        ("patient_id", sa.String(64), False, True),
        ("status", sa.String(16), False, False),
        ("completed_by", sa.String(64), True, False),
    ],
    "call_attempts": [("task_id", sa.String(64), False, True)],
    "responses": [
        ("task_id", sa.String(64), False, True),
        ("submitted_by", sa.String(64), False, False),
        ("needs_review", sa.Boolean(), False, False),
    ],
    "alerts": [("task_id", sa.String(64), False, True)],
}


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def _record_table(name: str, extra: list) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", JsonText(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        *(sa.Column(column, kind, nullable=nullable) for column, kind, nullable, _ in extra),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
    )
    _index(name, "ward_code")
    for column, _kind, _nullable, indexed in extra:
        if indexed:
            _index(name, column)


def upgrade() -> None:
    op.create_table(
        "server_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_server_meta"),
    )
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_counter"),
    )
    op.create_table(
        "wards",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("department", sa.String(128), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("calling_hours", JsonText(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_wards"),
    )
    op.create_table(
        "config_documents",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.BigInteger(), nullable=False),
        sa.Column("body", JsonText(), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "version", name="pk_config_documents"),
    )
    _index("config_documents", "config_version", unique=True)
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_users"),
    )
    op.create_table(
        "user_wards",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_user_wards_username_users"),
        sa.ForeignKeyConstraint(["ward_code"], ["wards.code"], name="fk_user_wards_ward_code_wards"),
        sa.PrimaryKeyConstraint("username", "ward_code", name="pk_user_wards"),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("last_username", sa.String(64), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name="pk_devices"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("refresh_hash", sa.String(64), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("refresh_expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_auth_sessions_username_users"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.device_id"], name="fk_auth_sessions_device_id_devices"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.UniqueConstraint("refresh_hash", name="uq_auth_sessions_refresh_hash"),
    )
    _index("auth_sessions", "username")
    _index("auth_sessions", "previous_hash")
    for name, extra in RECORD_TABLES.items():
        _record_table(name, extra)
    op.create_table(
        "patient_wards",
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_patient_wards_patient_id_patients"),
        sa.ForeignKeyConstraint(["ward_code"], ["wards.code"], name="fk_patient_wards_ward_code_wards"),
        sa.PrimaryKeyConstraint("patient_id", "ward_code", name="pk_patient_wards"),
    )
    op.create_table(
        "record_history",
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", JsonText(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", "version", name="pk_record_history"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(255), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    _index("audit_events", "actor")
    _index("audit_events", "at")
    op.create_index("ix_audit_events_entity", "audit_events", ["entity", "entity_id"])
    op.create_table(
        "changes",
        sa.Column("change_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("ward_code", sa.String(32), nullable=True),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("payload", JsonText(), nullable=True),
        sa.Column("server_version", sa.Integer(), nullable=True),
        sa.Column("flags", sa.String(64), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("change_no", name="pk_changes"),
    )
    _index("changes", "ward_code", "change_no")
    _index("changes", "entity", "entity_id")
    op.create_table(
        "sync_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("last_applied_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_username", sa.String(64), nullable=False),
        sa.Column("last_device_id", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_sync_clients"),
    )
    op.create_table(
        "sync_issues",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("payload", JsonText(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_issues"),
    )
    _index("sync_issues", "username")
    _index("sync_issues", "client_id", "created_at")
    _seed()


def _seed() -> None:
    op.bulk_insert(sa.table("change_counter", sa.column("id"), sa.column("value")), [{"id": 1, "value": 0}])
    meta = sa.table("server_meta", sa.column("key"), sa.column("value"))
    op.bulk_insert(
        meta,
        [
            {"key": "server_epoch", "value": str(uuid.uuid4())},
            {"key": "token_secret", "value": secrets.token_urlsafe(48)},
            {"key": "min_valid_cursor", "value": "0"},
        ],
    )


def downgrade() -> None:
    for table in (
        "sync_issues",
        "sync_clients",
        "changes",
        "audit_events",
        "record_history",
        "patient_wards",
        *reversed(RECORD_TABLES),
        "auth_sessions",
        "devices",
        "user_wards",
        "users",
        "config_documents",
        "wards",
        "change_counter",
        "server_meta",
    ):
        op.drop_table(table)
