"""Settings from the environment (``DANGJIAN_*`` plus ``DATABASE_URL``)."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The keys earlier versions published as development defaults: refused everywhere.
PUBLISHED_KEYS = frozenset(
    {
        "dev-secret-key-change-me-in-production-0000000000",
        "dev-pii-key-change-me-in-production-00000000000000",
    }
)
# Outside production, keys left unset are generated once and kept here (mode 0600).
DEV_KEYS_FILE = "dev-keys.json"
# Argon2 cost profiles (app/security/passwords.py): "test" is cheap and only for tests.
HashProfile = Literal["owasp", "test"]


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
    # A replica-routed read goes to the primary instead when the replica has not
    # replayed for this long while WAL waits (`app.api.replica`), and for this long
    # after the caller's own write unless the replica has replayed it.
    replica_max_lag_seconds: float = 5.0
    # After a replica connection fails, replica reads go to the primary this long
    # before the replica is tried again.
    replica_retry_seconds: float = 5.0
    data_dir: Path = Path("var")
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # 0 turns asyncpg's prepared-statement cache off (PgBouncer < 1.21 in transaction mode).
    db_statement_cache_size: int = 100
    # PostgreSQL's plan_cache_mode on every connection. After five runs of a prepared
    # statement PostgreSQL may keep one generic plan. A generic plan of `org_path LIKE $1`
    # cannot use the path index (branch stats 2.3 -> 110 ms at 1M once province calls
    # made it look no worse), so subtree prefixes are never parameters: they are written
    # into the statement text (`app.security.scope.subtree_prefix`), each subtree with
    # its own plan. "auto" (the server's) then keeps cached plans; "force_custom_plan"
    # re-plans every statement on every call (more DB CPU per request, bench/RESULTS.md).
    db_plan_cache_mode: Literal["auto", "force_custom_plan", "force_generic_plan"] = "auto"
    db_pool_recycle_seconds: int = 1800
    # A connection attempt gives up after this long (a stopped or frozen server answers
    # 503 quickly), and the server cancels any statement running longer than
    # `db_statement_timeout_ms`; the client waits 5 s more before giving up on a server
    # that does not answer at all.
    db_connect_timeout_seconds: float = 1.5
    db_statement_timeout_ms: int = 30_000
    # A pooled connection must answer one round trip within this long before a request
    # gets it, so a frozen server (stopped processes, sockets still open) is 503 quickly
    # instead of holding requests for the statement timeout; 0 turns the check off.
    # `/readyz` gives its whole probe `db_connect_timeout_seconds`.
    db_ping_timeout_seconds: float = 1.0
    # Answers kept per process and sent again while the tables they were read from are
    # unchanged (`app.services.kept_answers`: the organisation tree): at most this many
    # bytes of bodies; 0 keeps none (every request reads and renders its answer).
    kept_answer_bytes: int = Field(default=16 * 1024 * 1024, ge=0)

    # FastAPI's native OpenTelemetry (spans, metrics and logs through the globally set
    # providers). Off unless asked for: even with no provider set, its per-request check
    # cost 1.4 % of a member read and 7 % of `/healthz`. Prometheus metrics
    # (`/metrics`) do not depend on it.
    otel_enabled: bool = False

    # Unset outside production: generated once into `data_dir`/dev-keys.json.
    secret_key: str = ""
    token_issuer: str = "dangjian"
    token_audience: str = "dangjian-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 14

    pii_key: str = ""
    pii_index_key: str | None = None
    pii_cipher: Literal["aes", "sm4"] = "aes"

    # "test" (cheap Argon2) is refused unless environment is "test".
    password_hash_profile: HashProfile = "owasp"

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

    # Webhook receivers on private, loopback or otherwise non-public addresses are
    # refused unless listed here: comma-separated host names and CIDRs
    # (e.g. "hooks.intranet,10.20.0.0/16").
    webhook_allowed_targets: str = ""

    # Uploads (POST /imports): the XLSX zip directory is checked before parsing.
    import_max_upload_bytes: int = 50 * 1024 * 1024
    import_max_expanded_bytes: int = 200 * 1024 * 1024
    import_max_ratio: int = 100
    import_max_archive_entries: int = 1000
    import_max_rows: int = 200_000
    # Queued imports (`dangjian worker`): the rows committed together with the job's
    # progress, and how long a worker's claim on a job lasts past its last committed
    # batch (a worker that died: another resumes the job once the claim has lapsed).
    import_batch_rows: int = Field(default=1000, ge=1)
    import_lease_seconds: float = Field(default=300, gt=0)
    import_max_cell_chars: int = 10_000

    # Attachments (纪实 materials, meeting minutes and photos): the largest upload, and
    # the media types accepted, read from the content (comma-separated; PDF, JPEG, PNG,
    # DOCX and XLSX are recognised). Stored in PostgreSQL ("database") or in an
    # S3-compatible bucket ("s3": bucket, endpoint URL, region and keys below). Each
    # attachment remembers its backend, so rows stored before a switch still download
    # while both are configured.
    attachment_max_bytes: int = 20 * 1024 * 1024
    attachment_allowed_types: str = (
        "application/pdf,image/jpeg,image/png,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    attachment_storage: Literal["database", "s3"] = "database"
    attachment_s3_bucket: str | None = None
    attachment_s3_endpoint_url: str | None = None
    attachment_s3_region: str = "us-east-1"
    attachment_s3_access_key_id: str | None = None
    attachment_s3_secret_access_key: str | None = None

    # Browser origins allowed to call the API (CORS), comma-separated, e.g.
    # "http://localhost:5173,https://dj.example.cn"; empty: no CORS headers at all.
    cors_origins: str = ""

    # A refresh token presented again within this many seconds of its rotation (two tabs
    # refreshing at once) gets a fresh pair for the same login instead of ending it.
    refresh_grace_seconds: int = 30

    # WeChat mini-program login (POST /auth/wechat): jscode2session at this base URL with
    # the mini-program's app id and secret; unset app id or secret: WeChat login is off.
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_timeout_seconds: float = 5.0
    # An administrator's binding code (绑定码) is valid this long, once.
    wechat_binding_code_hours: int = 72
    # Reminders by WeChat subscribe message (订阅消息): the template the mini-program's
    # users subscribed to; unset: the WeChat channel is off.
    wechat_reminder_template_id: str | None = None

    # Reminders by email (the worker's SMTP channel); unset host: the email channel is off.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "dangjian@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 10.0

    log_level: str = "INFO"
    log_json: bool = True

    def attachment_type_list(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.attachment_allowed_types.split(",") if t.strip())

    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _keys(self) -> Settings:
        problems = []
        for name in ("secret_key", "pii_key"):
            if getattr(self, name) in PUBLISHED_KEYS:
                problems.append(f"DANGJIAN_{name.upper()} is a published key: set a random one")
        if self.password_hash_profile == "test" and self.environment != "test":
            problems.append(
                "DANGJIAN_PASSWORD_HASH_PROFILE=test is only for DANGJIAN_ENVIRONMENT=test"
            )
        if self.environment == "production":
            if not self.secret_key or len(self.secret_key) < 32:
                problems.append(
                    "DANGJIAN_SECRET_KEY must be set to a random value of 32+ characters"
                )
            if not self.pii_key or len(self.pii_key) < 32:
                problems.append("DANGJIAN_PII_KEY must be set to a random value of 32+ characters")
            if self.pii_index_key is not None and len(self.pii_index_key) < 32:
                problems.append("DANGJIAN_PII_INDEX_KEY must have 32+ characters")
        if problems:
            raise InsecureSettingsError("refusing to start: " + "; ".join(problems))
        if not self.secret_key or not self.pii_key:
            kept = development_keys(self.data_dir)
            self.secret_key = self.secret_key or kept["secret_key"]
            self.pii_key = self.pii_key or kept["pii_key"]
        return self


def development_keys(data_dir: Path) -> dict[str, str]:
    """The development keys kept in `data_dir`, generated on first use (never a constant).

    The file is written whole under a temporary name (mode 0600) and linked into place,
    so concurrent first starts agree on one pair: the loser reads the winner's file.
    """
    path = data_dir / DEV_KEYS_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        keys = {name: secrets.token_urlsafe(48) for name in ("secret_key", "pii_key")}
        temporary = data_dir / f".{DEV_KEYS_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                json.dump(keys, handle)
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    kept: dict[str, str] = json.loads(path.read_text())
    return kept


@lru_cache
def get_settings() -> Settings:
    return Settings()
