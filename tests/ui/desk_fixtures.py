"""The desk tests' demo cache: a fixed clock, key and seed (imported by conftest and the tests)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine

from nurse_app.demo.load import load_demo
from nurse_app.store.engine import open_cache
from nurse_app.store.migrate import upgrade_to_head

DESK_NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
DESK_KEY = "0123456789abcdef" * 4
DESK_SEED = 26  # leaves work in every CARD1 tab at DESK_NOW (due now, overdue, upcoming, done today)


def build_desk_cache(path, patients: int = 300) -> Engine:
    engine = open_cache(path, DESK_KEY)
    upgrade_to_head(engine)
    load_demo(engine, patients=patients, seed=DESK_SEED, now=DESK_NOW)
    return engine
