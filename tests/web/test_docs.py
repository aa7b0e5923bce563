"""The API documentation pages work on a network without internet: every asset is this site's."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.live import serve
from tests.web.browser import chromium, needs_chromium


class Assets(HTMLParser):
    """The URLs a page loads: scripts, styles, icons and images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        (
            "/docs",
            [
                "/docs/assets/favicon.png",
                "/docs/assets/swagger-ui.css",
                "/docs/assets/swagger-ui-bundle.js",
            ],
        ),
        ("/redoc", ["/docs/assets/favicon.png", "/docs/assets/redoc.standalone.js"]),
    ],
)
def test_the_docs_load_only_this_sites_assets(
    client: TestClient, path: str, assets: list[str]
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    parser = Assets()
    parser.feed(response.text)
    assert sorted(parser.urls) == sorted(assets)
    assert "cdn" not in response.text.lower()
    assert "fonts.googleapis" not in response.text
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; script-src 'self' 'unsafe-inline';")
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1_000, url


@pytest.mark.once
@needs_chromium
def test_swagger_ui_and_redoc_render_with_the_network_cut_off(app: FastAPI) -> None:
    with serve(app) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        elsewhere: list[str] = []

        def only_this_site(route, request) -> None:
            if urlsplit(request.url)._replace(path="", query="", fragment="").geturl() == base:
                route.continue_()
            else:
                elsewhere.append(request.url)
                route.abort("internetdisconnected")

        context.route("**/*", only_this_site)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=90_000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith(app.title)
        assert page.locator(".opblock-tag").filter(has_text="tasks").count() == 1
        page.goto(f"{base}/redoc")
        page.wait_for_selector("[role=search], .api-content h1", timeout=90_000)
        assert app.title in page.locator(".api-content h1").first.inner_text()
        assert (elsewhere, errors) == ([], [])
        context.close()
