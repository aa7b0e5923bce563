"""Bearer tokens: who gets in (401), who may write what (403), and how errors look."""

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.auth import service
from app.auth.models import ApiToken
from app.auth.service import digest
from app.core.base import utcnow
from app.core.config import Settings
from app.core.db import write_session
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker, bearer

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_no_token_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/strands")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_401(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/strategies", headers=bearer("tpt_nonsense")), 401)


def test_revoked_and_expired_tokens_are_401(
    settings: Settings, make_token: TokenMaker, engine: Engine
) -> None:
    revoked, expired = make_token("viewer", name="old"), make_token("viewer", name="lapsed")
    # Every request reads its token afresh.
    fresh = settings.model_copy(update={"token_trust_seconds": 0})
    client = TestClient(create_app(fresh, engine=engine))
    assert client.get("/api/v1/strategies", headers=bearer(revoked)).status_code == 200
    with engine.begin() as connection:
        connection.execute(
            sa.update(ApiToken).where(ApiToken.name == "old").values(revoked_at=utcnow())
        )
        connection.execute(
            sa.update(ApiToken)
            .where(ApiToken.name == "lapsed")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_problem(client.get("/api/v1/strategies", headers=bearer(revoked)), 401)
    body = assert_problem(client.get("/api/v1/strategies", headers=bearer(expired)), 401)
    assert body["detail"] == "the token has expired"


def test_a_token_revoked_here_is_refused_at_once_and_elsewhere_within_seconds(
    client: TestClient, settings: Settings, make_token: TokenMaker, engine: Engine, monkeypatch
) -> None:
    """A token once read is trusted for `token_trust_seconds` without reading it again."""
    assert settings.token_trust_seconds > 0
    now = [1000.0]
    monkeypatch.setattr(service, "_clock", lambda: now[0])
    here, elsewhere = make_token("viewer", name="here"), make_token("viewer", name="elsewhere")
    for token in (here, elsewhere):
        assert client.get("/api/v1/strategies", headers=bearer(token)).status_code == 200

    # Revoked by another process, as the database alone shows it: trusted until the interval
    # since it was read has passed, then refused.
    with engine.begin() as connection:
        connection.execute(
            sa.update(ApiToken).where(ApiToken.name == "elsewhere").values(revoked_at=utcnow())
        )
    now[0] += settings.token_trust_seconds / 2
    assert client.get("/api/v1/strategies", headers=bearer(elsewhere)).status_code == 200
    now[0] += settings.token_trust_seconds / 2
    assert_problem(client.get("/api/v1/strategies", headers=bearer(elsewhere)), 401)

    # Revoked in this process, as `tracker token revoke` does it: refused at the next request.
    assert client.get("/api/v1/strategies", headers=bearer(here)).status_code == 200
    with write_session(engine) as session:
        service.revoke_token(session=session, name="here")
        session.commit()
    assert_problem(client.get("/api/v1/strategies", headers=bearer(here)), 401)


def test_viewer_reads_but_cannot_write(client: TestClient, viewer: dict) -> None:
    assert client.get("/api/v1/strategies", headers=viewer).json() == []
    response = client.post("/api/v1/strategies", json=factories.STRATEGY, headers=viewer)
    assert_problem(response, 403)
    assert client.get("/api/v1/strategies", headers=viewer).json() == []


def test_lead_writes_only_in_their_own_strands(
    client: TestClient, admin: dict, make_token: TokenMaker
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    lead = bearer(make_token("lead", strands=("hate-crime",)))

    own = client.post("/api/v1/plans", json={"strand_id": hate["id"], "name": "Hate"}, headers=lead)
    assert own.status_code == 201
    other = client.post(
        "/api/v1/plans", json={"strand_id": fraud["id"], "name": "Fraud"}, headers=lead
    )
    assert_problem(other, 403)
    assert client.get("/api/v1/plans?strand=digital-crime-and-fraud", headers=lead).json() == []
    # A lead cannot make strands or strategies either: those are an admin's.
    assert_problem(
        client.post(
            "/api/v1/strands", json={"strategy_id": strategy["id"], "name": "X"}, headers=lead
        ),
        403,
    )


def test_tokens_are_stored_only_as_digests(
    client: TestClient, make_token: TokenMaker, engine: Engine
) -> None:
    clear = make_token("viewer", name="reader")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(ApiToken.__table__)).mappings().all()
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert clear not in stored
    assert [row["token_digest"] for row in rows] == [digest(clear)]


def test_use_of_a_token_is_recorded(client: TestClient, make_token: TokenMaker, engine) -> None:
    clear = make_token("viewer", name="reader")
    client.get("/api/v1/strategies", headers=bearer(clear))
    with engine.connect() as connection:
        used = connection.execute(sa.select(ApiToken.last_used_at)).scalar_one()
    assert used is not None


def test_every_error_is_problem_json(client: TestClient, admin: dict) -> None:
    assert_problem(client.get("/api/v1/nowhere", headers=admin), 404)
    assert_problem(client.get("/api/v1/strategies/999", headers=admin), 404)
    assert_problem(client.delete("/api/v1/strategies", headers=admin), 405)
    body = assert_problem(
        client.post(
            "/api/v1/strategies", json={**factories.STRATEGY, "colour": "blue"}, headers=admin
        ),
        422,
    )
    assert body["errors"] == [{"field": "colour", "message": "unknown field"}]
    body = assert_problem(
        client.post(
            "/api/v1/strategies",
            json={"name": "x", "starts_on": "31/03/2021", "ends_on": "2021-03-31"},
            headers=admin,
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["starts_on"]
    assert_problem(
        client.post(
            "/api/v1/strategies",
            content=b"{not json",
            headers={**admin, "content-type": "application/json"},
        ),
        422,
    )


def test_token_create_prints_the_token_alone_on_its_last_line(
    database_url: str, engine: Engine, monkeypatch
) -> None:
    from app.cli import app as cli
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["token", "create", "--name", "intranet", "--role", "viewer"]
        )
        refused = CliRunner().invoke(
            cli, ["token", "create", "--name", "x", "--role", "lead", "--strand", "no-such-strand"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("tpt_") and " " not in token
    with engine.connect() as connection:
        stored = connection.execute(sa.select(ApiToken.token_digest)).scalar_one()
    assert stored == digest(token)
    assert refused.exit_code == 1
