"""``nurse-station sync``: log in on the central service and sync this PC's cache, without a window.

For scripts and headless machines (``scripts/run.sh`` without a display): the
same online login as the desk (user, wards and a 72 h offline verifier into the
cache), then syncs until nothing is left to pull. No Qt is imported.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

EXIT_FAILED = 2


def add_sync_command(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser("sync", help="log in on the central service and sync this PC's cache")
    sync.add_argument("--server", required=True, help="service URL, e.g. https://followup.hospital.local")
    sync.add_argument("--ca-bundle", type=Path, default=None, help="hospital CA bundle (PEM) for TLS")
    sync.add_argument("--user", required=True, help="username")
    sync.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


def run_sync(args: argparse.Namespace, cache_path: Path) -> int:
    if not args.password_stdin:
        print("nurse-station sync: give the password on stdin (--password-stdin)", file=sys.stderr)
        return EXIT_FAILED
    # Imported here: the other text commands must not pay for the HTTP stack at start.
    from nurse_app.store.engine import open_cache_for
    from server_sync.client import LoginRefused, SyncClient, SyncError
    from ui.desk.online_session import login_online

    password = sys.stdin.readline().rstrip("\r\n")
    engine = open_cache_for(cache_path)
    client = SyncClient(
        engine,
        args.server,
        ca_bundle=str(args.ca_bundle) if args.ca_bundle else None,
        device_name=socket.gethostname(),
    )
    try:
        user = login_online(client, args.user, password)
        print(f"logged in as {user.username} ({user.display_name}); wards: {', '.join(user.wards) or '-'}")
        report = client.sync()
        # A first pull that a push or the config changed may leave more behind: settle once more.
        again = client.sync()
        print(
            f"synced in {report.seconds + again.seconds:.1f} s: sent {report.pushed + again.pushed}, "
            f"received {report.pulled + again.pulled}, configuration {report.config_documents}, "
            f"sync issues {report.issues or 0}"
        )
        return 0
    except LoginRefused as error:
        print(f"nurse-station sync: login refused: {error}", file=sys.stderr)
        return EXIT_FAILED
    except SyncError as error:
        print(f"nurse-station sync: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        client.close()
        engine.dispose()
