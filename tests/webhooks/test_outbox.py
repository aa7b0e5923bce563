"""The pieces receivers and other domains depend on: the signature, the backoff, and `emit`."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from app.core.db import write_session
from app.core.outbox import backoff_seconds
from app.webhooks.models import EventType, WebhookDelivery, WebhookEvent
from app.webhooks.service import EVENT_TYPES, emit, payload, signature
from tests import factories
from tests.dbutil import statements_during
from tests.webhooks.conftest import deliveries, subscribe


def test_the_signature_is_the_rfc_4231_hmac_sha256() -> None:
    assert signature(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_the_payload_is_the_documented_body() -> None:
    body = payload(
        delivery_id="d-1",
        type="task.created",
        occurred_at=datetime(2020, 6, 1, 9, 30, tzinfo=UTC),
        data={"note": "Café"},
    )
    assert json.loads(body) == {
        "id": "d-1",
        "type": "task.created",
        "occurred_at": "2020-06-01T09:30:00+00:00",
        "data": {"note": "Café"},
    }


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0.01, max_value=1_000),
    cap=st.floats(min_value=0.01, max_value=100_000),
)
def test_backoff_doubles_up_to_its_cap(attempt: int, base: float, cap: float) -> None:
    wait = backoff_seconds(attempt=attempt, base=base, cap=cap)
    following = backoff_seconds(attempt=attempt + 1, base=base, cap=cap)
    assert wait <= cap
    assert following == min(cap, 2 * wait) or wait == cap
    assert backoff_seconds(attempt=1, base=base, cap=cap) == min(base, cap)


def test_every_event_type_the_issue_names_is_known() -> None:
    assert EVENT_TYPES == (
        "task.created",
        "task.updated",
        "task.status_changed",
        "task.commented",
        "risk.created",
        "risk.updated",
        "quarter.locked",
        "return.submitted",
        "commentary.submitted",
        "board_paper.published",
    )


def test_emit_writes_in_the_callers_transaction_and_only_when_it_commits(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    hook = subscribe(client, admin, "https://intranet.example/hooks", "quarter.locked")
    with write_session(engine) as session:
        emit(session=session, type=EventType.quarter_locked, data={"quarter": "2020-21-Q1"})
        session.rollback()
    with write_session(engine) as session:
        emit(session=session, type="quarter.locked", data={"quarter": "2020-21-Q2"})
        emit(session=session, type="risk.created", data={"ref": "A1"})
        with pytest.raises(ValueError):
            emit(session=session, type="quarter.unlocked", data={})
        session.commit()
    with engine.connect() as connection:
        events = connection.execute(sa.select(WebhookEvent.type, WebhookEvent.data)).all()
        queued = connection.execute(sa.select(sa.func.count()).select_from(WebhookDelivery))
        assert queued.scalar_one() == 1
    assert [(str(t), d) for t, d in events] == [
        ("quarter.locked", {"quarter": "2020-21-Q2"}),
        ("risk.created", {"ref": "A1"}),
    ]
    assert [d["type"] for d in deliveries(client, admin, hook["id"])["items"]] == ["quarter.locked"]


def test_listing_deliveries_runs_the_same_queries_whatever_the_page_size(
    client: TestClient, admin: dict, engine: Engine, plan
) -> None:
    hook = subscribe(client, admin, "https://intranet.example/hooks", "task.created")
    for n in range(12):
        factories.task(client, admin, plan["id"], f"Task {n}")

    def queries(limit: int) -> int:
        count, page = statements_during(
            engine, lambda: deliveries(client, admin, hook["id"], limit=limit)
        )
        assert len(page["items"]) == limit
        return count

    assert queries(2) == queries(12)
