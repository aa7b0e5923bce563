"""Where Alembic's configuration is, and whether a database is at the newest migration."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

# Alembic (and Mako under it) is imported by the functions: a serving process needs it only when
# its readiness is first asked, not from start-up on.
if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    from alembic.config import Config

    ini = Path.cwd() / "alembic.ini"
    if not ini.exists():
        ini = ROOT / "alembic.ini"
    config = Config(str(ini))
    config.attributes["configure_logger"] = False
    return config


@lru_cache
def head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    from alembic.migration import MigrationContext

    return frozenset(MigrationContext.configure(connection).get_current_heads())
