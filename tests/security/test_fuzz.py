"""The API fuzzed from its own OpenAPI schema: no 5xx, every status documented, every answer
matching its schema, as an admin and as a strand lead."""

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.live import serve

# The schema is the app's own; building it needs no database. The only required header besides
# the token is If-Match: without it a change is refused as any other (401, 403, 422) or, when it
# would be allowed, with the API's 428.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://", webhook_worker=False)).openapi(),
    config=SchemathesisConfig.from_dict(
        {"checks": {"missing_required_header": {"expected-statuses": [401, 403, 422, 428]}}}
    ),
)
# Schema-valid data can still break a business rule (a strategy ending before it starts, an id
# that names nothing): those answers are checked for their status and shape, not expected to be 2xx.
EXCLUDED = [positive_data_acceptance]
# Publishing a board paper renders every format, the PDF too: seconds on a busy machine.
CALL_TIMEOUT = 60
FUZZ = settings(
    max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def running(settings: Settings, engine: Engine) -> Iterator[str]:
    """One server for the module: starting one per operation would cost more than fuzzing it."""
    with serve(create_app(settings, engine=engine)) as base_url:
        yield base_url


@pytest.fixture
def server(running: str, client: TestClient, admin: dict) -> str:
    """The server, with some records so that generated ids sometimes hit one."""
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    factories.task(client, admin, plan["id"], task_no=1)
    factories.risk(client, admin, hate["id"], ref="A1")
    return running


@schema.parametrize()
@FUZZ
def test_fuzz_as_admin(case, server: str, admin: dict) -> None:
    case.call_and_validate(
        base_url=server, headers=admin, excluded_checks=EXCLUDED, timeout=CALL_TIMEOUT
    )


# A lead reads what an admin reads: only the writes, where their rights differ, are fuzzed again.
@schema.include(method=["POST", "PUT", "PATCH", "DELETE"]).parametrize()
@FUZZ
def test_fuzz_as_a_strand_lead(case, server: str, make_token: TokenMaker) -> None:
    case.call_and_validate(
        base_url=server,
        headers=lead_headers(make_token),
        excluded_checks=EXCLUDED,
        timeout=CALL_TIMEOUT,
    )


def lead_headers(make_token: TokenMaker) -> dict[str, str]:
    return bearer(make_token("lead", strands=("hate-crime",)))
