"""Idempotency keys that hold: stored before the answer leaves, lapsing claims, kept 24 hours,
uploads compared on content, and nothing written for an unauthenticated request."""

import json
from datetime import timedelta

import anyio
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.idempotency import IdempotencyRecord, prune
from tests import factories
from tests.conftest import bearer

TABLE = IdempotencyRecord.__table__


def _records(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(TABLE))]


def _strategy_body(name: str = "Crime Prevention Strategy 2018-21") -> dict:
    return {**factories.STRATEGY, "name": name}


def test_the_outcome_is_stored_before_the_answer_leaves(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    body = json.dumps(_strategy_body()).encode()
    seen_when_sent: list[list[dict]] = []
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            # What a retry sent the moment this answer arrives would find.
            seen_when_sent.append(await anyio.to_thread.run_sync(_records, engine))
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/strategies",
        "raw_path": b"/api/v1/strategies",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", admin["Authorization"].encode()),
            (b"idempotency-key", b"make-strategy"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(client.app, scope, receive, send)
    assert sent[0]["status"] == 201
    [records] = seen_when_sent
    assert [(r["key"], r["status_code"]) for r in records] == [("make-strategy", 201)]

    first = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    again = client.post(
        "/api/v1/strategies",
        content=body,
        headers={**admin, "Idempotency-Key": "make-strategy", "Content-Type": "application/json"},
    )
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.content == first
    assert len(client.get("/api/v1/strategies", headers=admin).json()) == 1


def test_nothing_is_written_for_an_unauthenticated_request(
    client: TestClient, engine: Engine
) -> None:
    written: list[str] = []

    def watch(_conn, _cursor, statement: str, *_: object) -> None:
        if "idempotency_record" in statement and not statement.lstrip().startswith("SELECT"):
            written.append(statement.split()[0])

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", watch)
    try:
        for token in ("not-a-token", "x" * 40):
            response = client.post(
                "/api/v1/strategies",
                json=_strategy_body(),
                headers={**bearer(token), "Idempotency-Key": f"guess-{token[:3]}"},
            )
            assert response.status_code == 401
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", watch)
    assert written == []
    assert _records(engine) == []


def _claim_left_behind(engine: Engine, admin: dict, key: str, age: timedelta, **values) -> None:
    from app.core.idempotency import _fingerprint, _sha256

    body = json.dumps(_strategy_body()).encode()
    scope = {"path": "/api/v1/strategies", "query_string": b""}
    with engine.begin() as connection:
        connection.execute(
            TABLE.insert().values(
                {
                    "owner_digest": _sha256(admin["Authorization"].encode()),
                    "key": key,
                    "fingerprint": _fingerprint(scope, b"application/json", body),
                    "response_headers": {},
                    "response_body": "",
                    "created_at": utcnow() - age,
                    **values,
                }
            )
        )


def _post(client: TestClient, admin: dict, key: str):
    return client.post(
        "/api/v1/strategies",
        content=json.dumps(_strategy_body()).encode(),
        headers={**admin, "Idempotency-Key": key, "Content-Type": "application/json"},
    )


def test_a_claim_in_flight_is_a_409_and_an_abandoned_one_lapses(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    _claim_left_behind(engine, admin, "in-flight", timedelta(seconds=5))
    busy = _post(client, admin, "in-flight")
    assert (busy.status_code, busy.headers["retry-after"]) == (409, "1")

    # The process that claimed it died more than a lease (60 s) ago: the key is free.
    _claim_left_behind(engine, admin, "abandoned", timedelta(seconds=61))
    taken_over = _post(client, admin, "abandoned")
    assert taken_over.status_code == 201, taken_over.text
    assert "idempotent-replayed" not in taken_over.headers
    assert _post(client, admin, "abandoned").headers["idempotent-replayed"] == "true"


def test_keys_are_kept_a_day_then_forgotten_and_pruned(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    answer = {"status_code": 201, "response_body": '{"id": 99}'}
    _claim_left_behind(engine, admin, "yesterday", timedelta(hours=23), **answer)
    replayed = _post(client, admin, "yesterday")
    assert (replayed.status_code, replayed.text) == (201, '{"id": 99}')

    _claim_left_behind(engine, admin, "last-week", timedelta(hours=25), **answer)
    fresh = _post(client, admin, "last-week")
    assert fresh.status_code == 201
    assert fresh.json()["name"] == "Crime Prevention Strategy 2018-21"

    _claim_left_behind(engine, admin, "old", timedelta(hours=30), **answer)
    assert prune(engine, utcnow() - timedelta(hours=24)) == 1
    assert sorted(r["key"] for r in _records(engine)) == ["last-week", "yesterday"]


def test_an_upload_retried_with_a_new_boundary_is_replayed(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    factories.strand(client, admin, strategy["id"], "Hate Crime")
    sheet = b"Hate Crime\n\nStrand,Task,How,Who,When,Task No\nPREVENT,Third-party reporting,,,,1\n"

    def upload(content: bytes, boundary: str):
        return client.post(
            "/api/v1/imports",
            files={"file": ("hate.csv", content, "text/csv")},
            data={"strand": "hate-crime", "dry_run": "true"},
            headers={
                **admin,
                "Idempotency-Key": "upload-1",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )

    first = upload(sheet, "a1b2c3")
    assert first.status_code == 200, first.text
    again = upload(sheet, "zz-a-quite-different-boundary-99")
    assert (again.status_code, again.headers["idempotent-replayed"]) == (200, "true")
    assert again.content == first.content
    other = upload(sheet.replace(b"Third-party", b"Online"), "q9")
    assert other.status_code == 422
    assert other.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "used for a different request"}
    ]
