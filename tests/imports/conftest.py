from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.strategies.models import DeliveryPlan
from app.tasks.models import StatusEvent, Task, TaskLink
from tests import factories
from tests.conftest import TokenMaker, bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Importer = Callable[..., Any]


@pytest.fixture
def strands(client: TestClient, admin: dict, make_token: TokenMaker) -> dict[str, Any]:
    """Two strands with no plans yet, and a lead for each."""
    strategy = factories.strategy(client, admin)
    return {
        "knife": factories.strand(client, admin, strategy["id"], "Gangs & Knife Crime"),
        "hate": factories.strand(client, admin, strategy["id"], "Hate Crime"),
        "knife_lead": bearer(make_token("lead", strands=("gangs-and-knife-crime",), name="SS")),
        "hate_lead": bearer(make_token("lead", strands=("hate-crime",), name="Hate lead")),
    }


@pytest.fixture
def upload(client: TestClient, admin: dict) -> Importer:
    """POST a file to /imports; returns the response."""

    def _upload(
        content: bytes,
        filename: str = "plan.xlsx",
        *,
        strand: str = "gangs-and-knife-crime",
        headers: dict | None = None,
        **form: Any,
    ):
        kind = XLSX if filename.endswith(".xlsx") else "text/csv"
        data = {
            "strand": strand,
            **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
        }
        return client.post(
            "/api/v1/imports",
            files={"file": (filename, content, kind)},
            data=data,
            headers=headers if headers is not None else admin,
        )

    return _upload


@pytest.fixture
def snapshot(engine: Engine) -> Callable[[], dict[str, list[dict]]]:
    """Every row of the tables an import writes, to compare before and after."""

    def _snapshot() -> dict[str, list[dict]]:
        tables = {}
        with engine.connect() as connection:
            for model in (DeliveryPlan, Task, StatusEvent, TaskLink):
                table = model.__table__
                rows = connection.execute(sa.select(table).order_by(table.c.id)).mappings()
                tables[table.name] = [dict(row) for row in rows]
        return tables

    return _snapshot
