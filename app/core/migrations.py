"""Where Alembic's configuration is, and whether a database is at the newest migration."""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    ini = Path.cwd() / "alembic.ini"
    if not ini.exists():
        ini = ROOT / "alembic.ini"
    config = Config(str(ini))
    config.attributes["configure_logger"] = False
    return config


@lru_cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())
