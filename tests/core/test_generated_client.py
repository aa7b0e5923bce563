"""A Python client generated from the served `/openapi.json` by openapi-python-client works
against a real server: a schema change that breaks clients fails here."""

import importlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker
from tests.live import serve

pytestmark = pytest.mark.once

PACKAGE = "delivery_plan_tracker_4p_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def running(settings: Settings, engine: Engine) -> Iterator[str]:
    with serve(create_app(settings, engine=engine)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def generated(running: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from the schema the server serves, and imported."""
    work = tmp_path_factory.mktemp("client")
    schema = work / "openapi.json"
    schema.write_bytes(httpx.get(f"{running}/openapi.json", timeout=60).raise_for_status().content)
    config = work / "config.yaml"
    config.write_text("post_hooks: []\n")
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none", "--config",
         str(config), "--output-path", str(work / PACKAGE)],
        capture_output=True, text=True, cwd=work, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # A warning means some operation or schema was left out of the client.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def retried(call: Callable[[], Any]) -> Any:
    """Send again while the first request with the key is still finishing (409, Retry-After)."""
    for _ in range(100):
        answer = call()
        if answer.status_code != 409 or b"idempotency-key-in-use" not in answer.content:
            return answer
        time.sleep(0.02)
    raise AssertionError("the first request never finished")


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_client_lists_records_pages_and_reads(
    generated: ModuleType,
    running: str,
    client: TestClient,
    admin: dict,
    make_token: TokenMaker,
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    tasks = [factories.task(client, admin, plan["id"], task_no=n) for n in (1, 2, 3)]
    refs = [factories.risk(client, admin, hate["id"], ref=f"A{n}")["ref"] for n in range(1, 6)]
    # A loaded CI machine can take longer than the client's default five seconds.
    api = generated.AuthenticatedClient(
        base_url=running,
        token=make_token("lead", strands=("hate-crime",)),
        timeout=httpx.Timeout(60),
    )
    models = module("models")

    listed = module("api.tasks.list_tasks").sync(client=api, strand="hate-crime", limit=2)
    assert isinstance(listed, models.PageTaskRead)
    assert (listed.total, [t.id for t in listed.items]) == (3, [tasks[0]["id"], tasks[1]["id"]])

    task_id = tasks[0]["id"]
    read = module("api.tasks.get_task").sync_detailed(task_id, client=api)
    etag = read.headers["etag"]
    record = module("api.tasks.record_task_status")
    change = models.StatusChange(status=models.Status.AT_RISK, note="venue lost")
    first = record.sync_detailed(
        task_id, client=api, body=change, if_match=etag, idempotency_key="status-1"
    )
    again = retried(
        lambda: record.sync_detailed(
            task_id, client=api, body=change, if_match=etag, idempotency_key="status-1"
        )
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert isinstance(first.parsed, models.StatusEventRead)
    assert first.parsed.status == models.Status.AT_RISK
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    stale = record.sync_detailed(
        task_id, client=api, body=change, if_match=etag, idempotency_key="status-2"
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.type_ == "/problems/precondition-failed"
    history = module("api.tasks.task_history").sync(task_id, client=api)
    assert [(e.status, e.note) for e in history] == [
        (models.Status.ONGOING, "Task added to the plan."),
        (models.Status.AT_RISK, "venue lost"),
    ]

    list_risks = module("api.risks.list_risks")
    seen, offset = [], 0
    while True:
        page = list_risks.sync(client=api, sort=models.RiskSort.REF, limit=2, offset=offset)
        assert isinstance(page, models.PageRiskRead)
        seen += [risk.ref for risk in page.items]
        offset += page.limit
        if offset >= page.total:
            break
    assert seen == sorted(refs)

    dashboard = module("api.dashboard.get_dashboard").sync(client=api, strategy_id=strategy["id"])
    assert isinstance(dashboard, models.DashboardRead)
    assert [(s.slug, s.total, s.ongoing, s.at_risk) for s in dashboard.strands] == [
        ("hate-crime", 3, 2, 1)
    ]

    missing = module("api.tasks.get_task").sync(999_999, client=api)
    assert isinstance(missing, models.Problem)
    assert missing.status == 404
