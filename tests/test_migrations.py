"""The schema is made only by migrations: they agree with the models and run both ways."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app.cli import alembic_config
from tests.dbutil import ensure_postgres_database, postgres_url, reset_postgres


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own, so migrating it down never disturbs the other tests."""
    url = postgres_url()
    if url is None:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    scratch = make_url(url)
    scratch = scratch.set(database=f"{scratch.database}_migrations")
    rendered = scratch.render_as_string(hide_password=False)
    ensure_postgres_database(rendered)
    reset_postgres(rendered)
    yield rendered


def _config(url: str):
    config = alembic_config()
    config.attributes["database_url"] = url
    return config


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_leaves_the_models_schema(scratch_url: str) -> None:
    config = _config(scratch_url)
    model_tables = {t.name for t in SQLModel.metadata.sorted_tables}

    command.upgrade(config, "head")
    assert _tables(scratch_url) == model_tables
    assert _differences(scratch_url) == []

    command.downgrade(config, "base")
    assert _tables(scratch_url) == set()

    command.upgrade(config, "head")
    assert _tables(scratch_url) == model_tables
    assert _differences(scratch_url) == []


def test_every_migration_steps_down_and_up_again(scratch_url: str) -> None:
    config = _config(scratch_url)
    command.upgrade(config, "head")
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    for _ in revisions:
        command.downgrade(config, "-1")
    assert _tables(scratch_url) == set()
    for _ in revisions:
        command.upgrade(config, "+1")
    assert _differences(scratch_url) == []


def test_stored_text_is_cleaned_under_the_text_rule(scratch_url: str) -> None:
    config = _config(scratch_url)
    command.upgrade(config, "0010")
    engine = sa.create_engine(scratch_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO strategy (name, starts_on, ends_on, version, created_at, "
                    "updated_at) VALUES (:name, '2018-04-01', '2021-03-31', 1, :now, :now)"
                ),
                {
                    "name": "Crime\x01 Prevention\ufffe\x85 Strategy\x0bline\r\ntwo",
                    "now": "2020-01-01",
                },
            )
        command.upgrade(config, "0021_clean_stored_text")
        with engine.connect() as connection:
            names = connection.execute(sa.text("SELECT name FROM strategy")).scalars().all()
    finally:
        engine.dispose()
    assert names == ["Crime Prevention Strategy\nline\ntwo"]
