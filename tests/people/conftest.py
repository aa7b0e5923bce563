"""A real OpenID Connect provider on 127.0.0.1, and the app configured to trust it."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests.people.provider import AUDIENCE, CLIENT_ID, CLIENT_SECRET, Provider, running


@pytest.fixture
def provider() -> Iterator[Provider]:
    yield from running()


def oidc_settings(settings: Settings, provider: Provider, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_provider_name": "Force sign-in",
            **changes,
        }
    )


@pytest.fixture
def oidc_app(settings: Settings, engine: Engine, provider: Provider) -> FastAPI:
    return create_app(oidc_settings(settings, provider), engine=engine)


@pytest.fixture
def oidc_client(oidc_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(oidc_app) as client:
        yield client
