"""``nurse-station``: the desktop's command line (demo data, worklist, rates).

Each sub-command opens the encrypted cache through the same code the desktop
uses; errors a user can fix (no keyring, wrong key, bad dates) print one clear
line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from nurse_app.commands.report import add_report_parser
from nurse_app.commands.scales import add_scales_parser
from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.paths import default_cache_path
from nurse_app.store.errors import CacheError

EXIT_USAGE = 2


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO date-time, e.g. 2026-11-28T09:00+08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(DEFAULT_ZONE))
    return moment.astimezone(timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nurse-station", description="随访护士站 Follow-up Nurse Station")
    parser.add_argument(
        "--cache", type=Path, default=None, help="encrypted cache file (default: per-user data folder)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo-data", help="build a realistic demo hospital in the cache")
    demo.add_argument("--patients", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--now", type=_parse_moment, default=None, help="pretend the current time is this")
    demo.add_argument("--force", action="store_true", help="replace an existing cache file")
    demo.add_argument("--password", default="demo1234", help="offline-login password of the demo accounts")

    work = commands.add_parser("worklist", help="print a ward's follow-up worklist")
    work.add_argument("--ward", required=True, action="append", help="ward code (repeatable)")
    work.add_argument("--nurse", default=None, help="only tasks assigned to this username")
    work.add_argument("--plan", default=None, help="only this plan code")
    work.add_argument("--search", default=None, help="name, MRN or last 4 phone digits")
    work.add_argument("--tab", default="due_now", choices=["due_now", "overdue", "upcoming", "done_today"])
    work.add_argument("--limit", type=int, default=200)
    work.add_argument("--now", type=_parse_moment, default=None)
    work.add_argument("--json", action="store_true", help="stable JSON output (see README)")

    stats = commands.add_parser("stats", help="miss, on-time, reach and satisfaction rates")
    stats.add_argument("--from", dest="start", type=_parse_day, required=True, help="first day (local)")
    stats.add_argument("--to", dest="end", type=_parse_day, required=True, help="day after the last (local)")
    stats.add_argument("--by", choices=["ward", "nurse", "plan", "month"], default="ward")
    stats.add_argument("--format", choices=["table", "json", "csv"], default="table")
    stats.add_argument("--now", type=_parse_moment, default=None)

    add_scales_parser(commands)
    add_report_parser(commands, _parse_moment)
    return parser


def subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """The sub-command registry of ``parser``, so the desktop can add its own commands to it."""
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line without the desktop windows (``ui.cli.main`` adds ``desk`` and ``designer``)."""
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run a parsed non-GUI command; user-fixable errors print one line and return 2."""
    cache_path = args.cache or default_cache_path()
    try:
        if args.command == "demo-data":
            from nurse_app.commands.demo_data import run_demo_data

            return run_demo_data(args, cache_path)
        if args.command == "worklist":
            from nurse_app.commands.worklist import run_worklist

            return run_worklist(args, cache_path)
        if args.command == "stats":
            from nurse_app.commands.stats import run_stats

            return run_stats(args, cache_path)
        if args.command == "report":
            from nurse_app.commands.report import run_report

            return run_report(args, cache_path)
        if args.command == "scales":
            from nurse_app.commands.scales import run_scales

            return run_scales(args, cache_path)
    except (CacheError, DomainError) as error:
        print(f"nurse-station: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stderr.close()
        return 0
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
