"""`tracker import`: the same import from the command line."""

import getpass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings
from tests.imports.workbooks import knife_workbook


@pytest.fixture
def tracker(database_url: str, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


def test_import_from_the_command_line(
    tracker, strands, engine: Engine, snapshot, tmp_path: Path
) -> None:
    path = tmp_path / "knife.xlsx"
    path.write_bytes(knife_workbook())
    before = snapshot()
    dry = tracker(
        "import",
        str(path),
        "--strand",
        "gangs-and-knife-crime",
        "--plan",
        "Knife Crime",
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0] == "Knife Crime (Knife crime)"
    assert lines[1].split()[:5] == ["row", "4", "created", "prevent", "1"]
    assert lines[3].split() == ["row", "6", "skipped", "only", "punctuation,", "no", "task"]
    assert lines[-1] == (
        "dry run: nothing was written: 8 rows read, 5 created, 0 updated, 0 unchanged, 3 skipped"
    )
    assert snapshot() == before

    real = tracker(
        "import", str(path), "--strand", "gangs-and-knife-crime", "--plan", "Knife Crime"
    )
    assert real.exit_code == 0, real.output
    assert real.stdout.splitlines()[-1] == (
        "imported: 8 rows read, 5 created, 0 updated, 0 unchanged, 3 skipped"
    )
    assert len(snapshot()["task"]) == 5
    assert {t["created_by"] for t in snapshot()["task"]} == {f"cli:{getpass.getuser()}"}

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    refused = tracker("import", str(broken), "--strand", "gangs-and-knife-crime")
    assert refused.exit_code == 1
    assert "not a valid .xlsx workbook" in refused.output
