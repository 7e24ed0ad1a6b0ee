"""Service settings, declared once with types and defaults; read from ``FOLLOWUP_*`` variables."""

from __future__ import annotations

from functools import lru_cache

from packaging.version import InvalidVersion, Version
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nurse_app import __version__


class Settings(BaseSettings):
    """Everything IT may tune; defaults suit one ward-sized SQLite installation."""

    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", extra="ignore")

    database_url: str = "sqlite:///./var/server/followup.db"
    # When unset, a random secret is generated into the database on first start, so every
    # replica behind a load balancer signs and checks tokens with the same key.
    secret_key: str | None = None
    access_token_seconds: int = 15 * 60
    refresh_token_days: int = 30
    # argon2id cost; the defaults are argon2-cffi's RFC 9106 "low memory" profile.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    lockout_failures: int = 5
    lockout_minutes: int = 15
    tombstone_window_days: int = 90
    max_push_bytes: int = 8 * 1024 * 1024
    pull_default_limit: int = 1000
    pull_max_limit: int = 5000
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # SQLite page cache per connection: SQLite's 2 MiB default thrashes once the indexes of a
    # hospital's records outgrow it (push ingest and pulls ~30% faster at 30 k tasks with 64 MiB).
    sqlite_cache_mib: int = Field(default=64, ge=1, le=4096)
    # Desk app updates under IT's control (PEP 440 versions): every answer announces both; a desk
    # below the minimum keeps working offline but its sync is refused (426 client_too_old).
    client_current_version: str = __version__
    client_min_version: str = "0.0.0"

    @field_validator("client_current_version", "client_min_version")
    @classmethod
    def _pep440(cls, value: str) -> str:
        try:
            return str(Version(value.strip()))
        except InvalidVersion as error:
            raise ValueError(f"not a version number (PEP 440, e.g. 1.2.0): {value!r}") from error


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` and pass them to ``create_app``)."""
    return Settings()
