"""``nurse-station demo-data``: build the demo hospital in the encrypted cache."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nurse_app.demo.generate import DEMO_ADMIN, DEMO_MANAGER, DEMO_NURSE
from nurse_app.demo.load import load_demo
from nurse_app.domain.errors import DomainError
from nurse_app.security.offline_login import set_offline_verifier
from nurse_app.store.engine import open_cache_for, session_factory

DEMO_PASSWORD = "demo1234"
# Longer than the 72 h after an online login: a demo PC never logs in online, and a demo
# cache that locks everyone out after three days helps nobody.
DEMO_OFFLINE_VALIDITY = timedelta(days=30)


def _print_progress(done: int, total: int) -> None:
    print(f"\r  {done}/{total} patients", end="", file=sys.stderr, flush=True)


def run_demo_data(args: argparse.Namespace, cache_path: Path) -> int:
    if args.patients < 1:
        raise DomainError(f"--patients must be at least 1, got {args.patients}")
    if cache_path.exists():
        if not args.force:
            raise DomainError(
                f"{cache_path} already exists and may hold unsynced work; "
                "use --force to replace it with demo data"
            )
        # The key stays in the keyring and is reused for the new file.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cache_path}{suffix}").unlink(missing_ok=True)
    now = args.now or datetime.now(timezone.utc)
    started = time.perf_counter()
    engine = open_cache_for(cache_path)
    try:
        counts = load_demo(engine, patients=args.patients, seed=args.seed, now=now, progress=_print_progress)
        password = getattr(args, "password", DEMO_PASSWORD)
        valid_until = max(now, datetime.now(timezone.utc)) + DEMO_OFFLINE_VALIDITY
        with session_factory(engine).begin() as session:
            for username in (DEMO_NURSE, DEMO_MANAGER, DEMO_ADMIN):
                set_offline_verifier(session, username, password, valid_until)
    finally:
        engine.dispose()
    print(file=sys.stderr)
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    print(f"demo hospital written to {cache_path} in {time.perf_counter() - started:.1f} s: {summary}")
    return 0
