"""The lead's workspace over HTTP: what each person is offered, and bad forms changing nothing."""

import re

from fastapi.testclient import TestClient

from app.core.base import today
from app.core.quarters import Quarter
from tests import factories
from tests.web.conftest import HERE


def history(client: TestClient, admin: dict, task: dict) -> list[tuple[str, str]]:
    events = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
    return [(e["status"], e["effective_date"]) for e in events]


def csrf(person: TestClient) -> str:
    """The session's CSRF token, as the signed-in pages carry it in their forms."""
    page = person.get("/workspace").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def update(lead: TestClient, tasks: list[dict], headers: dict = HERE, **fields: str):
    form = {
        "csrf_token": csrf(lead),
        "task_id": [str(t["id"]) for t in tasks],
        "seen": [f"{t['id']}:{t['version']}" for t in tasks],
        "step": "apply",
        **fields,
    }
    return lead.post("/workspace/update", data=form, headers=headers)


def test_the_workspace_groups_a_leads_tasks_by_plan_and_pillar_with_flags(
    browser_as, strands: dict
) -> None:
    lead = browser_as("hate lead")
    page = lead.get("/workspace")
    assert page.status_code == 200
    text = page.text
    assert text.count('name="task_id"') == 7
    assert "Fraud task" not in text
    assert text.index("<h4>prevent</h4>") < text.index("Hate task 4") < text.index("<h4>protect")
    assert text.count('class="flag overdue"') == 1
    overdue = lead.get("/workspace", params={"flag": "overdue"}).text
    assert (overdue.count('name="task_id"'), "Hate task 7" in overdue) == (1, True)
    found = lead.get("/workspace", params={"q": "task 3"}).text
    assert found.count('name="task_id"') == 1


