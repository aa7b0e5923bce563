"""Settings read from the environment: `DATABASE_URL` and `TRACKER_`-prefixed options."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///tracker.db",
        validation_alias=AliasChoices("DATABASE_URL", "TRACKER_DATABASE_URL"),
    )
    sqlite_busy_timeout_ms: int = 30_000
    db_pool_size: int = 10
    db_max_overflow: int = 20
    seed_dir: Path = Field(
        default=Path("seed"), description="Where the strategy's seed files are (see seed/)."
    )
    max_body_bytes: int = Field(default=1_048_576, description="Largest JSON body accepted.")
    max_upload_bytes: int = Field(default=10_485_760, description="Largest file upload accepted.")
    write_rate_per_minute: int = Field(
        default=600, description="Writes a token may make a minute (0: no limit), per process."
    )
    write_burst: int = Field(default=120, description="Writes a token may make at once.")
    frame_ancestors: str = Field(
        default="'none'",
        description="Who may frame the HTML pages, as CSP frame-ancestors (e.g. the intranet).",
    )
    token_touch_seconds: int = Field(
        default=60, description="How stale a token's last_used_at may get before it is written."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
