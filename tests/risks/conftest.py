from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.conftest import TokenMaker, bearer


@pytest.fixture
def world(client: TestClient, admin: dict, make_token: TokenMaker) -> dict[str, Any]:
    """Two strands with a plan each, a lead for the first and a viewer."""
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    return {
        "strategy": strategy,
        "hate": hate,
        "fraud": fraud,
        "hate_plan": factories.plan(client, admin, hate["id"], "Hate Crime"),
        "fraud_plan": factories.plan(client, admin, fraud["id"], "Digital Crime & Fraud"),
        "lead": bearer(make_token("lead", strands=("hate-crime",), name="Hate lead")),
    }
