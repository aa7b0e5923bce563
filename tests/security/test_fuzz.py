"""The API fuzzed from its own OpenAPI schema by schemathesis, against a real server, as an admin,
as a lead of one strand and as a viewer: every check (no 5xx, every status and header
documented, every answer matching its schema, valid data accepted, invalid data refused, ...)
in every phase, the stateful one included, which follows the schema's links from the record a
call created (createTask → getTask → updateTask with its ETag, ...). Bounded in time, so the
three runs take a minute or two; the settings are in schemathesis.toml beside this file."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker
from tests.live import serve

pytestmark = pytest.mark.once

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
# The most seconds each role is fuzzed for: operation by operation (the examples, coverage and
# fuzzing phases, in that order, as far as the time allows), then in sequences that follow the
# links (stateful). A fixed seed, so that a failure reproduces.
BUDGET = {
    ("admin", "stateless"): 40,
    ("admin", "stateful"): 25,
    ("lead", "stateless"): 15,
    ("lead", "stateful"): 15,
    ("viewer", "stateless"): 10,
    ("viewer", "stateful"): 10,
}
PHASES = {"stateless": "examples,coverage,fuzzing", "stateful": "stateful"}
SEED = 21


@pytest.fixture(scope="module")
def running(settings: Settings, engine: Engine) -> Iterator[str]:
    """One server for the module, on a real port, as the fuzzer's only way in."""
    with serve(create_app(settings, engine=engine)) as base_url:
        yield base_url


@pytest.fixture
def server(running: str, client: TestClient, admin: dict) -> str:
    """The server, with two strands (the lead's and another), their plans, a task and a risk."""
    strategy = factories.strategy(client, admin)
    for name in ("Hate Crime", "Domestic Abuse"):
        strand = factories.strand(client, admin, strategy["id"], name)
        plan = factories.plan(client, admin, strand["id"], name)
        factories.task(client, admin, plan["id"], task_no=1)
        factories.risk(client, admin, strand["id"])
    return running


def fuzz(base_url: str, token: str, *, role: str, mode: str, tmp_path: Path) -> dict:
    """Run schemathesis on the server as `token`; its JSON report."""
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        PHASES[mode],
        "--max-examples",
        "3",
        "--max-time",
        str(BUDGET[role, mode]),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        # Publishing a board paper renders every format, the PDF too: seconds on a busy machine.
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.security.fuzz_hooks",
        "TRACKER_FUZZ_TOKEN": token,
        "PYTHONPATH": str(ROOT),
    }
    # Run from the test's own directory, where the fuzzer keeps its cache.
    finished = subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=tmp_path
    )
    assert report.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(report.read_text())
    assert result["failures"] == [], finished.stdout[-20_000:]
    assert result["errors"] == [], finished.stdout[-20_000:]
    assert finished.returncode == 0, finished.stdout[-20_000:]
    return result


def ran(result: dict, phase: str) -> bool:
    return result["phases"][phase]["status"] == "success"


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_fuzz_as_admin(server: str, admin: dict, mode: str, tmp_path: Path) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    result = fuzz(server, token, role="admin", mode=mode, tmp_path=tmp_path)
    assert ran(result, "examples" if mode == "stateless" else "stateful")


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_fuzz_as_a_lead_of_one_strand(
    server: str, make_token: TokenMaker, mode: str, tmp_path: Path
) -> None:
    token = make_token("lead", strands=("hate-crime",))
    result = fuzz(server, token, role="lead", mode=mode, tmp_path=tmp_path)
    assert ran(result, "examples" if mode == "stateless" else "stateful")


@pytest.mark.parametrize("mode", ["stateless", "stateful"])
def test_fuzz_as_a_viewer(server: str, make_token: TokenMaker, mode: str, tmp_path: Path) -> None:
    result = fuzz(server, make_token("viewer"), role="viewer", mode=mode, tmp_path=tmp_path)
    assert ran(result, "examples" if mode == "stateless" else "stateful")
