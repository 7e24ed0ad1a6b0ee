"""``followup-server`` commands on a scratch SQLite database."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from server_sync.service.auth.models import UserRow
from server_sync.service.cli import main
from server_sync.service.config.models import ConfigDocumentRow
from server_sync.service.core import meta
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine


def test_cli_migrate_wards_users_publish_backup_restore(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("FOLLOWUP_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("FOLLOWUP_ARGON2_TIME_COST", "1")
    assert main(["--db", url, "migrate"]) == 0
    assert (
        main(["wards", "add", "CARD1", "--name", "心内科一病区", "--department", "心内科", "--db", url]) == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        main(
            [
                "users",
                "add",
                "N1001",
                "--role",
                "nurse",
                "--ward",
                "CARD1",
                "--display-name",
                "李娜",
                "--password-stdin",
                "--db",
                url,
            ]
        )
        == 0
    )
    assert main(["users", "reset-password", "N1001", "--db", url]) == 0
    assert "password (shown once)" in capsys.readouterr().out
    scale = tmp_path / "phq9.json"
    scale.write_text(json.dumps({"code": "PHQ9", "title": "PHQ-9", "items": []}), encoding="utf-8")
    assert main(["scales", "publish", str(scale), "--db", url]) == 0
    assert main(["users", "disable", "N1001", "--db", url]) == 0
    database = Database(make_engine(url))
    with database.session() as db_session:
        assert db_session.get(UserRow, "N1001").active is False
        kinds = set(db_session.scalars(select(ConfigDocumentRow.kind)))
        epoch = meta.server_epoch(db_session=db_session)
    assert kinds == {"ward", "user", "scale"}
    backup_path = tmp_path / "backup.db"
    assert main(["backup", str(backup_path), "--db", url]) == 0
    assert main(["restore", str(backup_path), "--db", url]) == 0
    with database.session() as db_session:
        assert meta.server_epoch(db_session=db_session) != epoch
    assert main(["users", "disable", "nobody", "--db", url]) == 2
    database.dispose()


def test_cli_seed_demo_creates_accounts_and_records(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/demo.db"
    monkeypatch.setenv("FOLLOWUP_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("FOLLOWUP_ARGON2_TIME_COST", "1")
    assert main(["--db", url, "migrate"]) == 0
    assert main(["seed-demo", "--patients", "20", "--seed", "5", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "(0 rejected)" in out and "demo1234" in out
    database = Database(make_engine(url))
    with database.session() as db_session:
        assert db_session.get(UserRow, "demo.nurse") is not None
    database.dispose()


def test_sqlite_connections_use_the_configured_page_cache(tmp_path):
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    engine = make_engine(url, Settings(database_url=url, sqlite_cache_mib=48))
    with engine.connect() as connection:
        # Negative cache_size: KiB. SQLite's own default (-2000) would thrash on a hospital's indexes.
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -48 * 1024
        # FULL: a committed push survives a power cut.
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    engine.dispose()
