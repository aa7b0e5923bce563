"""Request guards that run before any route: size caps, clean input, write rate, safe headers."""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DOCS_PATHS = ("/docs", "/redoc")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _clean(raw: bytes) -> bool:
    """Percent-decoded text that is valid UTF-8 and holds no NUL byte."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class InputGuard:
    """Refuse oversized bodies (413) and NUL bytes or invalid UTF-8 in the URL or a JSON body (422).

    The body is read here, up to its cap, and handed on whole: uploads are capped at a few
    megabytes, so holding one in memory is cheaper than letting a route discover the excess.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not _clean(scope.get("raw_path") or scope["path"].encode()) or not _clean(
            scope.get("query_string", b"")
        ):
            await problem(
                422,
                "the URL holds a NUL byte or text that is not UTF-8",
                kind="validation-error",
                errors=[{"field": "url", "message": "invalid characters"}],
            )(scope, receive, send)
            return
        headers = _headers(scope)
        content_type = headers.get("content-type", "")
        limit = (
            self.max_upload_bytes
            if content_type.startswith("multipart/form-data")
            else self.max_body_bytes
        )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(limit, scope, receive, send)
            return
        if scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > limit:
                await self._too_large(limit, scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if "json" in content_type:
            try:
                bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                await problem(
                    422,
                    "the JSON body is not valid UTF-8",
                    kind="validation-error",
                    errors=[{"field": "body", "message": "not UTF-8"}],
                )(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body)), send)

    @staticmethod
    async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(
            413, f"the request body is larger than {limit:,} bytes", kind="payload-too-large"
        )(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class TokenBucket:
    """Up to `burst` writes at once, refilled at `per_minute`; forgets the least recent tokens."""

    def __init__(self, *, per_minute: int, burst: int, max_tokens: int = 10_000) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self.max_tokens = max_tokens
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None, *, spend: bool = True) -> float:
        """Spend one write; 0 when allowed, else the seconds to wait for the next.

        With `spend=False`, only says whether one could be spent.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            level, last = self._buckets.pop(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - last) * self.rate)
            wait = 0.0
            if level >= 1:
                level -= 1 if spend else 0
            else:
                wait = (1 - level) / self.rate
            self._buckets[key] = (level, now)
            while len(self._buckets) > self.max_tokens:
                self._buckets.popitem(last=False)
            return wait


class WriteRateLimit:
    """A per-token write rate limit (429 with Retry-After), kept in each API process; writes
    without a token are limited per client address."""

    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.bucket = TokenBucket(per_minute=per_minute, burst=burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.bucket is None or scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        authorization = _headers(scope).get("authorization")
        if authorization:
            key = hashlib.sha256(authorization.encode()).hexdigest()
        else:
            # Writes without a token (the web page's sign-in form, or guesses) share a bucket per
            # client address, so that guessing tokens is as slow as writing with one.
            client = scope.get("client") or ("unknown", 0)
            key = f"client:{client[0]}"
        wait = self.bucket.take(key)
        if wait > 0:
            await problem(
                429,
                "too many changes from this token: slow down and retry"
                if authorization
                else "too many attempts from this address: slow down and retry",
                kind="too-many-requests",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


class AuthFailureLimit:
    """Failed authentications limited per client address: once an address has spent its
    allowance of 401s, its requests that carry credentials are a 429 with Retry-After until the
    allowance refills, so tokens cannot be guessed at the server's speed. Kept in each process."""

    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.bucket = TokenBucket(per_minute=per_minute, burst=burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.bucket is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = f"client:{(scope.get('client') or ('unknown', 0))[0]}"
        if "authorization" in _headers(scope):
            wait = self.bucket.take(client, spend=False)
            if wait > 0:
                await problem(
                    429,
                    "too many failed sign-ins from this address: wait, then retry",
                    kind="too-many-requests",
                    headers={"Retry-After": str(max(1, round(wait + 0.5)))},
                )(scope, receive, send)
                return
        bucket = self.bucket

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                bucket.take(client)
            await send(message)

        await self.app(scope, receive, watch)


class SecurityHeaders:
    """No sniffing anywhere; a content security policy and framing rule on HTML pages."""

    def __init__(
        self, app: ASGIApp, *, frame_ancestors: str, form_targets: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors.strip() or "'none'"
        # Signing in and out with an identity provider redirects a form's answer to it.
        self.form_action = " ".join(["'self'", *form_targets])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].startswith(DOCS_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and is_docs:
                    # Swagger UI and ReDoc start from inline scripts, and ReDoc runs a worker
                    # from a blob; everything else they load comes from this site.
                    policy = (
                        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                        "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                        f"frame-ancestors {self.frame_ancestors}"
                    )
                    extra.append((b"content-security-policy", policy.encode()))
                elif content_type.startswith(b"text/html"):
                    policy = (
                        "default-src 'self'; img-src 'self' data:; style-src 'self' "
                        f"'unsafe-inline'; object-src 'none'; base-uri 'none'; "
                        f"form-action {self.form_action}; frame-ancestors {self.frame_ancestors}"
                    )
                    extra.append((b"content-security-policy", policy.encode()))
                    if self.frame_ancestors == "'none'":
                        extra.append((b"x-frame-options", b"DENY"))
                headers.extend((k, v) for k, v in extra if k not in names)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
