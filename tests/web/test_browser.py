"""The workspace in Chromium: a lead's quarter-end work, what others are offered, accessibility.

Each page is checked with axe-core (no serious or critical violation) and photographed at a
desktop's and a phone's width into the test output folder.
"""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.base import today
from app.core.quarters import Quarter
from tests import factories
from tests.live import serve
from tests.people.provider import Provider
from tests.web.browser import chromium, needs_chromium, screenshots, serious_violations

pytestmark = [pytest.mark.once, needs_chromium]

NARRATIVES = {
    "insight": "Reports of hate crime rose **12%** after the awareness week.",
    "delivery_achieved": "- Third-party reporting centres opened in two libraries",
    "delivery_scheduled": "- Train call handlers on recording hate incidents",
}


def check(page: Any, name: str) -> None:
    """No serious or critical accessibility violation, and nothing wider than a phone."""
    assert serious_violations(page) == [], name
    for shot in screenshots(page, name):
        assert shot.stat().st_size > 1_000
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.set_viewport_size({"width": 1366, "height": 900})


def sign_in(browser: Any, base: str, token: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/workspace")
    assert page.url == f"{base}/sign-in"
    check(page, "sign-in")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def sign_in_with_provider(browser: Any, base: str, provider: Provider, username: str) -> Any:
    """Through the force's single sign-on: the tracker's button, the provider's login form."""
    provider.redirect_uris.add(f"{base}/sign-in/callback")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/workspace")
    assert page.url == f"{base}/sign-in"
    check(page, "sign-in-single-sign-on")
    page.click("#sign-in-oidc")
    page.wait_for_url(f"{provider.issuer}/authorize?*")
    page.fill("#username", username)
    page.fill("#password", provider.users[username].password)
    page.click("#login")
    page.wait_for_url(f"{base}/")
    return page


def test_a_lead_records_the_quarter_end_update_a_comment_and_the_return(
    sso_app: FastAPI, provider: Provider, client: TestClient, admin: dict, strands: dict
) -> None:
    hate = strands["hate_tasks"]
    five, sixth, seventh = hate[:5], hate[5], hate[6]
    day = Quarter.of(today()).previous().last_day.isoformat()
    note = "Signed off at the Hate Crime board."
    comment = "Venue for the October launch still to be confirmed."
    rule = {"role": "lead", "strands": ["hate-crime"]}
    access = client.put("/api/v1/access/Tracker.HateCrimeLead", json=rule, headers=admin)
    assert access.status_code in (200, 201), access.text
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Tracker.HateCrimeLead"])
    factories.risk(client, admin, seventh["strand_id"], ref="A1", task_id=seventh["id"])
    with serve(sso_app) as base, chromium() as browser:
        page = sign_in_with_provider(browser, base, provider, "amy")
        assert page.locator("header.band span").inner_text() == "Amy Shah (lead)"
        page.goto(f"{base}/workspace")
        check(page, "workspace")
        assert page.locator("input[name=task_id]").count() == 7
        for task in five:
            page.check(f"#pick-{task['id']}")
        page.get_by_label("New status").select_option("complete")
        page.get_by_label("Effective date").fill(day)
        page.get_by_label("Note", exact=True).fill(note)
        page.click("button[value=review]")
        page.wait_for_selector("h1:text('Confirm the update')")
        fields = "main form :is(select, textarea, input:not([type=hidden]))"
        assert page.locator(fields).count() == 0
        assert page.locator("#to-write dd").all_inner_texts() == [
            "5 tasks, listed below",
            "Complete",
            Quarter.of(today()).previous().last_day.strftime("%-d %B %Y"),
            note,
        ]
        check(page, "update-confirm")
        page.click("button[value=back]")
        page.wait_for_selector("h1:text('Check the update')")
        assert page.locator("#u-note").input_value() == note
        assert page.locator("#u-date").input_value() == day
        check(page, "update-check")
        page.click("button[value=review]")
        page.wait_for_selector("h1:text('Confirm the update')")
        page.click("button[value=apply]")
        page.wait_for_selector("h1:text('Update recorded')")
        assert page.locator("[role=status]").inner_text() == "5 tasks updated."
        check(page, "update-result")

        page.goto(f"{base}/workspace/tasks/{sixth['id']}")
        page.fill("#c-body", comment)
        page.click("form[action$='/comments'] button")
        page.wait_for_selector(f"li.comment:has-text('{comment}')")
        check(page, "task")

        page.goto(f"{base}/workspace/returns/hate-crime")
        for name, text in NARRATIVES.items():
            page.fill(f"#r-{name}", text)
        page.click("button[value=preview]")
        page.wait_for_selector("#previews .preview strong:text('12%')")
        assert page.locator("#r-insight").input_value() == NARRATIVES["insight"]
        page.click("button[value=submit]")
        page.wait_for_selector("[role=status]:text('The return was submitted.')")
        check(page, "return")
        page.goto(f"{base}/workspace/risks/new?task_id={seventh['id']}")
        assert page.locator("#k-description").input_value() == seventh["title"]
        check(page, "risk-form")
        page.goto(f"{base}/workspace/risks/A1")
        assert (
            page.locator("#k-mitigation").input_value() == "Risk deemed low and can be tolerated."
        )
        check(page, "risk-edit")
        quarter = Quarter.of(today()).previous()

    for task in five:
        history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
        assert [
            (e["status"], e["effective_date"], e["note"], e["recorded_by"]) for e in history
        ] == [
            ("ongoing", "2020-04-01", "Task added to the plan.", "admin"),
            ("complete", day, note, "Amy Shah"),
        ]
        assert client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json() == []
    for task in (sixth, seventh, *strands["fraud_tasks"]):
        history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
        assert [e["status"] for e in history] == ["ongoing"]
    comments = client.get(f"/api/v1/tasks/{sixth['id']}/comments", headers=admin).json()
    assert [(c["body"], c["recorded_by"]) for c in comments] == [(comment, "Amy Shah")]
    assert client.get(f"/api/v1/tasks/{seventh['id']}/comments", headers=admin).json() == []
    saved = client.get(f"/api/v1/returns/hate-crime/{quarter}", headers=admin).json()
    assert {name: saved[name] for name in NARRATIVES} == NARRATIVES
    assert (saved["status"], saved["submitted_by"]) == ("submitted", "Amy Shah")


def test_a_viewer_sees_no_write_control_and_another_lead_cannot_reach_the_tasks(
    app: FastAPI, client: TestClient, admin: dict, strands: dict
) -> None:
    task = strands["hate_tasks"][0]
    with serve(app) as base, chromium() as browser:
        for who in ("viewer", "fraud lead"):
            page = sign_in(browser, base, strands["tokens"][who])
            page.goto(f"{base}/workspace?strand=hate-crime")
            assert page.locator("h2").first.inner_text().startswith("Hate Crime")
            assert page.locator("form[method=post]:not([action='/sign-out'])").count() == 0
            assert page.locator("input[name=task_id], textarea, button[value]").count() == 0
            page.goto(f"{base}/workspace/tasks/{task['id']}")
            assert page.locator("textarea, form[action$='/comments']").count() == 0
            page.goto(f"{base}/workspace/returns/hate-crime")
            assert page.locator("textarea").count() == 0
            check(page, f"read-only-{who.replace(' ', '-')}")
            if who == "viewer":
                page.goto(f"{base}/board?quarter=2020-21-Q1")
                assert page.locator("img.chart").evaluate("img => img.naturalWidth") > 0
                check(page, "board")
                page.click("a[aria-label='7 tasks of Hate Crime']")
                page.wait_for_selector("h1:text('Hate Crime: 7 tasks at the end of 2020/21 Q1')")
                assert page.locator("#counted tbody tr").count() == 7
                check(page, "board-tasks")
                page.goto(f"{base}/workspace/risks?strand=hate-crime")
                check(page, "risks")
                page.goto(f"{base}/?quarter=2020-21-Q1")
                check(page, "dashboard")
                page.goto(f"{base}/workspace?strand=hate-crime")
                check(page, "workspace-read-only")
                page.goto(f"{base}/board/paper?quarter=2020-21-Q1")
                assert page.locator("#draft h3").first.inner_text() == "1.0 Purpose of Report"
                assert page.locator("textarea, form[method=post][action^='/board']").count() == 0
                check(page, "paper-read-only")
                page.goto(f"{base}/workspace/tasks/999999")
                assert page.locator("[role=alert]").inner_text() == "no task with id 999999"
                check(page, "message")
            # Sent from this site's own page, with its cookie: still refused, nothing written.
            forged = page.request.post(
                f"{base}/workspace/tasks/{task['id']}/comments",
                form={"body": "Not my strand"},
                headers={"Origin": base},
            )
            assert forged.status == 403
            page.context.close()
    assert client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json() == []


def test_the_board_author_edits_publishes_and_restates_the_paper(
    app: FastAPI, client: TestClient, admin: dict, strands: dict
) -> None:
    purpose = "To update the board on **2020/21 Q1**."
    factories.pcp_plan(client, admin)
    with serve(app) as base, chromium() as browser:
        page = sign_in(browser, base, strands["tokens"]["author"])
        page.goto(f"{base}/board/paper?quarter=2020-21-Q1")
        page.fill("#p-purpose-body", purpose)
        page.click("button[value=preview]")
        page.wait_for_selector("#previews .preview strong:text('2020/21 Q1')")
        assert page.locator("#p-purpose-body").input_value() == purpose
        check(page, "paper-draft")
        page.click("button[value=save]")
        page.wait_for_selector("[role=status]:text('The draft was saved.')")
        page.click("#to-publish")
        page.wait_for_selector("h1:text('Publish the board paper: 2020/21 Q1')")
        frame = page.frame_locator("iframe.paper-preview")
        frame.locator("p:text('Published version 1.')").wait_for()
        title = frame.locator("h1").inner_text()
        assert title.endswith("quarterly board report, 2020/21 Q1")
        written = frame.locator("p", has_text="To update the board on")
        assert written.inner_html() == "To update the board on <strong>2020/21 Q1</strong>."
        check(page, "paper-publish")
        # Publishing renders every format (Word, PDF, …): on a loaded machine, give it time.
        confirm = page.locator("button:text('Confirm and publish version 1')")
        confirm.scroll_into_view_if_needed()
        with page.expect_navigation(url="**/board/paper?*done=published*", timeout=180_000):
            # The click itself waits for the navigation it starts: as long, not its 30 s.
            confirm.click(timeout=180_000)
        page.wait_for_selector("[role=status]:text('Version 1 of the paper was published.')")
        assert page.locator("#published strong").first.inner_text() == "2020/21 Q1"
        assert page.locator("#published textarea, #published input").count() == 0
        check(page, "paper-published")
        page.fill("#p-reason", "Two Hate Crime tasks were left out.")
        page.click("button:text('Restate with this reason')")
        page.wait_for_selector("[role=status]:text('The paper is reopened for correction')")
        assert page.locator("#p-purpose-body").input_value() == purpose
        check(page, "paper-restating")
        page.goto(f"{base}/workspace/commentary")
        page.wait_for_selector("h1:text('Police and Crime Plan 2021-2024: commentary')")
        check(page, "commentary")
    versions = client.get("/api/v1/board-papers/2020-21-Q1/versions", headers=admin).json()
    assert [(v["version"], v["published_by"]) for v in versions] == [(1, "Board author")]
    paper = client.get("/api/v1/board-papers/2020-21-Q1", headers=admin).json()
    assert (paper["status"], paper["sections"][0]["body"]) == ("draft", purpose)
