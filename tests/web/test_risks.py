"""Risks in the workspace: registered from a task at risk, mitigation and 5T response edited."""

from fastapi.testclient import TestClient

from tests import factories
from tests.web.conftest import HERE
from tests.web.test_workspace import csrf


def test_a_lead_registers_a_risk_from_a_task_at_risk_and_edits_its_response(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    task = strands["hate_tasks"][2]
    factories.status(client, admin, task["id"], "at_risk", "2020-06-01")
    lead = browser_as("hate lead")
    listed = lead.get("/workspace/risks", params={"strand": "hate-crime"}).text
    assert f'href="/workspace/risks/new?task_id={task["id"]}"' in listed
    form = lead.get("/workspace/risks/new", params={"task_id": task["id"]}).text
    assert ">Hate task 3</textarea>" in form
    created = lead.post(
        "/workspace/risks",
        data={
            "task_id": task["id"],
            "description": "Venue may be withdrawn",
            "owner": "PC Shah",
            "mitigation": "Second venue on hold",
            "response": "treat",
            "likelihood": "3",
            "impact": "4",
            "csrf_token": csrf(lead),
        },
        headers=HERE,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    [risk] = client.get("/api/v1/risks", headers=admin).json()["items"]
    assert (risk["ref"], risk["task_id"], risk["score"], risk["response"]) == (
        "A1",
        task["id"],
        12,
        "treat",
    )
    listed = lead.get("/workspace/risks", params={"strand": "hate-crime"}).text
    assert 'aria-label="Edit risk A1"' in listed
    assert "Every task at risk has an open risk." in listed

    edited = lead.post(
        "/workspace/risks/A1",
        data={
            "mitigation": "Booked the library as well",
            "response": "tolerate",
            "version": str(risk["version"]),
            "csrf_token": csrf(lead),
        },
        headers=HERE,
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    after = client.get("/api/v1/risks/A1", headers=admin).json()
    assert (after["mitigation"], after["response"]) == ("Booked the library as well", "tolerate")

    stale = lead.post(
        "/workspace/risks/A1",
        data={
            "mitigation": "Typed on an old page",
            "response": "treat",
            "version": str(risk["version"]),
            "csrf_token": csrf(lead),
        },
        headers=HERE,
    )
    assert stale.status_code == 409
    assert "changed this risk after you loaded the page" in stale.text
    assert ">Typed on an old page</textarea>" in stale.text
    assert client.get("/api/v1/risks/A1", headers=admin).json()["version"] == after["version"]


def test_a_risk_without_a_mitigation_is_refused_and_the_form_kept(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    task = strands["hate_tasks"][0]
    lead = browser_as("hate lead")
    response = lead.post(
        "/workspace/risks",
        data={
            "task_id": task["id"],
            "description": "Partners withdraw",
            "owner": "PC Shah",
            "mitigation": "",
            "response": "treat",
            "csrf_token": csrf(lead),
        },
        headers=HERE,
    )
    assert response.status_code == 422
    assert "mitigation" in response.text
    assert ">Partners withdraw</textarea>" in response.text
    assert client.get("/api/v1/risks", headers=admin).json()["total"] == 0


def test_viewers_and_other_leads_cannot_register_or_edit(
    browser_as, strands: dict, client: TestClient, admin: dict
) -> None:
    task = strands["hate_tasks"][0]
    factories.risk(client, admin, task["strand_id"], ref="A1", task_id=task["id"])
    for who in ("viewer", "fraud lead"):
        person = browser_as(who)
        listed = person.get("/workspace/risks", params={"strand": "hate-crime"}).text
        assert "Edit risk" not in listed and "register a risk" not in listed
        assert person.get("/workspace/risks/A1").status_code == 403
        assert person.get("/workspace/risks/new", params={"task_id": task["id"]}).status_code == 403
        refused = person.post(
            "/workspace/risks/A1",
            data={
                "mitigation": "x",
                "response": "treat",
                "version": "1",
                "csrf_token": csrf(person),
            },
            headers=HERE,
        )
        assert refused.status_code == 403
        assert "<textarea" not in refused.text
        registered = person.post(
            "/workspace/risks",
            data={
                "task_id": task["id"],
                "description": "d",
                "owner": "o",
                "mitigation": "m",
                "response": "treat",
                "csrf_token": csrf(person),
            },
            headers=HERE,
        )
        assert registered.status_code == 403
        assert "<textarea" not in registered.text
    assert client.get("/api/v1/risks", headers=admin).json()["total"] == 1
    assert client.get("/api/v1/risks/A1", headers=admin).json()["version"] == 1
