"""Single sign-on in a real browser: Chromium signs in at the provider and out of both."""

import shutil

import pytest
from fastapi import FastAPI

from tests import factories
from tests.live import serve
from tests.people.provider import Provider

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@pytest.mark.once
@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: .ci/run installs it where it can"
)
def test_a_lead_signs_in_with_the_provider_sees_their_name_and_signs_out(
    oidc_app: FastAPI, oidc_client, admin: dict, provider: Provider
) -> None:
    strategy = factories.strategy(oidc_client, admin)
    factories.strand(oidc_client, admin, strategy["id"], "Hate Crime")
    rule = {"role": "lead", "strands": ["hate-crime"]}
    oidc_client.put("/api/v1/access/Tracker.HateCrimeLead", json=rule, headers=admin)
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Tracker.HateCrimeLead"])
    with serve(oidc_app) as base, playwright.sync_playwright() as driver:
        provider.redirect_uris.add(f"{base}/sign-in/callback")
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{base}/")
            assert page.url == f"{base}/sign-in"
            page.click("#sign-in-oidc")
            page.wait_for_url(f"{provider.issuer}/authorize?*")
            page.fill("#username", "amy")
            page.fill("#password", provider.users["amy"].password)
            page.click("#login")
            page.wait_for_url(f"{base}/")
            assert page.locator("header.band span").inner_text() == "Amy Shah (lead)"
            assert page.evaluate("document.cookie") == ""
            page.click("header.band button")
            page.wait_for_url(f"{base}/sign-in")
            assert [call["post_logout_redirect_uri"] for call in provider.ended] == [
                f"{base}/sign-in"
            ]
            page.goto(f"{base}/")
            assert page.url == f"{base}/sign-in"
        finally:
            browser.close()
