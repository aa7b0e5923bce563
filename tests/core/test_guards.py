"""Size caps, clean input and the write rate limit, as a client meets them."""

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.guards import TokenBucket
from app.main import create_app
from tests import factories


def test_an_oversized_body_is_413_and_writes_nothing(client: TestClient, admin: dict) -> None:
    body = {**factories.STRATEGY, "name": "x" * 1_100_000}
    response = client.post("/api/v1/strategies", json=body, headers=admin)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/strategies", headers=admin).json() == []


@pytest.mark.parametrize("query", ["q=a%00b", "q=%ff%fe", "owner=%C0%80"])
def test_nul_bytes_and_bad_utf8_in_the_url_are_422(
    client: TestClient, admin: dict, query: str
) -> None:
    response = client.get(f"/api/v1/tasks?{query}", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "url", "message": "invalid characters"}]


def test_a_json_body_that_is_not_utf8_is_422(client: TestClient, admin: dict) -> None:
    response = client.post(
        "/api/v1/strategies",
        content=b'{"name": "\xff", "starts_on": "2020-04-01", "ends_on": "2021-03-31"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert client.get("/api/v1/strategies", headers=admin).json() == []


def test_writes_beyond_the_rate_are_429_with_retry_after(
    settings: Settings, engine: Engine, admin: dict
) -> None:
    limited = settings.model_copy(update={"write_rate_per_minute": 6, "write_burst": 2})
    with TestClient(create_app(limited, engine=engine)) as client:
        codes = [
            client.post(
                "/api/v1/strategies", json={**factories.STRATEGY, "name": f"S{n}"}, headers=admin
            ).status_code
            for n in range(3)
        ]
        assert codes == [201, 201, 429]
        refused = client.post(
            "/api/v1/strategies", json={**factories.STRATEGY, "name": "S9"}, headers=admin
        )
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert client.get("/api/v1/strategies", headers=admin).status_code == 200
        assert len(client.get("/api/v1/strategies", headers=admin).json()) == 2


def test_json_answers_are_never_sniffed(client: TestClient, admin: dict) -> None:
    response = client.get("/api/v1/strategies", headers=admin)
    assert response.headers["x-content-type-options"] == "nosniff"


@given(
    st.integers(1, 600),
    st.integers(1, 50),
    st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=200),
)
def test_a_token_never_writes_more_than_its_burst_plus_its_rate(
    per_minute: int, burst: int, gaps: list[float]
) -> None:
    bucket = TokenBucket(per_minute=per_minute, burst=burst)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += bucket.take("token", now=now) == 0
    assert allowed <= burst + now * per_minute / 60 + 1e-9
