"""Publishing renders every format inside its transaction: PostgreSQL must not end it as idle."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from tests.papers.conftest import PAPER, ok


@pytest.fixture
def impatient_client(settings: Settings, engine: Engine) -> Any:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no idle-in-transaction timeout")
    # An idle timeout far shorter than rendering the paper's PDF and Word files takes.
    impatient = settings.model_copy(update={"db_idle_in_transaction_timeout_ms": 300})
    own_engine = make_engine(impatient.database_url, impatient)
    with TestClient(create_app(impatient, engine=own_engine)) as client:
        yield client
    own_engine.dispose()


def test_a_paper_that_takes_longer_to_render_than_the_idle_timeout_is_published(
    paper003: dict[str, Any], impatient_client: TestClient, admin: dict
) -> None:
    published = ok(impatient_client.post(f"{PAPER}/publish", headers=admin), 201)
    assert published["version"] == 1
    stored = ok(impatient_client.get(PAPER, headers=admin))
    assert stored["status"] == "published"
