"""The web page in a real browser: signed in through its form, it shows the dashboard and chart."""

import base64
import json
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.conftest import TokenMaker
from tests.live import serve
from tests.reports.browser import chromium
from tests.reports.helpers import SUMMARY_HEADER, SUMMARY_Q2

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PNG = b"\x89PNG\r\n\x1a\n"
TABLE = (
    "JSON.stringify([...document.querySelectorAll('table tr')]"
    ".map(row => [...row.cells].map(cell => cell.textContent.trim())))"
)
CHART = (
    "(() => { const img = document.querySelector('img.chart');"
    " return [img.src, img.complete ? img.naturalWidth : 0]; })()"
)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: .ci/run installs it where it can"
)
def test_a_browser_signs_in_and_sees_the_dashboard_table_and_chart(
    app: FastAPI, make_token: TokenMaker, board: dict, tmp_path: Path
) -> None:
    token = make_token("viewer", name="board secretary")
    with serve(app) as base, chromium(str(CHROMIUM), tmp_path / "profile") as browser:
        browser.load("navigate", url=f"{base}/?quarter=2020-21-Q2")
        assert browser.evaluate("location.pathname") == "/sign-in"
        # The form is sent by the browser itself, with the Origin it chooses to send.
        browser.load(
            f"document.getElementById('token').value = {json.dumps(token)};"
            "document.querySelector('form').submit();"
        )
        assert browser.evaluate("location.pathname") == "/"
        assert browser.evaluate("document.cookie") == ""
        browser.load("navigate", url=f"{base}/?quarter=2020-21-Q2")
        assert json.loads(browser.evaluate(TABLE)) == [SUMMARY_HEADER, *SUMMARY_Q2]
        source, shown_width = browser.evaluate(CHART)
        png = base64.b64decode(source.removeprefix("data:image/png;base64,"))
        assert png.startswith(PNG)
        assert shown_width == int.from_bytes(png[16:20], "big")
        for name, width, mobile in (("phone", 390, True), ("desktop", 1200, False)):
            shot = tmp_path / f"dashboard-{name}.png"
            browser.screenshot(shot, width, mobile=mobile)
            assert shot.read_bytes().startswith(PNG)
            # Nothing but a table's own scroller is wider than the screen.
            assert browser.evaluate("document.documentElement.scrollWidth") == width, name
