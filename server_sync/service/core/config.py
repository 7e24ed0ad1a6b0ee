"""Service settings, declared once with types and defaults; read from ``FOLLOWUP_*`` variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` and pass them to ``create_app``)."""
    return Settings()
