"""``followup-server``: run, migrate, administer, back up and seed the central service."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nurse_app.domain.model import Role, Ward, utc_now
from server_sync.service.auth import service as auth_service
from server_sync.service.config import publishing
from server_sync.service.config import service as config_service
from server_sync.service.core import meta
from server_sync.service.core.backup import backup, restore
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine
from server_sync.service.core.errors import ServiceError
from server_sync.service.core.migrate import upgrade
from server_sync.service.intake.cli import add_commands as add_intake_commands
from server_sync.service.sync.pull import purge_tombstones

ACTOR = "cli"


def _database(args: argparse.Namespace) -> tuple[Database, Settings]:
    settings = Settings(database_url=args.db) if args.db else Settings()
    return Database(make_engine(settings.database_url, settings)), settings


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin when asked, else a generated one (and whether to print it)."""
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()
        if len(password) < 8:
            raise SystemExit("password must be at least 8 characters")
        return password, False
    return auth_service.generate_password(), True


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.db:
        os.environ["FOLLOWUP_DATABASE_URL"] = args.db  # every worker process reads its settings anew
    uvicorn.run(
        "server_sync.service.app:create_app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    database, _ = _database(args)
    revision = upgrade(database.engine)
    with database.transaction() as db_session:
        meta.ensure_defaults(db_session=db_session)
    print(f"database at revision {revision}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    database, settings = _database(args)
    hasher = auth_service.hasher_for(settings)
    with database.transaction() as db_session:
        if args.users_command == "add":
            password, show = _read_password(args)
            auth_service.create_user(
                db_session=db_session,
                hasher=hasher,
                username=args.username,
                display_name=args.display_name or args.username,
                role=Role(args.role),
                wards=args.ward or [],
                password=password,
                actor=ACTOR,
            )
        elif args.users_command == "disable":
            auth_service.disable_user(db_session=db_session, username=args.username, actor=ACTOR)
            show, password = False, ""
        else:
            password, show = _read_password(args)
            auth_service.reset_password(
                db_session=db_session, hasher=hasher, username=args.username, password=password
            )
    print(f"user {args.username}: {args.users_command} done")
    if show:
        print(f"password (shown once): {password}")
    return 0


def cmd_wards(args: argparse.Namespace) -> int:
    database, _ = _database(args)
    with database.transaction() as db_session:
        ward = Ward(args.code, args.name, args.department, args.zone)
        config_service.upsert_ward(db_session=db_session, ward=ward, published_by=ACTOR)
    print(f"ward {args.code} saved")
    return 0


def _publish(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        database, _ = _database(args)
        body = json.loads(Path(args.file).read_text(encoding="utf-8"))
        with database.transaction() as db_session:
            if kind == "plan":
                row = publishing.publish_plan(db_session=db_session, body=body, actor=ACTOR)
            else:
                row = publishing.publish_document(db_session=db_session, kind=kind, body=body, actor=ACTOR)
            print(f"{kind} {row.key} version {row.version} published (config version {row.config_version})")
        return 0

    return run


def cmd_backup(args: argparse.Namespace) -> int:
    database, _ = _database(args)
    kind = backup(database.engine, Path(args.path))
    print(f"backup written to {args.path} ({kind})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    database, _ = _database(args)
    epoch = restore(database.engine, Path(args.path))
    print(f"restored from {args.path}; new server epoch {epoch}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    database, settings = _database(args)
    with database.transaction() as db_session:
        count = purge_tombstones(
            db_session=db_session, now=utc_now(), window_days=settings.tombstone_window_days
        )
    print(f"{count} tombstones purged")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from server_sync.service.demo_seed import seed_demo

    database, settings = _database(args)
    report = seed_demo(
        database=database, settings=settings, patients=args.patients, seed=args.seed, password=args.password
    )
    print(f"{report.users} accounts, {report.records} records imported ({report.rejected} rejected)")
    print(f"demo password for every demo account (shown once): {args.password}")
    return 0


def cmd_notify_worker(args: argparse.Namespace) -> int:
    from server_sync.service.notify.runner import run_forever

    database, _ = _database(args)
    print("notify worker running (Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        run_forever(database, clock=utc_now, idle_seconds=args.idle)
    return 0


def cmd_reports_job(args: argparse.Namespace) -> int:
    from server_sync.service.reports import job

    database, _ = _database(args)
    options = {"wards": args.ward, "months": args.month, "months_back": args.months_back}
    if args.loop:
        print("reports job running (Ctrl+C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            job.run_forever(database, interval_s=args.interval, **options)
        return 0
    result = job.run_pass(database, **options)
    print(f"{len(result.built)} reports built, {len(result.skipped)} skipped, {len(result.failed)} failed")
    for ward, month in result.built:
        print(f"built {ward} {month}")
    for ward, month in result.failed:
        print(f"failed {ward} {month}", file=sys.stderr)
    return 1 if result.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="followup-server", description="随访护士站 central service")
    parser.add_argument("--db", help="database URL (default: FOLLOWUP_DATABASE_URL or ./var/server)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--db", default=argparse.SUPPRESS)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    for name, run, help_text in (
        ("migrate", cmd_migrate, "create or upgrade the schema"),
        ("purge-tombstones", cmd_purge, "drop deletion entries older than the tombstone window"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--db", default=argparse.SUPPRESS)
        sub.set_defaults(run=run)

    users = commands.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default="nurse")
    add.add_argument("--ward", action="append")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true")
    users.add_parser("disable").add_argument("username")
    reset = users.add_parser("reset-password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    for sub in users.choices.values():
        sub.add_argument("--db", default=argparse.SUPPRESS)
        sub.set_defaults(run=cmd_users)

    wards = commands.add_parser("wards", help="manage wards").add_subparsers(
        dest="wards_command", required=True
    )
    ward_add = wards.add_parser("add")
    ward_add.add_argument("code")
    ward_add.add_argument("--name", required=True)
    ward_add.add_argument("--department", required=True)
    ward_add.add_argument("--zone", default="Asia/Shanghai")
    ward_add.add_argument("--db", default=argparse.SUPPRESS)
    ward_add.set_defaults(run=cmd_wards)

    for group, kind in (("scales", "scale"), ("plans", "plan"), ("scripts", "script")):
        publish = commands.add_parser(group).add_subparsers(dest=f"{group}_command", required=True)
        sub = publish.add_parser("publish")
        sub.add_argument("file")
        sub.add_argument("--db", default=argparse.SUPPRESS)
        sub.set_defaults(run=_publish(kind))

    for name, run in (("backup", cmd_backup), ("restore", cmd_restore)):
        sub = commands.add_parser(name, help=f"{name} the whole database")
        sub.add_argument("path")
        sub.add_argument("--db", default=argparse.SUPPRESS)
        sub.set_defaults(run=run)

    seed = commands.add_parser("seed-demo", help="fill the service with the demo hospital")
    seed.add_argument("--patients", type=int, default=500)
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--password", default="demo1234")
    seed.add_argument("--db", default=argparse.SUPPRESS)
    seed.set_defaults(run=cmd_seed_demo)

    worker = commands.add_parser("notify-worker", help="escalate alerts and deliver notifications (loop)")
    worker.add_argument("--idle", type=float, default=1.0, help="seconds to wait when there is no work")
    worker.add_argument("--db", default=argparse.SUPPRESS)
    worker.set_defaults(run=cmd_notify_worker)

    reports = commands.add_parser("reports-job", help="build the monthly ward reports of ended months (once)")
    reports.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
    reports.add_argument("--interval", type=float, default=3600.0, help="seconds between passes with --loop")
    reports.add_argument("--ward", action="append", help="only this ward (repeatable)")
    reports.add_argument("--month", action="append", help="this month YYYY-MM (default: the last ended)")
    reports.add_argument("--months-back", type=int, default=1, help="how many ended months to cover")
    reports.add_argument("--db", default=argparse.SUPPRESS)
    reports.set_defaults(run=cmd_reports_job)

    add_intake_commands(commands, _database)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``followup-server`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
