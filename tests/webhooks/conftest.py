"""A real HTTP receiver on 127.0.0.1, a clock the tests move, and workers driven step by step."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.config import Settings
from app.webhooks.worker import Worker
from tests import factories

SECRET = "s3cret-shared-with-the-intranet"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | None = None


@dataclass
class Receiver:
    """Records every POST; answers from `replies` in turn (then 200), or waits on `gate`."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def hold(self) -> None:
        """Answer nothing until `release()`."""
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def answered(self, status: int = 200) -> list[Received]:
        return [r for r in self.requests if r.answered == status]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received = Received(dict(self.headers.items()), body)
            with receiver.lock:
                receiver.requests.append(received)
                status = receiver.replies.pop(0) if receiver.replies else 200
            receiver.arrived.set()
            receiver.gate.wait(timeout=30)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                received.answered = status
            except OSError:
                # The worker stopped waiting (timeout) and closed the connection.
                pass

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()


class Clock:
    """The real time, plus however far a test has moved it on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


WorkerMaker = Callable[..., Worker]


@pytest.fixture
def make_worker(engine: Engine, settings: Settings, clock: Clock) -> Iterator[WorkerMaker]:
    """Workers on the test clock; settings may be overridden per worker."""
    workers: list[Worker] = []

    def _make(**overrides: Any) -> Worker:
        worker = Worker(engine, settings.model_copy(update=overrides), clock=clock)
        workers.append(worker)
        return worker

    yield _make
    for worker in workers:
        worker.close()


@pytest.fixture
def plan(client: TestClient, admin: dict) -> dict[str, Any]:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    return factories.plan(client, admin, strand["id"], "Hate Crime")


def subscribe(
    client: TestClient, headers: dict[str, str], url: str, *events: str, **fields: Any
) -> dict[str, Any]:
    body = {"url": url, "secret": SECRET, "events": list(events), **fields}
    return factories.created(client.post("/api/v1/webhooks", json=body, headers=headers))


def deliveries(
    client: TestClient, headers: dict[str, str], webhook_id: int, **query: Any
) -> dict[str, Any]:
    url = f"/api/v1/webhooks/{webhook_id}/deliveries"
    response = client.get(url, params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
