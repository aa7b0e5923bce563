from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker
from tests.people.conftest import oidc_settings
from tests.people.provider import Provider, running

HERE = {"Origin": "http://testserver"}


@pytest.fixture
def strands(client: TestClient, admin: dict, make_token: TokenMaker) -> dict[str, Any]:
    """Hate Crime with seven tasks in one plan, Digital Crime & Fraud with two, and their people."""
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    hate_plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    fraud_plan = factories.plan(client, admin, fraud["id"], "Digital Crime & Fraud")
    hate_tasks = [
        factories.task(
            client,
            admin,
            hate_plan["id"],
            f"Hate task {n}",
            task_no=n,
            pillar="prevent" if n <= 4 else "protect",
            due_text="Sep-18" if n == 7 else "",
        )
        for n in range(1, 8)
    ]
    fraud_tasks = [
        factories.task(client, admin, fraud_plan["id"], f"Fraud task {n}", task_no=n)
        for n in (1, 2)
    ]
    return {
        "hate_tasks": hate_tasks,
        "fraud_tasks": fraud_tasks,
        "tokens": {
            "hate lead": make_token("lead", strands=("hate-crime",), name="Hate lead"),
            "fraud lead": make_token(
                "lead", strands=("digital-crime-and-fraud",), name="Fraud lead"
            ),
            "viewer": make_token("viewer", name="Board secretary"),
            "author": make_token("admin", name="Board author"),
        },
    }


@pytest.fixture
def browser_as(app: FastAPI, strands: dict) -> Iterator[Callable[[str], TestClient]]:
    """A client signed in on the page as one of the strands' people, with its own cookies."""
    opened: list[TestClient] = []

    def sign_in(who: str) -> TestClient:
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        response = client.post(
            "/sign-in", data={"token": strands["tokens"][who]}, headers=HERE, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return client

    yield sign_in
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def provider() -> Iterator[Provider]:
    """The force's identity provider (a real OpenID Connect one on 127.0.0.1)."""
    yield from running()


@pytest.fixture
def sso_app(settings: Settings, engine: Engine, provider: Provider) -> FastAPI:
    """The app on the test's database, offering sign-in with the provider."""
    return create_app(oidc_settings(settings, provider), engine=engine)
