"""A headless Chromium driven over the DevTools protocol, for tests that need a real browser."""

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
TIMEOUT = 30.0


def _port(process: subprocess.Popen, announced: Path) -> int:
    """Chromium picks a free port and writes it into the profile once it listens."""
    deadline = time.monotonic() + TIMEOUT
    while not (announced.exists() and announced.read_text().strip()):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("chromium did not open its DevTools port")
        time.sleep(0.05)
    return int(announced.read_text().split()[0])


@contextmanager
def chromium(executable: str, profile: Path) -> Iterator["Page"]:
    """A headless Chromium with a profile of its own, and its first tab."""
    process = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _port(process, profile / "DevToolsActivePort")
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT).json()
        target = next(t for t in targets if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
            page = Page(socket)
            page.call("Page.enable")
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Page:
    """A tab, driven by DevTools commands; the events it sends are kept until waited for."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def _receive(self, deadline: float) -> dict[str, Any]:
        return json.loads(self.socket.recv(timeout=max(0.0, deadline - time.monotonic())))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, message in enumerate(self.events):
                if message.get("method") == event:
                    del self.events[: index + 1]
                    return message
            self.events.append(self._receive(deadline))

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def load(self, action: str, **params: Any) -> None:
        """Run an action that leads to a new page (navigate, or a form sent by script), and wait."""
        self.events.clear()
        if action == "navigate":
            self.call("Page.navigate", **params)
        else:
            self.evaluate(action)
        # The new page's navigation first, so that no earlier page's load is taken for its own.
        self.wait_for("Page.frameNavigated")
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path, width: int, *, mobile: bool) -> None:
        """The whole page, laid out at this width."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=800,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        height = self.call("Page.getLayoutMetrics")["cssContentSize"]["height"]
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=int(height) + 1,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        shot = self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
