"""``nurse-station stats``: the rates of DESIGN.md over the local cache, by ward, nurse, plan or month."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from nurse_app.domain.errors import DomainError
from nurse_app.domain.metrics import GroupBy, Period, RateTable
from nurse_app.domain.model import DEFAULT_ZONE
from nurse_app.store.engine import open_cache_for
from nurse_app.store.metrics_sql import rate_table as rate_table_sql


def local_midnight_utc(day: date, zone: str = DEFAULT_ZONE) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def local_day_period(start_day: date, end_day: date, zone: str = DEFAULT_ZONE) -> Period:
    """Local calendar days ``[from, to)`` of the ward's zone as a UTC period."""
    if end_day <= start_day:
        raise DomainError(f"--to ({end_day}) must be after --from ({start_day}); the period is [from, to)")
    return Period(local_midnight_utc(start_day, zone), local_midnight_utc(end_day, zone))


def stats_document(table: RateTable, args: argparse.Namespace, zone: str) -> dict:
    """The documented JSON shape of ``stats --format json`` (README, "Stats JSON")."""
    return {
        "format": "followup.stats/1",
        "from": args.start.isoformat(),
        "to": args.end.isoformat(),
        "by": table.by.value,
        "zone": zone,
        "rows": table.as_dicts(),
    }


def run_stats(args: argparse.Namespace, cache_path: Path) -> int:
    zone = DEFAULT_ZONE
    period = local_day_period(args.start, args.end, zone)
    as_of = args.now or datetime.now(timezone.utc)
    engine = open_cache_for(cache_path)
    with engine.connect() as conn:
        table = rate_table_sql(conn, period, as_of=as_of, by=GroupBy(args.by), zone=zone)
    engine.dispose()
    if args.format == "json":
        print(json.dumps(stats_document(table, args, zone), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print(table.to_csv(), end="")
    else:
        print(table.to_text())
    return 0
