"""The board paper's page: the author's draft sections with a preview, a stale form kept, and
(admin) publishing after seeing the paper as it will be published, then restating it."""

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.web.conftest import HERE

QUARTER = "2020-21-Q1"
API = f"/api/v1/board-papers/{QUARTER}"
KEYS = [
    "purpose",
    "recommendations",
    "exceptions",
    "strategy_progress",
    "implications",
    "consultation",
    "actions",
    "future_work",
]


def page_of(person: TestClient, **query: str) -> str:
    response = person.get("/board/paper", params={"quarter": QUARTER, **query})
    assert response.status_code == 200, response.text
    return response.text


def csrf(person: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_of(person))[1]


def form(person: TestClient, version: int, bodies: dict[str, str], **fields) -> dict:
    """The page's form as a browser sends it: every section, its sub-sections and blank rows."""
    sections = person.get(API).json()["sections"]
    data: dict[str, list[str] | str] = {
        "csrf_token": csrf(person),
        "quarter": QUARTER,
        "version": str(version),
        "section_key": [],
        "section_title": [],
        "section_body": [],
        "sub_key": [],
        "sub_title": [],
        "sub_body": [],
        **fields,
    }
    for s in sections:
        data["section_key"].append(s["key"])
        data["section_title"].append(s["title"])
        data["section_body"].append(bodies.get(s["key"], s["body"]))
        for sub in [*s["subsections"], {"title": "", "body": ""}]:
            data["sub_key"].append(s["key"])
            data["sub_title"].append(sub["title"])
            data["sub_body"].append(sub["body"])
    return data


def post(person: TestClient, path: str, data: dict, follow: bool = False):
    return person.post(path, data=data, headers=HERE, follow_redirects=follow)


def test_the_author_edits_previews_and_saves_the_drafts_sections(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    text = page_of(author)
    assert re.findall(r'name="section_key" value="(\w+)"', text) == KEYS
    assert "<legend>6.0 Implications</legend>" in text
    assert 'id="p-implications-1-title" name="sub_title" value="Links to Police' in text
    assert "<strong>Not started</strong>" in text

    bodies = {"purpose": "To update **the board** on Q1.", "future_work": "- Refresh the plan"}
    previewed = post(author, "/board/paper", form(author, 0, bodies, action="preview"))
    assert previewed.status_code == 200
    assert "<p>To update <strong>the board</strong> on Q1.</p>" in previewed.text
    assert ">To update **the board** on Q1.</textarea>" in previewed.text
    assert author.get(API).json()["version"] == 0

    data = form(author, 0, bodies)
    new_sub = data["sub_key"].index("purpose")
    data["sub_title"][new_sub] = "Background"
    data["sub_body"][new_sub] = "Set by the **2018** board."
    saved = post(author, "/board/paper", data)
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/board/paper?quarter={QUARTER}&done=saved",
    )
    paper = client.get(API, headers=admin).json()
    purpose = paper["sections"][0]
    assert (paper["version"], paper["updated_by"]) == (1, "Board author")
    assert (purpose["body"], purpose["subsections"]) == (
        "To update **the board** on Q1.",
        [{"number": "1.1", "title": "Background", "body": "Set by the **2018** board."}],
    )
    assert [s["body"] for s in paper["sections"]][-1] == "- Refresh the plan"
    # Blank sub-section rows are dropped, the five Implications ones kept.
    assert [len(s["subsections"]) for s in paper["sections"]] == [1, 0, 0, 0, 5, 0, 0, 0]
    assert "The draft was saved." in page_of(author, done="saved")


