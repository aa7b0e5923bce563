"""What operations rely on: /metrics, request ids and JSON logs, /readyz, and CORS."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import head_revisions
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.dbutil import upgrade


def scrape(client: TestClient) -> dict[str, dict[tuple, float]]:
    """Every sample of /metrics, by name and then by its sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_metrics_count_requests_by_route_template_and_the_webhook_backlog(
    client: TestClient, admin: dict
) -> None:
    for task_id in (7, 8):
        assert client.get(f"/api/v1/tasks/{task_id}", headers=admin).status_code == 404
    assert client.get("/no/such/page").status_code == 404
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime")
    hook = {"url": "http://127.0.0.1:9/hooks", "secret": "x" * 20, "events": ["task.created"]}
    assert client.post("/api/v1/webhooks", json=hook, headers=admin).status_code == 201
    factories.task(client, admin, plan["id"], "One")
    factories.task(client, admin, plan["id"], "Two")

    samples = scrape(client)
    one_task = (("method", "GET"), ("route", "/api/v1/tasks/{task_id}"), ("status", "404"))
    assert samples["tracker_http_requests_total"][one_task] == 2
    assert samples["tracker_http_request_duration_seconds_count"][one_task] == 2
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert samples["tracker_http_requests_total"][unmatched] == 1
    created = (("method", "POST"), ("route", "/api/v1/tasks"), ("status", "201"))
    assert samples["tracker_http_requests_total"][created] == 2
    assert samples["tracker_webhook_backlog"] == {(): 2}
    assert samples["tracker_webhook_deliveries"] == {
        (("status", "pending"),): 2,
        (("status", "delivered"),): 0,
        (("status", "failed"),): 0,
    }


def test_every_answer_carries_a_request_id_and_one_json_log_line_without_the_token(
    client: TestClient, make_token: TokenMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    token = make_token("viewer", name="intranet")
    capsys.readouterr()
    given = client.get("/api/v1/strategies", headers={**bearer(token), "X-Request-ID": "trace-42"})
    made = client.get("/api/v1/strategies", headers=bearer(token))
    odd = client.get("/healthz", headers={"X-Request-ID": "no spaces allowed " * 10})
    refused = client.get("/api/v1/strategies", headers=bearer(token + "x"))

    assert given.headers["x-request-id"] == "trace-42"
    assert len(made.headers["x-request-id"]) == 32
    assert odd.headers["x-request-id"] != "no spaces allowed " * 10
    assert refused.status_code == 401
    output = capsys.readouterr().err
    lines = [json.loads(line) for line in output.splitlines()]
    requests = [line for line in lines if line["logger"] == "tracker.access"]
    assert [line["request_id"] for line in requests] == [
        "trace-42",
        made.headers["x-request-id"],
        odd.headers["x-request-id"],
        refused.headers["x-request-id"],
    ]
    assert {k: requests[0][k] for k in ("method", "path", "route", "status", "actor")} == {
        "method": "GET",
        "path": "/api/v1/strategies",
        "route": "/api/v1/strategies",
        "status": 200,
        "actor": "intranet",
    }
    assert requests[3]["status"] == 401
    assert token not in output
    assert "bearer" not in output.lower()
    assert "authorization" not in output.lower()


def test_readyz_wants_the_database_at_the_newest_migration(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    (head,) = head_revisions()
    assert ready.json() == {"status": "ready", "database": "ok", "migration": head}

    behind_url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade(behind_url, "0001")
    behind = make_engine(behind_url, settings)
    try:
        app = create_app(settings.model_copy(update={"database_url": behind_url}), engine=behind)
        response = TestClient(app).get("/readyz")
        assert response.status_code == 503
        assert response.json()["detail"] == (
            f"the database schema is at 0001, not {head}: run `tracker migrate`"
        )
        assert TestClient(app).get("/healthz").status_code == 200
    finally:
        behind.dispose()


def test_readyz_is_503_when_the_database_does_not_answer(
    settings: Settings, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
    engine = make_engine(url, settings)
    app = create_app(settings.model_copy(update={"database_url": url}), engine=engine)
    response = TestClient(app).get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "the database does not answer"
    engine.dispose()


def preflight(client: TestClient, origin: str):
    return client.options(
        "/api/v1/strategies",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )


def test_no_origin_is_allowed_by_default(client: TestClient) -> None:
    assert (
        "access-control-allow-origin" not in preflight(client, "https://intranet.example").headers
    )


def test_allowed_origins_come_from_the_settings(
    settings: Settings, engine: Engine, admin: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CORS_ORIGINS", "https://intranet.example, https://board.example")
    configured = Settings(database_url=settings.database_url, webhook_worker=False)
    assert configured.cors_origins == ["https://intranet.example", "https://board.example"]
    client = TestClient(create_app(configured, engine=engine))

    allowed = preflight(client, "https://intranet.example")
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = preflight(client, "https://elsewhere.example")
    assert "access-control-allow-origin" not in other.headers
    read = client.get("/api/v1/strategies", headers={**admin, "Origin": "https://board.example"})
    assert read.headers["access-control-allow-origin"] == "https://board.example"
    assert "etag" in read.headers["access-control-expose-headers"].lower()


def test_a_pdf_writes_no_font_library_chatter_to_the_log(
    client: TestClient, admin: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    """WeasyPrint sets fontTools' logger to DEBUG while it subsets a font: none of that reaches
    the log, which holds the request's own line as ever."""
    factories.strategy(client, admin)
    capsys.readouterr()
    response = client.get(
        "/api/v1/reports/board", params={"quarter": "2020-21-Q2", "format": "pdf"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line for line in lines if line["logger"].startswith("fontTools")] == []
    assert [line["path"] for line in lines if line["logger"] == "tracker.access"] == [
        "/api/v1/reports/board"
    ]
