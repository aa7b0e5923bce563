"""`Idempotency-Key` on POST: a retried request gets the first answer and writes nothing again.

A key belongs to the token that sent it. The first request with a key claims it in a short
transaction of its own, so a concurrent duplicate is turned away (409) rather than run twice. A
successful answer is kept and replayed; a failed one frees the key so the client can try again.
"""

import hashlib
from datetime import datetime
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.base import UTCDateTime, utcnow
from app.core.db import writer
from app.core.errors import problem

MAX_KEY_LENGTH = 200
REPLAYED_HEADERS = ("content-type", "etag", "location")


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("owner_digest", "key"),)
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    owner_digest: str = Field(sa_type=sa.String(64))
    key: str = Field(sa_type=sa.String(MAX_KEY_LENGTH))
    fingerprint: str = Field(sa_type=sa.String(64))
    status_code: int | None = Field(default=None)
    response_headers: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    response_body: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _claim(engine: Engine, owner: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Claim the key; return the earlier record instead when the key was used before."""
    table = IdempotencyRecord.__table__
    with writer(engine).begin() as connection:
        row = connection.execute(
            sa.select(table).where(table.c.owner_digest == owner, table.c.key == key)
        ).first()
        if row is not None:
            return IdempotencyRecord.model_validate(dict(row._mapping))
        try:
            with connection.begin_nested():
                connection.execute(
                    table.insert().values(
                        owner_digest=owner,
                        key=key,
                        fingerprint=fingerprint,
                        response_headers={},
                        response_body="",
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            return IdempotencyRecord(owner_digest=owner, key=key, fingerprint=fingerprint)
    return None


def _finish(
    engine: Engine, owner: str, key: str, status: int | None, headers: dict, body: str
) -> None:
    table = IdempotencyRecord.__table__
    where = sa.and_(table.c.owner_digest == owner, table.c.key == key)
    with writer(engine).begin() as connection:
        if status is None:
            connection.execute(table.delete().where(where))
        else:
            connection.execute(
                table.update()
                .where(where)
                .values(status_code=status, response_headers=headers, response_body=body)
            )


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        raw_key = headers.get("idempotency-key")
        authorization = headers.get("authorization")
        if raw_key is None or authorization is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            response = problem(
                422,
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                kind="validation-error",
                errors=[{"field": "Idempotency-Key", "message": "invalid length"}],
            )
            await response(scope, receive, send)
            return

        body = await _read_body(receive)
        owner = _sha256(authorization)
        fingerprint = _sha256(scope["path"].encode(), scope.get("query_string", b""), body)
        engine: Engine = scope["app"].state.engine
        earlier = await anyio.to_thread.run_sync(_claim, engine, owner, key, fingerprint)
        if earlier is not None:
            await _answer_again(earlier, fingerprint, scope, receive, send)
            return

        captured: dict[str, Any] = {"status": 500, "headers": {}, "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                captured["body"].extend(message.get("body", b""))
            await send(message)

        succeeded = False
        try:
            await self.app(scope, _replay(body), capture)
            succeeded = 200 <= captured["status"] < 300
        finally:
            kept = {k: v for k, v in captured["headers"].items() if k in REPLAYED_HEADERS}
            text = bytes(captured["body"]).decode("utf-8", "replace") if succeeded else ""
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    _finish,
                    engine,
                    owner,
                    key,
                    captured["status"] if succeeded else None,
                    kept,
                    text,
                )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _answer_again(
    earlier: IdempotencyRecord, fingerprint: str, scope: Scope, receive: Receive, send: Send
) -> None:
    if earlier.fingerprint != fingerprint:
        response = problem(
            422,
            "this Idempotency-Key was used for a different request: use a new key",
            kind="idempotency-key-reused",
            errors=[{"field": "Idempotency-Key", "message": "used for a different request"}],
        )
    elif earlier.status_code is None:
        response = problem(
            409,
            "a request with this Idempotency-Key is still being processed: retry shortly",
            kind="idempotency-key-in-use",
            headers={"Retry-After": "1"},
        )
    else:
        response = Response(
            earlier.response_body.encode(),
            status_code=earlier.status_code,
            headers={**earlier.response_headers, "Idempotent-Replayed": "true"},
        )
    await response(scope, receive, send)
