"""Debian's Chromium driven by Playwright, with axe-core and screenshots, for the page tests.

Playwright never downloads a browser here: it launches the machine's Chromium by its path, and
the tests skip, saying why, where there is none.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (
        path
        for path in (
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        )
        if path and Path(path).exists()
    ),
    None,
)
# Written for people to look at; git ignores the folder.
SCREENSHOTS = Path(os.environ.get("TRACKER_TEST_OUTPUT", "test-output")) / "screenshots"
WIDTHS = {"desktop": 1366, "phone": 390}

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extras install both
    sync_playwright = None  # type: ignore[assignment]

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="Chromium (/usr/bin/chromium) or Playwright is missing: .ci/run installs Chromium "
    "with apt-get and the dev extras install Playwright",
)


@contextmanager
def chromium() -> Iterator["Browser"]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic"],
        )
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: "Page") -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it stands."""
    results = Axe().run(page)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def screenshots(page: "Page", name: str) -> list[Path]:
    """The page at a desktop's and a phone's width, written to the test output folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    original = page.viewport_size
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        path = SCREENSHOTS / f"{name}-{label}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
    if original:
        page.set_viewport_size(original)
    return shots
