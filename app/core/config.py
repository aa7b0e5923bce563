"""Settings read from the environment: `DATABASE_URL` and `TRACKER_`-prefixed options."""

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///tracker.db",
        validation_alias=AliasChoices("DATABASE_URL", "TRACKER_DATABASE_URL"),
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000,
        gt=0,
        description="How long a SQLite writer waits for the one writing before a 503 Retry-After.",
    )
    max_concurrent_requests: int = Field(
        default=0,
        ge=0,
        description=(
            "Requests served at once (health checks aside); the next wait their turn up to the "
            "pool timeout, then are a 503 Retry-After. 0: two per CPU and two more, at most as "
            "many as the pool has connections."
        ),
    )
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="How long a request waits for a pooled connection before a 503 Retry-After.",
    )
    db_statement_timeout_ms: int = Field(
        default=20_000, ge=0, description="PostgreSQL statement_timeout (0: none)."
    )
    db_lock_timeout_ms: int = Field(
        default=5_000, ge=0, description="PostgreSQL lock_timeout: the longest wait for a lock."
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="PostgreSQL idle_in_transaction_session_timeout: a forgotten transaction ends.",
    )
    auth_failures_per_minute: int = Field(
        default=30,
        ge=0,
        description="Failed authentications one client address may make a minute (0: no limit).",
    )
    auth_failure_burst: int = Field(
        default=20, ge=1, description="Failed authentications an address may make at once."
    )
    db_ping_after_idle_seconds: float = Field(
        default=10.0,
        ge=0,
        description=(
            "A PostgreSQL connection idle in the pool this long is pinged before use, and "
            "replaced if the server dropped it. 0 pings on every use."
        ),
    )
    seed_dir: Path = Field(
        default=Path("seed"), description="Where the strategy's seed files are (see seed/)."
    )
    report_author: str = Field(
        default="Local Policing Support Unit",
        max_length=200,
        description="Who the board paper is by: its Word and PDF files' author.",
    )
    max_body_bytes: int = Field(default=1_048_576, description="Largest JSON body accepted.")
    write_rate_per_minute: int = Field(
        default=600, description="Writes a token may make a minute (0: no limit), per process."
    )
    write_burst: int = Field(default=120, description="Writes a token may make at once.")
    frame_ancestors: str = Field(
        default="'none'",
        description="Who may frame the HTML pages, as CSP frame-ancestors (e.g. the intranet).",
    )
    import_max_bytes: int = Field(
        default=10 * 1024 * 1024, description="The largest delivery-plan file an upload may be."
    )
    import_max_rows: int = Field(
        default=50_000, description="The most rows (all sheets together) an import reads."
    )
    import_max_unpacked_bytes: int = Field(
        default=100 * 1024 * 1024, description="The most an .xlsx upload may unpack to."
    )
    idempotency_lease_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a claimed Idempotency-Key waits for its request before it lapses.",
    )
    idempotency_retention_hours: float = Field(
        default=24, gt=0, description="How long an Idempotency-Key's answer is kept for replays."
    )
    token_touch_seconds: int = Field(
        default=60, description="How stale a token's last_used_at may get before it is written."
    )
    poll_trust_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a dashboard's or trend's fingerprint once read answers a poll "
        "(304) without reading it again while nothing is committed in this process: a change "
        "committed by another process is told at most this long after. 0 reads it every poll.",
    )
    token_trust_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a token once read is trusted without reading it again: a token "
        "revoked by another process (the command line, another worker) is refused at most this "
        "long after. 0 reads it at every request.",
    )
    session_hours: float = Field(
        default=8.0, gt=0, description="How long a browser stays signed in to the web page."
    )
    oidc_issuer: str = Field(
        default="",
        description="The OpenID Connect provider's issuer URL; empty turns single sign-on off.",
    )
    oidc_audience: str = Field(
        default="", description="The `aud` the provider's access tokens for this API carry."
    )
    oidc_client_id: str = Field(default="", description="The web page's client id.")
    oidc_client_secret: str = Field(default="", description="The web page's client secret.")
    oidc_roles_claim: str = Field(
        default="roles", description="The claim whose values the access rules map (or groups)."
    )
    oidc_provider_name: str = Field(
        default="single sign-on", description='What the sign-in button names: "Sign in with …".'
    )
    oidc_leeway_seconds: int = Field(
        default=60, ge=0, le=600, description="Clock skew allowed on exp, nbf and iat."
    )
    oidc_refetch_seconds: float = Field(
        default=60.0, ge=0, description="The least time between two fetches of the provider's keys."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the JSON log lines."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins a browser may call the API from, comma-separated; none if empty.",
    )
    webhook_http_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Hosts or networks (CIDR) that may receive webhooks over plain http, comma-separated; "
            "every other webhook URL must be https."
        ),
    )
    webhook_worker: bool = Field(
        default=True, description="Deliver webhooks from a thread inside each API process."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a receiver has to answer one delivery."
    )
    webhook_max_attempts: int = Field(
        default=12, ge=1, description="Attempts before a delivery is marked failed."
    )
    webhook_backoff_seconds: float = Field(
        default=30.0, gt=0, description="Wait before the first retry; doubled on each retry."
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two attempts."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle worker looks for due deliveries."
    )
    webhook_concurrency: int = Field(
        default=8, ge=1, le=100, description="Deliveries one worker sends at the same time."
    )
    webhook_concurrency_per_webhook: int = Field(
        default=4,
        ge=1,
        le=100,
        description=(
            "Of those, the most to one webhook at once, so that a slow receiver leaves senders "
            "for the others."
        ),
    )
    outbox_retention_days: float = Field(
        default=30,
        gt=0,
        description=(
            "Webhook deliveries and mail sent or given up are deleted this many days after their "
            "last attempt, and outbox events (the change feed's too) once that old and no "
            "delivery is left; pending ones are kept."
        ),
    )
    outbox_prune_every_hours: float = Field(
        default=1, gt=0, description="How often the worker deletes what the retention allows."
    )

    smtp_host: str = Field(
        default="", description="The SMTP server mail is sent through; empty: mail waits unsent."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="The SMTP server's port.")
    smtp_username: str = Field(default="", description="SMTP user name; empty: no login.")
    smtp_password: str = Field(default="", description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade to TLS with STARTTLS first.")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long the SMTP server has to answer each step."
    )
    mail_from: str = Field(
        default="4P tracker <tracker@localhost>", description="The From of every message."
    )
    mail_max_attempts: int = Field(
        default=12, ge=1, description="Attempts before a message is marked failed."
    )
    mail_backoff_seconds: float = Field(
        default=60.0, gt=0, description="Wait before the first retry of a message; doubled."
    )
    mail_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two attempts at a message."
    )
    return_working_days: int = Field(
        default=10,
        ge=0,
        le=120,
        description="Returns are due this many working days after the quarter's end by default.",
    )
    reminder_days: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [10, 5, 1],
        description="Reminders go out this many working days before the deadline, and on it.",
    )
    reminders_at: time = Field(
        default=time(7, 0), description="When (UK time) the worker runs the day's reminder pass."
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people open the tracker; links in e-mails start with it.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _split_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(day) for day in value.split(",") if day.strip()]
        return value

    @field_validator("reminder_days")
    @classmethod
    def _positive_days(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 120 for day in value):
            raise ValueError("reminder days are working days before the deadline, 1 to 120")
        return value

    @field_validator("cors_origins", "webhook_http_hosts", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
