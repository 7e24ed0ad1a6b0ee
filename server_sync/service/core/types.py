"""Column types that behave the same on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as naive UTC.

    MariaDB's DATETIME has no zone and SQLite has no datetime type at all, so
    the one portable form is "naive, always UTC"; values come back aware.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class JsonText(TypeDecorator[Any]):
    """JSON documents: native JSON on SQLite/PostgreSQL, LONGTEXT on MariaDB.

    MariaDB's JSON is a LONGTEXT alias whose driver hands back strings, so the
    (de)serialisation is done here, identically for every dialect.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.LONGTEXT())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if dialect.name in ("mysql", "mariadb") and value is not None:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if dialect.name in ("mysql", "mariadb") and isinstance(value, str):
            return json.loads(value)
        return value