def test_a_stale_form_says_what_changed_and_keeps_what_the_author_typed(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    assert post(author, "/board/paper", form(author, 0, {"purpose": "First"})).status_code == 303
    loaded = form(author, 1, {"purpose": "Typed on the old page", "consultation": "Partners"})
    tag = client.get(API, headers=admin).headers["etag"]
    theirs = client.get(API, headers=admin).json()["sections"]
    theirs[0]["body"] = "Their edit"
    body = {"sections": [{k: s[k] for k in ("key", "title", "body")} for s in theirs]}
    put = client.put(API, json=body, headers={**admin, "If-Match": tag})
    assert put.status_code == 200, put.text

    stale = post(author, "/board/paper", loaded)
    assert stale.status_code == 409
    assert "admin saved this paper after you loaded the page (it is now at edit 2)" in stale.text
    assert "Nothing was overwritten" in stale.text
    assert ">Typed on the old page</textarea>" in stale.text
    assert ">Partners</textarea>" in stale.text
    assert "<summary>Saved now: 1.0 Purpose of Report</summary><pre>Their edit</pre>" in stale.text
    assert re.findall(r'class="section changed" id="section-(\w+)"', stale.text) == [
        "purpose",
        "implications",
        "consultation",
    ]
    paper = client.get(API, headers=admin).json()
    assert (paper["version"], paper["sections"][0]["body"]) == (2, "Their edit")


def test_an_admin_publishes_after_the_preview_then_restates_with_a_reason(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    bodies = {"purpose": "To update the board on Q1."}
    assert post(author, "/board/paper", form(author, 0, bodies)).status_code == 303

    step = {"csrf_token": csrf(author), "quarter": QUARTER, "version": "1"}
    confirm = post(author, "/board/paper/publish", {**step, "step": "preview"})
    assert confirm.status_code == 200
    assert '<iframe class="paper-preview" sandbox="" srcdoc="&lt;!doctype html&gt;' in confirm.text
    assert "Confirm and publish version 1</button>" in confirm.text
    preview = re.search(r'srcdoc="([^"]*)"', confirm.text)[1]
    assert "Published version 1." in preview
    assert "&lt;p&gt;To update the board on Q1.&lt;/p&gt;" in preview
    assert "2020/21 Q1 is locked" in preview
    # The preview wrote nothing: no version, no lock, the draft still open.
    assert client.get(f"{API}/versions", headers=admin).json() == []
    dashboard = client.get("/api/v1/dashboard", params={"quarter": QUARTER}, headers=admin)
    assert dashboard.json()["locked"] is False
    assert client.get(API, headers=admin).json()["status"] == "draft"

    published = post(author, "/board/paper/publish", {**step, "step": "apply"})
    assert (published.status_code, published.headers["location"]) == (
        303,
        f"/board/paper?quarter={QUARTER}&done=published",
    )
    [version] = client.get(f"{API}/versions", headers=admin).json()
    assert (version["version"], version["published_by"]) == (1, "Board author")
    text = page_of(author, done="published")
    assert "Version 1 of the paper was published." in text
    assert "<strong>Published</strong>: version 1" in text
    assert 'name="section_body"' not in text
    assert 'method="post" action="/board/paper"' not in text
    assert re.findall(r"<textarea[^>]*>", text) == [
        '<textarea id="p-reason" name="reason" rows="3" maxlength="2000" required>'
    ]
    published_html = re.search(r'<div id="published">(.*?)</div>\n', text, re.S)[1]
    assert "<h3>1.0 Purpose of Report</h3>" in published_html
    assert "<p>To update the board on Q1.</p>" in published_html
    links = re.findall(r'<a href="(/api/v1/reports/board\?[^"]+)">', text)
    assert links[:5] == [
        f"/api/v1/reports/board?quarter={QUARTER}&amp;format={f}&amp;version=1"
        for f in ("html", "docx", "pdf", "md", "xlsx")
    ]
    stored = author.get(links[0].replace("&amp;", "&"))
    assert (stored.status_code, stored.headers["x-published-version"]) == (200, "1")
    assert "<p>To update the board on Q1.</p>" in stored.text
    again = post(author, "/board/paper", form(author, 1, {"purpose": "Too late"}))
    assert again.status_code == 409
    assert "is published: an admin must restate it" in again.text
    assert client.get(API, headers=admin).json()["sections"][0]["body"] == bodies["purpose"]

    restate = {"csrf_token": csrf(author), "quarter": QUARTER, "reason": ""}
    refused = post(author, "/board/paper/restatements", restate)
    assert refused.status_code == 422
    assert "reason" in refused.text
    reason = "Two Hate Crime tasks were left out."
    restated = post(author, "/board/paper/restatements", {**restate, "reason": reason})
    assert (restated.status_code, restated.headers["location"]) == (
        303,
        f"/board/paper?quarter={QUARTER}&done=restated",
    )
    text = page_of(author)
    assert "<strong>Being restated</strong> since" in text
    assert f"by Board author: {reason} Publishing the draft makes version 2." in text
    assert 'name="section_body"' in text
    assert (
        post(author, "/board/paper", form(author, 1, {"purpose": "Corrected"})).status_code == 303
    )
    step = {"csrf_token": csrf(author), "quarter": QUARTER, "version": "2"}
    confirm = post(author, "/board/paper/publish", {**step, "step": "preview"}).text
    assert f"2, restating version 1: {reason}</dd>" in confirm
    assert f"Restated on {datetime.now(UTC).day} " in confirm
    assert post(author, "/board/paper/publish", {**step, "step": "apply"}).status_code == 303
    versions = client.get(f"{API}/versions", headers=admin).json()
    assert [(v["version"], v["reason"]) for v in versions] == [(1, ""), (2, reason)]
    rows = re.findall(r'<td data-label="Version">(\d+)</td>', page_of(author))
    assert rows == ["2", "1"]


def test_publishing_a_draft_changed_since_its_preview_publishes_nothing(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    assert post(author, "/board/paper", form(author, 0, {"purpose": "One"})).status_code == 303
    assert post(author, "/board/paper", form(author, 1, {"purpose": "Two"})).status_code == 303
    data = {"csrf_token": csrf(author), "quarter": QUARTER, "version": "1", "step": "apply"}
    stale = post(author, "/board/paper/publish", data)
    assert stale.status_code == 409
    assert "Board author saved the draft after you opened this preview" in stale.text
    assert '<input type="hidden" name="version" value="2">' in stale.text
    assert client.get(f"{API}/versions", headers=admin).json() == []


def test_viewers_and_leads_see_no_write_control_and_their_posts_are_refused(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    assert post(author, "/board/paper", form(author, 0, {"purpose": "Draft"})).status_code == 303
    for who in ("viewer", "hate lead"):
        person = browser_as(who)
        text = page_of(person)
        assert "<h3>1.0 Purpose of Report</h3>" in text and "<p>Draft</p>" in text
        assert re.findall(r"<(textarea|form method=\"post\" action=\"/board)", text) == []
        assert "/board/paper/publish" not in text
        saved = post(person, "/board/paper", form(person, 1, {"purpose": "Mine"}))
        assert (saved.status_code, "only an admin can do this" in saved.text) == (403, True)
        assert "<textarea" not in saved.text
        token = csrf(person)
        for step in ("preview", "apply"):
            publish = {"csrf_token": token, "quarter": QUARTER, "version": "1", "step": step}
            refused = post(person, "/board/paper/publish", publish)
            assert (refused.status_code, "srcdoc" in refused.text) == (403, False)
    client.post(f"{API}/publish", headers=admin)
    for who in ("viewer", "hate lead"):
        person = browser_as(who)
        text = page_of(person)
        assert "<strong>Published</strong>: version 1" in text
        assert "<textarea" not in text and "Restate" not in text
        restate = {"csrf_token": csrf(person), "quarter": QUARTER, "reason": "Mine"}
        assert post(person, "/board/paper/restatements", restate).status_code == 403
    assert [v["version"] for v in client.get(f"{API}/versions", headers=admin).json()] == [1]
    assert client.get(API, headers=admin).json()["sections"][0]["body"] == "Draft"
    assert client.get(API, headers=admin).json()["status"] == "published"


def test_forms_from_elsewhere_or_without_the_csrf_token_write_nothing(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    author = browser_as("author")
    data = form(author, 0, {"purpose": "Forged"})
    for headers in ({}, {"Origin": "https://evil.example"}):
        assert author.post("/board/paper", data=data, headers=headers).status_code == 403
        publish = {"csrf_token": data["csrf_token"], "quarter": QUARTER, "version": "0"}
        assert author.post("/board/paper/publish", data=publish, headers=headers).status_code == 403
    assert post(author, "/board/paper", {**data, "csrf_token": "wrong"}).status_code == 403
    assert client.get(API, headers=admin).json()["version"] == 0
    assert client.get(f"{API}/versions", headers=admin).json() == []


def test_a_bad_quarter_or_form_is_explained(browser_as, strands: dict) -> None:
    author = browser_as("author")
    bad = author.get("/board/paper", params={"quarter": "2020-Q9"})
    assert (bad.status_code, "is not a quarter" in bad.text) == (422, True)
    data = form(author, 0, {})
    data["section_key"][1] = "purpose"
    twice = post(author, "/board/paper", data)
    assert twice.status_code == 422
    assert "each section once: purpose given twice" in twice.text
