"""A real uvicorn server on a free loopback port, for tests that need true concurrency."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def together(
    app: FastAPI, headers: dict[str, str], clients: int, work: Callable[[httpx.Client, int], None]
) -> None:
    """Serve the app and run `work(http, n)` for `clients` clients released at the same moment."""
    start = threading.Barrier(clients)

    def run(base: str, n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            start.wait()
            work(http, n)

    with serve(app) as base:
        threads = [threading.Thread(target=run, args=(base, n)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
