"""The `tracker` command: one clear line without a database, and token lists that never cut."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings

LONG_NAME = "intranet sync robot for the north west local policing area, read only, night shift"


@pytest.fixture
def tracker(monkeypatch):
    def run(database_url: str, *args: str):
        monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), terminal_width=80)
        finally:
            get_settings.cache_clear()

    return run


@pytest.mark.parametrize("args", [("token", "list"), ("seed",), ("report", "board")])
def test_no_database_is_one_clear_line_and_no_file(tracker, tmp_path: Path, args) -> None:
    path = tmp_path / "tracker.db"
    result = tracker(f"sqlite:///{path}", *args)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: no tracker database at sqlite:///{path}: run `tracker migrate`"
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not path.exists()


def test_an_unmigrated_database_is_one_clear_line(tracker, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    result = tracker(f"sqlite:///{path}", "token", "revoke", "intranet")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: no tracker database at sqlite:///{path}: run `tracker migrate`"
    ]


def test_token_list_wraps_long_names_and_gives_json(tracker, database_url: str, engine) -> None:
    made = tracker(database_url, "token", "create", "--name", LONG_NAME, "--role", "viewer")
    assert made.exit_code == 0, made.output
    listed = tracker(database_url, "token", "list")
    assert listed.exit_code == 0, listed.output
    assert "…" not in listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80
    cells = " ".join(
        line.split("│")[1].strip() for line in listed.output.splitlines() if "│" in line
    )
    assert LONG_NAME in cells.replace("name ", "", 1)
    as_json = tracker(database_url, "token", "list", "--json")
    assert as_json.exit_code == 0
    [token] = json.loads(as_json.stdout)
    assert (token["name"], token["role"], token["strands"], token["revoked_at"]) == (
        LONG_NAME,
        "viewer",
        [],
        None,
    )
