"""ETags and 304s for every API read, so that an intranet can poll lists and reports cheaply.

A route that knows its version (a record's `version`, the dashboard's fingerprint) sets its own
ETag and may answer 304 itself before doing the work; any other successful GET is given an ETag
made from the bytes of its answer, and a client that already holds them gets a 304 with no body.
"""

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.concurrency import not_modified

API_PREFIX = "/api/"
KEPT_ON_304 = (b"etag", b"vary", b"cache-control", b"content-location", b"link")


def body_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


class ConditionalGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        if_none_match = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None
        )
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._answer(start, b"".join(chunks), if_none_match, send)

        await self.app(scope, receive, buffered)

    @staticmethod
    async def _answer(start: Message, body: bytes, if_none_match: str | None, send: Send) -> None:
        headers = list(start.get("headers", []))
        tag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
        if tag is None:
            tag = body_etag(body)
            headers.append((b"etag", tag.encode("latin-1")))
        if not_modified(if_none_match, tag):
            kept = [(k, v) for k, v in headers if k in KEPT_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
