"""Settings from the environment (``DANGJIAN_*`` plus ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults: usable out of the box, refused in production.
DEV_SECRET_KEY = "dev-secret-key-change-me-in-production-0000000000"
DEV_PII_KEY = "dev-pii-key-change-me-in-production-00000000000000"


class InsecureSettingsError(RuntimeError):
    """Production mode was asked for with a default or missing secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANGJIAN_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    # No DATABASE_URL: an embedded PostgreSQL under `data_dir` is started.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "DANGJIAN_DATABASE_URL")
    )
    database_replica_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_REPLICA_URL", "DANGJIAN_DATABASE_REPLICA_URL"),
    )
    data_dir: Path = Path("var")
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # 0 turns asyncpg's prepared-statement cache off (PgBouncer < 1.21 in transaction mode).
    db_statement_cache_size: int = 100
    db_pool_pre_ping: bool = False
    db_pool_recycle_seconds: int = 1800
    # A connection attempt gives up after this long (a stopped or frozen server answers
    # 503 quickly), and the server cancels any statement running longer than
    # `db_statement_timeout_ms`; the client waits 5 s more before giving up on a server
    # that does not answer at all.
    db_connect_timeout_seconds: float = 1.5
    db_statement_timeout_ms: int = 30_000

    secret_key: str = DEV_SECRET_KEY
    token_issuer: str = "dangjian"
    token_audience: str = "dangjian-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 14

    pii_key: str = DEV_PII_KEY
    pii_index_key: str | None = None
    pii_cipher: Literal["aes", "sm4"] = "aes"

    login_max_failures: int = 5
    login_slowdown_after: int = 3
    login_lock_minutes: int = 15
    login_slowdown_seconds: float = 1.0
    # Failures from one client address across all usernames before it is locked.
    login_address_max_failures: int = 20
    # Proxies whose X-Forwarded-For names the client (JSON list of addresses); with none,
    # the client address is the peer's and the header is ignored.
    trusted_proxies: list[str] = []

    bootstrap_admin_user: str | None = None
    bootstrap_admin_password: str | None = None

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if not self.secret_key or self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("DANGJIAN_SECRET_KEY must be set to a random value of 32+ characters")
        if not self.pii_key or self.pii_key == DEV_PII_KEY or len(self.pii_key) < 32:
            problems.append("DANGJIAN_PII_KEY must be set to a random value of 32+ characters")
        if self.pii_index_key is not None and len(self.pii_index_key) < 32:
            problems.append("DANGJIAN_PII_INDEX_KEY must have 32+ characters")
        if problems:
            raise InsecureSettingsError("refusing to start in production: " + "; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
