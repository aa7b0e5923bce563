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
    import_max_bytes: int = Field(
        default=10 * 1024 * 1024, description="The largest delivery-plan file an upload may be."
    )
    import_max_rows: int = Field(
        default=50_000, description="The most rows (all sheets together) an import reads."
    )
    import_max_unpacked_bytes: int = Field(
        default=100 * 1024 * 1024, description="The most an .xlsx upload may unpack to."
    )
    token_touch_seconds: int = Field(
        default=60, description="How stale a token's last_used_at may get before it is written."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
