"""``nurse-station``: the desktop's entry point — the windows (``desk``, ``designer``) plus every
command of ``nurse_app.cli``. Kept in ``ui`` so imports run one way (ui → nurse_app); Qt is only
imported when a window is opened, so the text commands start fast on a PC without a display.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nurse_app import cli as core_cli
from nurse_app.paths import default_cache_path
from ui.desk.online_cli import add_sync_command


def build_parser() -> argparse.ArgumentParser:
    parser = core_cli.build_parser()
    commands = core_cli.subcommands(parser)

    desk = commands.add_parser("desk", help="open the nurse's desk (the desktop app)")
    # SUPPRESS: "desk --cache X" and "--cache X desk" both work, and neither erases the other.
    desk.add_argument("--cache", type=Path, default=argparse.SUPPRESS, help="encrypted cache file")
    desk.add_argument("--user", default=None, help="username to pre-fill on the login screen")
    desk.add_argument(
        "--lang", choices=["zh_CN", "en"], default=None, help="language (default: saved setting)"
    )

    desk.add_argument("--server", default=None, help="central service URL (saved into the settings)")
    desk.add_argument("--ca-bundle", type=Path, default=None, help="hospital CA bundle (saved too)")

    add_sync_command(commands)

    designer = commands.add_parser("designer", help="open the scale designer (administrators)")
    designer.add_argument("file", nargs="?", type=Path, default=None, help="a scale in our JSON format")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "desk":
        from ui.app import run_desk

        return run_desk(args, args.cache or default_cache_path())
    if args.command == "sync":
        from ui.desk.online_cli import run_sync

        return run_sync(args, args.cache or default_cache_path())
    if args.command == "designer":
        from ui.designer.app import run_designer

        return run_designer(args.file)
    return core_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
