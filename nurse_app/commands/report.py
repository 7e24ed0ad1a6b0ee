"""``nurse-station report``: a ward manager's monthly report as PDF, CSV or Excel.

Everything a user can get wrong — the output format, a folder that does not
exist or cannot be written, a bad month, an unknown ward — is reported before
the figures are computed. The command line has no logged-in user, so it may
cover any ward of the cache; the dashboard calls ``check_scope`` with its user.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from nurse_app.domain.errors import DomainError
from nurse_app.domain.model import DEFAULT_ZONE

__all__ = ["FORMATS", "add_report_parser", "check_output", "run_report"]

FORMATS = (".pdf", ".csv", ".xlsx")


def add_report_parser(commands: argparse._SubParsersAction, parse_moment: object) -> None:  # type: ignore[type-arg]
    report = commands.add_parser("report", help="monthly ward report (PDF, CSV or Excel)")
    report.add_argument("--ward", required=True, action="append", help="ward code (repeatable)")
    report.add_argument("--month", required=True, help="local calendar month, YYYY-MM")
    report.add_argument("--out", required=True, type=Path, help="output file: .pdf, .csv or .xlsx")
    report.add_argument("--lang", choices=["zh_CN", "en"], default="zh_CN")
    report.add_argument("--hospital", default=None, help="hospital name on the report (default 示范医院)")
    report.add_argument("--now", type=parse_moment, default=None, help="pretend the current time is this")


def check_output(path: Path) -> str:
    """The format of ``path`` if it can be written; raises DomainError saying why not."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DomainError(f"--out {path}: unknown report format '{suffix}'; use one of {', '.join(FORMATS)}")
    if path.is_dir():
        raise DomainError(f"--out {path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DomainError(f"--out {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DomainError(f"--out {path}: no permission to write there")
    return suffix


def _progress(step: int, total: int, label: str) -> None:
    print(f"\r  [{step}/{total}] {label:<45}", end="", file=sys.stderr, flush=True)


def run_report(args: argparse.Namespace, cache_path: Path) -> int:
    # Imported here: building the parser (every command) should not load the report stack.
    from nurse_app.reports.data import build_ward_month
    from nurse_app.reports.scope import check_scope, check_wards_exist, month_period
    from nurse_app.store.engine import open_cache_for

    suffix = check_output(args.out)
    zone = DEFAULT_ZONE
    month_period(args.month, zone)  # a bad month fails here, before the cache is opened
    wards = check_scope(None, args.ward)
    as_of = args.now or datetime.now(timezone.utc)
    engine = open_cache_for(cache_path)
    try:
        with engine.connect() as conn:
            check_wards_exist(conn, wards)
            figures = build_ward_month(conn, wards, args.month, as_of=as_of, zone=zone, progress=_progress)
    finally:
        engine.dispose()
    print(file=sys.stderr)
    from nurse_app.reports.pdf import write_pdf
    from nurse_app.reports.tables import write_csv, write_xlsx

    try:
        if suffix == ".pdf":
            write_pdf(figures, args.out, lang=args.lang, hospital=args.hospital)
        elif suffix == ".csv":
            write_csv(figures, args.out, lang=args.lang)
        else:
            write_xlsx(figures, args.out, lang=args.lang)
    except OSError as error:  # disk full, file locked by Excel, …: one clear line, no traceback
        raise DomainError(f"cannot write {args.out}: {error.strerror or error}") from error
    note = "" if figures.has_data else " (本期无数据 / no data for this period)"
    print(f"report written to {args.out}{note}")
    return 0