def test_a_note_alone_is_a_comment_on_each_task_and_no_status_event(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    two = strands["hate_tasks"][:2]
    response = update(lead, two, status="", note="Discussed at the partnership forum.")
    assert response.status_code == 200, response.text
    assert "The note was added to 2 tasks as a comment." in response.text
    for task in two:
        assert history(client, admin, task) == [("ongoing", "2020-04-01")]
        comments = client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json()
        assert [c["body"] for c in comments] == ["Discussed at the partnership forum."]


def test_forms_from_elsewhere_or_without_the_csrf_token_are_refused_and_write_nothing(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    task = strands["hate_tasks"][0]
    for headers in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/"}):
        response = update(lead, [task], headers=headers, status="complete", note="x")
        assert response.status_code == 403, headers
        assert "nothing was changed" in response.text
        comment = lead.post(
            f"/workspace/tasks/{task['id']}/comments",
            data={"body": "x", "csrf_token": csrf(lead)},
            headers=headers,
        )
        assert comment.status_code == 403
        saved = lead.post(
            "/workspace/returns/hate-crime",
            data={"quarter": "2020-21-Q1", "insight": "x", "csrf_token": csrf(lead)},
            headers=headers,
        )
        assert saved.status_code == 403
    for token in ("", "not-the-sessions-token"):
        response = update(lead, [task], csrf_token=token, status="complete", note="x")
        assert response.status_code == 403
        assert "nothing was changed" in response.text
        comment = lead.post(
            f"/workspace/tasks/{task['id']}/comments",
            data={"body": "x", "csrf_token": token},
            headers=HERE,
        )
        assert comment.status_code == 403
    assert history(client, admin, task) == [("ongoing", "2020-04-01")]
    assert client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json() == []
    assert client.get("/api/v1/returns", headers=admin).json()["total"] == 0


def test_a_stale_form_says_what_changed_and_keeps_what_was_typed(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    task = strands["hate_tasks"][0]
    factories.status(client, admin, task["id"], "at_risk", "2020-06-01")
    response = update(lead, [task], status="complete", note="Typed before the change")
    assert response.status_code == 409
    assert "changed by someone else after you loaded the page" in response.text
    assert "now At risk, changed by admin" in response.text
    assert ">Typed before the change</textarea>" in response.text
    assert history(client, admin, task) == [("ongoing", "2020-04-01"), ("at_risk", "2020-06-01")]


def test_a_date_in_a_closed_quarter_is_shown_in_words(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    factories.created(
        client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q1"}, headers=admin)
    )
    lead = browser_as("hate lead")
    task = strands["hate_tasks"][0]
    response = update(lead, [task], status="complete", effective_date="2020-05-01", note="Late")
    assert response.status_code == 409
    assert "locked" in response.text
    assert "nothing was recorded" in response.text
    assert ">Late</textarea>" in response.text
    assert history(client, admin, task) == [("ongoing", "2020-04-01")]


def test_a_stale_return_keeps_the_typed_text_and_shows_the_saved_one(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    quarter = str(Quarter.of(today()).previous())
    first = lead.post(
        "/workspace/returns/hate-crime",
        data={"quarter": quarter, "insight": "Draft one", "csrf_token": csrf(lead)},
        headers=HERE,
        follow_redirects=False,
    )
    assert first.status_code == 303
    url = f"/api/v1/returns/hate-crime/{quarter}"
    tag = client.get(url, headers=admin).headers["etag"]
    client.put(url, json={"insight": "Admin's edit"}, headers={**admin, "If-Match": tag})
    stale = lead.post(
        "/workspace/returns/hate-crime",
        data={
            "quarter": quarter,
            "insight": "My second draft",
            "version": "1",
            "csrf_token": csrf(lead),
        },
        headers=HERE,
    )
    assert stale.status_code == 409
    assert ">My second draft</textarea>" in stale.text
    assert "<pre>Admin&#39;s edit</pre>" in stale.text
    assert client.get(url, headers=admin).json()["insight"] == "Admin's edit"


def test_submitting_an_incomplete_return_explains_and_keeps_the_text(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    quarter = str(Quarter.of(today()).previous())
    response = lead.post(
        "/workspace/returns/hate-crime",
        data={
            "quarter": quarter,
            "insight": "Only this",
            "action": "submit",
            "csrf_token": csrf(lead),
        },
        headers=HERE,
    )
    assert response.status_code == 422
    assert "a return needs all three narratives" in response.text
    assert ">Only this</textarea>" in response.text
    assert client.get("/api/v1/returns", headers=admin).json()["total"] == 0


def test_viewers_and_other_leads_are_offered_no_writes(browser_as, strands: dict) -> None:
    task = strands["hate_tasks"][0]
    for who in ("viewer", "fraud lead"):
        person = browser_as(who)
        page = person.get("/workspace", params={"strand": "hate-crime"}).text
        assert 'name="task_id"' not in page and 'action="/workspace/update"' not in page
        assert "<textarea" not in person.get(f"/workspace/tasks/{task['id']}").text
        assert "<textarea" not in person.get("/workspace/returns/hate-crime").text
        refused = update(person, [task], status="complete", note="x")
        assert refused.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/workspace", "/workspace/tasks/1", "/workspace/returns/hate-crime"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/sign-in")


def test_a_preview_shows_the_markdown_as_the_board_will_and_saves_nothing(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    quarter = str(Quarter.of(today()).previous())
    response = lead.post(
        "/workspace/returns/hate-crime",
        data={
            "quarter": quarter,
            "insight": "Up **12%**\n\n<script>alert(1)</script>",
            "action": "preview",
            "csrf_token": csrf(lead),
        },
        headers=HERE,
    )
    assert response.status_code == 200
    assert "<strong>12%</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert client.get("/api/v1/returns", headers=admin).json()["total"] == 0


def test_absurd_ids_are_refused_plainly(browser_as, strands: dict) -> None:
    lead = browser_as("hate lead")
    huge = "99999999999"
    assert lead.get(f"/workspace/tasks/{huge}").status_code == 422
    assert lead.get("/workspace/tasks/999999").status_code == 404
    response = lead.post(
        "/workspace/update",
        data={"task_id": [huge], "note": "x", "csrf_token": csrf(lead)},
        headers=HERE,
    )
    assert response.status_code == 422
    missing = lead.post(
        "/workspace/update",
        data={"task_id": ["999999"], "note": "x", "csrf_token": csrf(lead)},
        headers=HERE,
    )
    assert (missing.status_code, "no task with id 999999" in missing.text) == (404, True)
    assert lead.get("/workspace/risks/new", params={"task_id": huge}).status_code == 422


def test_the_confirm_step_shows_what_will_be_written_read_only_and_back_reopens_it(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    lead = browser_as("hate lead")
    two = strands["hate_tasks"][:2]
    fields = {"status": "complete", "effective_date": "2020-06-30", "note": "Signed off"}
    review = update(lead, two, step="review", **fields)
    assert review.status_code == 200
    summary = re.search(r'<dl class="summary" id="to-write">(.*?)</dl>', review.text, re.S)[1]
    assert re.findall(r"<dd[^>]*>(.*?)</dd>", summary) == [
        "2 tasks, listed below",
        "Complete",
        "30 June 2020",
        "Signed off",
    ]
    assert re.findall(r"<(select|textarea)|<input (?![^>]*hidden)", review.text) == []
    for name, value in fields.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in review.text
    assert re.findall(
        r'<button type="submit" name="step" value="(\w+)">(\w+)</button>', review.text
    ) == [
        ("back", "Back"),
        ("apply", "Confirm"),
    ]
    back = update(lead, two, step="back", **fields)
    assert back.status_code == 200
    assert '<option value="complete" selected>' in back.text
    assert 'name="effective_date" type="date" value="2020-06-30"' in back.text
    assert ">Signed off</textarea>" in back.text
    for task in two:
        assert history(client, admin, task) == [("ongoing", "2020-04-01")]

    comment = update(lead, two[:1], step="review", status="", note="Forum next week")
    summary = re.search(r'<dl class="summary" id="to-write">(.*?)</dl>', comment.text, re.S)[1]
    assert re.findall(r"<dd[^>]*>(.*?)</dd>", summary) == [
        "1 task, listed below",
        "No change: the note is added to each task as a comment",
        "Forum next week",
    ]
    assert client.get(f"/api/v1/tasks/{two[0]['id']}/comments", headers=admin).json() == []
