"""A real HTTP receiver on 127.0.0.1, a clock the tests move, and workers driven step by step."""

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from tests.smtp import smtp_server  # noqa: F401  (the fixture)

SECRET = "s3cret-shared-with-the-intranet"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Receiver:
    """Records every POST; answers from `replies` in turn (then `status`), or waits on `gate`."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    status: int = 200
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
                status = receiver.replies.pop(0) if receiver.replies else receiver.status
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


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as healthy:
        yield healthy


@pytest.fixture
def failing_receiver() -> Iterator[Receiver]:
    """A receiver that answers every delivery with a 500."""
    with serving(Receiver(status=500)) as failing:
        yield failing


@dataclass
class Stalling:
    """A receiver that reads the request and then never finishes its answer."""

    url: str = ""
    connections: list[float] = field(default_factory=list)


@contextmanager
def stalling(drip_seconds: float | None) -> Iterator[Stalling]:
    """Answers nothing at all (`drip_seconds` None), or one byte of its headers every
    `drip_seconds`, for ever; each connection's time of arrival is kept."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    stalled = Stalling(url=f"http://127.0.0.1:{listener.getsockname()[1]}/hooks")

    def hold(connection: socket.socket) -> None:
        with connection:
            connection.recv(65_536)
            stalled.connections.append(time.monotonic())
            if drip_seconds is None:
                stop.wait()
                return
            for byte in itertools.cycle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 50):
                if stop.wait(drip_seconds):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=hold, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield stalled
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture
def hanging_receiver() -> Iterator[Stalling]:
    with stalling(None) as hanging:
        yield hanging


@pytest.fixture
def refusing_url() -> str:
    """The address of a port nothing listens on: every connection is refused."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


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
