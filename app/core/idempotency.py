"""`Idempotency-Key` on POST: a retried request gets the first answer and writes nothing again.

A key belongs to the token that sent it. Once the request's token is authenticated (nothing is
written for a request that is not), the key is claimed in a short transaction of its own, so a
concurrent duplicate is turned away (409) rather than run twice. A successful answer is stored
before it is sent, so an immediate retry is replayed byte for byte (`Idempotent-Replayed: true`);
a failed one frees the key so the client can try again. A claim whose request never finished (the
process died) lapses after a lease; keys are kept for a retention period, then pruned.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.base import UTCDateTime, utcnow
from app.core.db import unhurried, writer
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


def _claim(engine: Engine, pending: "Pending", now: datetime) -> IdempotencyRecord | None:
    """Claim the key; return the earlier record instead when the key is held or was answered."""
    table = IdempotencyRecord.__table__
    where = sa.and_(table.c.owner_digest == pending.owner, table.c.key == pending.key)
    with writer(engine).begin() as connection:
        row = connection.execute(sa.select(table).where(where)).first()
        if row is not None:
            earlier = IdempotencyRecord.model_validate(dict(row._mapping))
            kept_until = earlier.created_at + pending.retention
            lapsed = earlier.status_code is None and earlier.created_at + pending.lease < now
            if kept_until > now and not lapsed:
                return earlier
            # Forgotten after its retention, or an abandoned claim: the key is free again.
            connection.execute(table.delete().where(where))
        try:
            with connection.begin_nested():
                connection.execute(
                    table.insert().values(
                        owner_digest=pending.owner,
                        key=pending.key,
                        fingerprint=pending.fingerprint,
                        response_headers={},
                        response_body="",
                        created_at=now,
                    )
                )
        except IntegrityError:
            return IdempotencyRecord(
                owner_digest=pending.owner, key=pending.key, fingerprint=pending.fingerprint
            )
    return None


def prune(engine: Engine, older_than: datetime) -> int:
    """Forget keys claimed before `older_than`; returns how many."""
    table = IdempotencyRecord.__table__
    with writer(engine).begin() as connection:
        return connection.execute(table.delete().where(table.c.created_at < older_than)).rowcount


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


class IdempotentAnswer(Exception):
    """The key was used before: this is the answer, instead of running the request again."""

    def __init__(self, response: Response) -> None:
        super().__init__("answered from an earlier request with the same Idempotency-Key")
        self.response = response


@dataclass
class Pending:
    """A request's key, waiting for the request's token to be authenticated to be claimed."""

    engine: Engine
    owner: str
    key: str
    fingerprint: str
    lease: timedelta
    retention: timedelta
    prune_due: bool = False
    """Expired keys are to be pruned when this one is claimed."""
    claimed: bool = False


def pending(request: Request) -> bool:
    """Whether the request carries an Idempotency-Key not claimed yet."""
    found: Pending | None = getattr(request.state, "idempotency", None)
    return found is not None and not found.claimed


def claim(request: Request) -> None:
    """Claim the request's Idempotency-Key, once its token has been authenticated.

    Raises IdempotentAnswer when the key was used before (the earlier answer, a 409 while it is
    still being processed, or a 422 for a different request).
    """
    pending: Pending | None = getattr(request.state, "idempotency", None)
    if pending is None or pending.claimed:
        return
    earlier = _claim(pending.engine, pending, utcnow())
    if earlier is not None:
        request.state.idempotency = None
        raise IdempotentAnswer(_answer_again(earlier, pending.fingerprint))
    pending.claimed = True
    if pending.prune_due:
        prune(pending.engine, utcnow() - pending.retention)


_BOUNDARY = re.compile(rb"boundary=\"?([^\";]+)\"?", re.IGNORECASE)


def _fingerprint(scope: Scope, content_type: bytes, body: bytes) -> str:
    """The request's path, query and content: a multipart upload's boundary (chosen afresh by
    each client on each try) is left out, so a retried upload is the same request."""
    found = _BOUNDARY.search(content_type)
    if found:
        boundary = found.group(1)
        body = body.replace(b"--" + boundary, b"--")
        content_type = content_type.replace(boundary, b"")
    return _sha256(scope["path"].encode(), scope.get("query_string", b""), content_type, body)


async def _answer(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentAnswer)
    return exc.response


def install(app: Any) -> None:
    """Let `claim` answer a reused key from wherever it is called."""
    app.add_exception_handler(IdempotentAnswer, _answer)


class IdempotencyMiddleware:
    def __init__(
        self, app: ASGIApp, *, lease_seconds: float = 60, retention_hours: float = 24
    ) -> None:
        self.app = app
        self.lease = timedelta(seconds=lease_seconds)
        self.retention = timedelta(hours=retention_hours)
        self._pruned_at = 0.0

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
        engine: Engine = scope["app"].state.engine
        pending = Pending(
            engine=engine,
            owner=_sha256(authorization),
            key=key,
            fingerprint=_fingerprint(scope, headers.get("content-type", b""), body),
            lease=self.lease,
            retention=self.retention,
            prune_due=self._prune_due(),
        )
        scope.setdefault("state", {})["idempotency"] = pending
        # The answer is held back until its outcome is stored, so that a retry sent the moment
        # the answer arrives finds it.
        held: list[Message] = []
        status = 500
        try:

            async def hold(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                held.append(message)

            await self.app(scope, _replay(body), hold)
        finally:
            if pending.claimed:
                succeeded = 200 <= status < 300
                start = next((m for m in held if m["type"] == "http.response.start"), None)
                kept = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in (start or {}).get("headers", [])
                    if k.decode("latin-1").lower() in REPLAYED_HEADERS
                }
                text = b"".join(
                    m.get("body", b"") for m in held if m["type"] == "http.response.body"
                ).decode("utf-8", "replace")
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(
                        # Its write is done (or failed): storing the answer must not fail.
                        unhurried(_finish),
                        engine,
                        pending.owner,
                        key,
                        status if succeeded else None,
                        kept if succeeded else {},
                        text if succeeded else "",
                    )
        for message in held:
            await send(message)

    def _prune_due(self) -> bool:
        """Expired keys are pruned at most once a minute per process, by a request that claims."""
        if time.monotonic() - self._pruned_at < 60:
            return False
        self._pruned_at = time.monotonic()
        return True


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


def _answer_again(earlier: IdempotencyRecord, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        return problem(
            422,
            "this Idempotency-Key was used for a different request: use a new key",
            kind="idempotency-key-reused",
            errors=[{"field": "Idempotency-Key", "message": "used for a different request"}],
        )
    if earlier.status_code is None:
        return problem(
            409,
            "a request with this Idempotency-Key is still being processed: retry shortly",
            kind="idempotency-key-in-use",
            headers={"Retry-After": "1"},
        )
    return Response(
        earlier.response_body.encode(),
        status_code=earlier.status_code,
        headers={**earlier.response_headers, "Idempotent-Replayed": "true"},
    )
