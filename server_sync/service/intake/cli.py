"""``followup-server`` intake sub-commands: hl7-listen, hl7-watch, import-hl7, import-discharges,
dead-letters, intake-token. Registered by ``server_sync.service.cli``."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from nurse_app.domain.model import utc_now
from server_sync.service.core.db import Database
from server_sync.service.intake import auth, dead_letters, hl7_files, mllp, service, tabular
from server_sync.service.intake.config import get_intake_settings
from server_sync.service.intake.events import IntakeError

DatabaseFactory = Callable[[argparse.Namespace], tuple[Database, object]]


def add_commands(commands: argparse._SubParsersAction, database: DatabaseFactory) -> None:
    """Add the intake sub-commands; ``database(args)`` opens the configured database."""

    def sub(
        name: str, help_text: str, run: Callable[[argparse.Namespace, Database], int]
    ) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("--db", default=argparse.SUPPRESS)
        parser.set_defaults(run=lambda args: run(args, database(args)[0]))
        return parser

    listen = sub("hl7-listen", "receive HL7 v2 ADT over MLLP and answer with ACKs", _listen)
    listen.add_argument("--host", default="127.0.0.1")
    listen.add_argument("--port", type=int, default=2575)
    sub(
        "hl7-watch", "apply HL7 files dropped into a folder (moved to done/ or failed/)", _watch
    ).add_argument("folder")
    sub("import-hl7", "apply one HL7 message or FHS/BHS batch file", _import_hl7).add_argument("file")
    sub(
        "import-discharges",
        "apply a CSV or .xlsx discharge list (template: docs/intake.md)",
        _import_discharges,
    ).add_argument("file")

    letters = commands.add_parser("dead-letters", help="inputs that could not be applied").add_subparsers(
        dest="dead_letters_command", required=True
    )
    for name, run in (("list", _letters_list), ("show", _letters_show), ("replay", _letters_replay)):
        parser = letters.add_parser(name)
        if name == "list":
            parser.add_argument("--all", action="store_true", help="include replayed ones")
        else:
            parser.add_argument("id")
        parser.add_argument("--db", default=argparse.SUPPRESS)
        parser.set_defaults(run=lambda args, run=run: run(args, database(args)[0]))

    tokens = commands.add_parser("intake-token", help="credentials for hospital systems").add_subparsers(
        dest="intake_token_command", required=True
    )
    for name in ("create", "revoke"):
        parser = tokens.add_parser(name)
        parser.add_argument("name")
        parser.add_argument("--db", default=argparse.SUPPRESS)
        parser.set_defaults(run=lambda args: _token(args, database(args)[0]))


def _listen(args: argparse.Namespace, database: Database) -> int:
    print(f"MLLP listening on {args.host}:{args.port} (Ctrl+C stops)", flush=True)
    mllp.serve(database, get_intake_settings(), args.host, args.port)
    return 0


def _watch(args: argparse.Namespace, database: Database) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    print(f"watching {folder} (Ctrl+C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        hl7_files.watch(
            database=database, folder=folder, settings=get_intake_settings(), should_stop=lambda: bool(stop)
        )
    return 0


def _import_hl7(args: argparse.Namespace, database: Database) -> int:
    report = hl7_files.import_file(database=database, path=Path(args.file), settings=get_intake_settings())
    for outcome in report.outcomes:
        note = f" dead letter {outcome.dead_letter_id}" if outcome.dead_letter_id else ""
        duplicate = " (duplicate)" if outcome.duplicate else ""
        print(f"{outcome.control_id or '(no id)'}: {outcome.code}{duplicate}{note}")
    print(report.summary())
    return 0 if report.ok else 1


def _import_discharges(args: argparse.Namespace, database: Database) -> int:
    path = Path(args.file)
    try:
        report = tabular.import_discharges(
            database=database, data=path.read_bytes(), filename=path.name, settings=get_intake_settings()
        )
    except IntakeError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    for problem in report.problems:
        letter = problem.dead_letter_id[:8]
        print(f"row {problem.row}, {problem.column}: {problem.message} (dead letter {letter})")
    print(
        f"{report.rows} rows: {report.applied} applied, {len(report.problems)} rejected; "
        f"{report.enrolled} enrolled, {report.candidates} for review"
    )
    return 0 if not report.problems else 1


def _letters_list(args: argparse.Namespace, database: Database) -> int:
    with database.session() as db_session:
        rows = dead_letters.listing(db_session=db_session, status=None if args.all else "open")
        for row in rows:
            when = f"{row.received_at:%Y-%m-%d %H:%M:%S}"
            print(f"{row.id}  {when}  {row.source:<5} {row.status:<8} {row.size:>8} B  {row.reason[:80]}")
    print(f"{len(rows)} dead letter(s)")
    return 0


def _letters_show(args: argparse.Namespace, database: Database) -> int:
    with database.session() as db_session:
        item = dead_letters.summary(
            dead_letters.get(db_session=db_session, dead_letter_id=args.id), with_raw=True
        )
    raw = item.pop("raw")
    print(json.dumps(item, ensure_ascii=False, indent=2))
    print("--- raw ---")
    print(raw.replace("\r", "\n") if len(raw) < 20000 else raw[:20000] + f"\n… ({item['size']} bytes)")
    return 0


def _letters_replay(args: argparse.Namespace, database: Database) -> int:
    result = service.replay(database=database, dead_letter_id=args.id, settings=get_intake_settings())
    print(
        f"dead letter {result['id']}: {result['status']}"
        + (f" — {result['reason']}" if result["reason"] else "")
    )
    return 0 if result["status"] == "replayed" else 1


def _token(args: argparse.Namespace, database: Database) -> int:
    with database.transaction() as db_session:
        if args.intake_token_command == "create":
            token = auth.create_token(db_session=db_session, name=args.name, now=utc_now())
            print(f"intake token for {args.name} (shown once): {token}")
        else:
            count = auth.revoke_token(db_session=db_session, name=args.name, now=utc_now())
            print(f"{count} token(s) of {args.name} revoked")
    return 0
