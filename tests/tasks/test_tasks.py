"""The task API as thematic leads use it: tasks, dated status events, history, rules."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.core.base import today
from tests import factories

PLAN_TASK = {"pillar": "pursue", "title": "Target repeat offenders", "added_on": "2020-04-01"}


def total(client: TestClient, headers: dict, **params) -> int:
    return client.get("/api/v1/tasks", params=params, headers=headers).json()["total"]


def test_create_task_records_its_first_event(client: TestClient, admin: dict, world) -> None:
    plan = world["hate_plan"]
    response = client.post(
        "/api/v1/tasks",
        json={
            **PLAN_TASK,
            "plan_id": plan["id"],
            "task_no": 3,
            "owner": "DI Smith",
            "due_text": "1st review 15/6/18",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    task = response.json()
    assert response.headers["etag"]
    assert (task["strand"], task["strand_id"]) == ("hate-crime", plan["strand_id"])
    assert (task["status"], task["version"], task["task_no"]) == ("ongoing", 1, 3)
    assert (task["due_text"], task["due_date"]) == ("1st review 15/6/18", "2018-06-15")
    history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
    assert [(e["status"], e["effective_date"], e["recorded_by"]) for e in history] == [
        ("ongoing", "2020-04-01", "admin")
    ]
    assert datetime.fromisoformat(history[0]["recorded_at"]).utcoffset() == timedelta(0)


def test_added_on_defaults_to_today_and_status_may_be_given(
    client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"], added_on=None, status="complete")
    assert (task["added_on"], task["status"]) == (today().isoformat(), "complete")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pillar": "protection"}, "pillar"),
        ({"status": "done"}, "status"),
        ({"added_on": "15/06/2018"}, "added_on"),
        ({"due_date": "2020-02-30"}, "due_date"),
        ({"title": ""}, "title"),
        ({"title": "x" * 2001}, "title"),
        ({"title": "bad\x00byte"}, "title"),
        ({"id": 7}, "id"),
        ({"version": 9}, "version"),
        ({"strand_id": 2}, "strand_id"),
        ({"task_no": 0}, "task_no"),
    ],
)
def test_bad_task_input_names_the_field_and_writes_nothing(
    client: TestClient, admin: dict, world, change: dict, field: str
) -> None:
    body = {**PLAN_TASK, "plan_id": world["hate_plan"]["id"], **change}
    response = client.post("/api/v1/tasks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert total(client, admin) == 0


def test_future_added_on_and_missing_plan_are_refused(
    client: TestClient, admin: dict, world
) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    future = {**PLAN_TASK, "plan_id": world["hate_plan"]["id"], "added_on": tomorrow}
    assert client.post("/api/v1/tasks", json=future, headers=admin).status_code == 422
    nowhere = {**PLAN_TASK, "plan_id": 999}
    assert client.post("/api/v1/tasks", json=nowhere, headers=admin).status_code == 404
    assert total(client, admin) == 0


def test_task_numbers_are_unique_within_a_plans_pillar(
    client: TestClient, admin: dict, world
) -> None:
    plan_id = world["hate_plan"]["id"]
    factories.task(client, admin, plan_id, task_no=1)
    again = client.post(
        "/api/v1/tasks",
        json={**PLAN_TASK, "pillar": "prevent", "plan_id": plan_id, "task_no": 1},
        headers=admin,
    )
    assert again.status_code == 409
    factories.task(client, admin, plan_id, task_no=1, pillar="protect")
    assert total(client, admin) == 2


def test_status_events_set_the_status_as_of_the_latest_effective_date(
    client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    url = f"/api/v1/tasks/{task['id']}"
    event = factories.status(client, admin, task["id"], "at_risk", "2020-07-10", "no funding")
    assert {
        k: event[k] for k in ("task_id", "status", "effective_date", "note", "recorded_by")
    } == {
        "task_id": task["id"],
        "status": "at_risk",
        "effective_date": "2020-07-10",
        "note": "no funding",
        "recorded_by": "admin",
    }
    factories.status(client, admin, task["id"], "complete", "2020-09-01")
    # Recorded later but effective earlier: it joins the history without changing today's status.
    factories.status(client, admin, task["id"], "ongoing", "2020-05-01")
    current = client.get(url, headers=admin).json()
    assert (current["status"], current["version"]) == ("complete", 4)
    history = client.get(f"{url}/history", headers=admin).json()
    assert [(e["effective_date"], e["status"]) for e in history] == [
        ("2020-04-01", "ongoing"),
        ("2020-05-01", "ongoing"),
        ("2020-07-10", "at_risk"),
        ("2020-09-01", "complete"),
    ]


def test_status_effective_date_defaults_to_today(client: TestClient, admin: dict, world) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    response = client.post(
        f"/api/v1/tasks/{task['id']}/status", json={"status": "withdrawn"}, headers=admin
    )
    assert response.status_code == 201
    assert response.json()["effective_date"] == today().isoformat()
    kept = client.get(f"/api/v1/tasks/{task['id']}", headers=admin).json()
    assert kept["status"] == "withdrawn"


@pytest.mark.parametrize("when", ["2020-03-31", "future"])
def test_event_before_the_task_or_in_the_future_is_refused(
    client: TestClient, admin: dict, world, when: str
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    day = (today() + timedelta(days=1)).isoformat() if when == "future" else when
    response = client.post(
        f"/api/v1/tasks/{task['id']}/status",
        json={"status": "complete", "effective_date": day},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "effective_date"
    assert len(client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()) == 1


def test_lead_changes_only_tasks_of_their_strands(client: TestClient, admin: dict, world) -> None:
    lead = world["lead"]
    own = factories.task(client, lead, world["hate_plan"]["id"])
    other = factories.task(client, admin, world["fraud_plan"]["id"])
    assert own["created_by"] == "Hate lead"

    refused = client.post(
        "/api/v1/tasks", json={**PLAN_TASK, "plan_id": world["fraud_plan"]["id"]}, headers=lead
    )
    assert refused.status_code == 403
    status = {"status": "complete", "effective_date": "2020-06-01"}
    assert (
        client.post(f"/api/v1/tasks/{other['id']}/status", json=status, headers=lead).status_code
        == 403
    )
    tag = client.get(f"/api/v1/tasks/{other['id']}", headers=lead).headers["etag"]
    patch = client.patch(
        f"/api/v1/tasks/{other['id']}", json={"owner": "me"}, headers={**lead, "If-Match": tag}
    )
    assert patch.status_code == 403
    assert (
        client.post(f"/api/v1/tasks/{own['id']}/status", json=status, headers=lead).status_code
        == 201
    )
    assert total(client, admin, strand="digital-crime-and-fraud") == 1
    assert client.get(f"/api/v1/tasks/{other['id']}", headers=admin).json()["version"] == 1


def test_viewer_reads_tasks_but_changes_none(
    client: TestClient, admin: dict, viewer: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=viewer).status_code == 200
    body = {**PLAN_TASK, "plan_id": world["hate_plan"]["id"]}
    assert client.post("/api/v1/tasks", json=body, headers=viewer).status_code == 403
    assert (
        client.post(
            f"/api/v1/tasks/{task['id']}/status", json={"status": "complete"}, headers=viewer
        ).status_code
        == 403
    )
    assert total(client, admin) == 1


def test_patch_edits_fields_but_never_status(client: TestClient, admin: dict, world) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"], due_text="Sep-18")
    url = f"/api/v1/tasks/{task['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    for forbidden in ({"status": "complete"}, {"version": 5}, {"recorded_by": "x"}):
        refused = client.patch(url, json=forbidden, headers={**admin, "If-Match": tag})
        assert refused.status_code == 422
    response = client.patch(
        url,
        json={"owner": "DS Jones", "due_text": "End July 2018", "how": None},
        headers={**admin, "If-Match": tag},
    )
    assert response.status_code == 200
    edited = response.json()
    assert (edited["owner"], edited["due_date"], edited["how"]) == ("DS Jones", "2018-07-31", "")
    assert (edited["status"], edited["version"]) == ("ongoing", 2)


def test_patch_without_or_with_a_stale_etag_changes_nothing(
    client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    url = f"/api/v1/tasks/{task['id']}"
    old = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, json={"owner": "A"}, headers=admin).status_code == 428
    factories.status(client, admin, task["id"], "at_risk", "2020-05-01")
    stale = client.patch(url, json={"owner": "A"}, headers={**admin, "If-Match": old})
    assert stale.status_code == 412
    assert stale.json()["current"]["status"] == "at_risk"
    assert stale.json()["current_etag"] == client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers=admin).json()["owner"] == ""


def test_a_status_sent_with_a_stale_etag_is_refused(client: TestClient, admin: dict, world) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"], added_on="2020-04-01")
    url = f"/api/v1/tasks/{task['id']}"
    read = client.get(url, headers=admin).headers["etag"]
    change = {"status": "at_risk", "effective_date": "2020-05-01"}
    first = client.post(f"{url}/status", json=change, headers={**admin, "If-Match": read})
    assert first.status_code == 201
    stale = client.post(
        f"{url}/status", json={**change, "status": "complete"}, headers={**admin, "If-Match": read}
    )
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == client.get(url, headers=admin).headers["etag"]
    assert [e["status"] for e in client.get(f"{url}/history", headers=admin).json()] == [
        "ongoing",
        "at_risk",
    ]


def test_list_filters_sorts_and_pages(client: TestClient, admin: dict, world) -> None:
    hate, fraud = world["hate_plan"]["id"], world["fraud_plan"]["id"]
    a = factories.task(
        client,
        admin,
        hate,
        "Hate crime ambassadors",
        task_no=1,
        owner="Insp Khan",
        due_date="2019-03-31",
    )
    b = factories.task(
        client,
        admin,
        hate,
        "Third party reporting",
        task_no=2,
        pillar="protect",
        how="Train 100% of centres",
    )
    c = factories.task(
        client, admin, fraud, "Banking protocol", owner="insp khan", due_date="2030-01-01"
    )
    factories.status(client, admin, b["id"], "complete", "2020-05-01")

    def ids(**params) -> list[int]:
        body = client.get("/api/v1/tasks", params=params, headers=admin).json()
        return [t["id"] for t in body["items"]]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(strand="hate-crime") == [a["id"], b["id"]]
    assert ids(plan_id=fraud) == [c["id"]]
    assert ids(pillar="protect") == [b["id"]]
    assert ids(status="complete") == [b["id"]]
    assert ids(owner="INSP KHAN") == [a["id"], c["id"]]
    assert ids(overdue="true") == [a["id"]]
    assert ids(q="100%") == [b["id"]]
    assert ids(q="protocol") == [c["id"]]
    assert ids(sort="-due_date") == [c["id"], a["id"], b["id"]]
    page = client.get("/api/v1/tasks", params={"limit": 1, "offset": 1}, headers=admin).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [t["id"] for t in page["items"]] == [b["id"]]
    assert client.get("/api/v1/tasks?limit=501", headers=admin).status_code == 422
    assert client.get("/api/v1/tasks?status=finished", headers=admin).status_code == 422
    overdue = client.get(f"/api/v1/tasks/{a['id']}", headers=admin).json()
    assert overdue["overdue"] is True


def test_batch_applies_every_event_or_none(client: TestClient, admin: dict, world) -> None:
    plan = world["hate_plan"]["id"]
    tasks = [factories.task(client, admin, plan, f"Task {n}", task_no=n) for n in (1, 2, 3)]
    good = [
        {"task_id": t["id"], "status": "complete", "effective_date": "2020-06-30"} for t in tasks
    ]
    bad = [
        *good[:2],
        {"task_id": tasks[2]["id"], "status": "complete", "effective_date": "2019-01-01"},
        {"task_id": 999, "status": "complete"},
    ]
    refused = client.post("/api/v1/tasks/status-batch", json={"events": bad}, headers=admin)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["events.3.task_id"]
    bad = bad[:3]
    refused = client.post("/api/v1/tasks/status-batch", json={"events": bad}, headers=admin)
    assert [e["field"] for e in refused.json()["errors"]] == ["events.2.effective_date"]
    assert total(client, admin, status="complete") == 0

    done = client.post("/api/v1/tasks/status-batch", json={"events": good}, headers=admin)
    assert done.status_code == 201
    assert [e["task_id"] for e in done.json()["events"]] == [t["id"] for t in tasks]
    assert total(client, admin, status="complete") == 3


def test_batch_is_refused_whole_when_one_task_is_another_strands(
    client: TestClient, admin: dict, world
) -> None:
    own = factories.task(client, admin, world["hate_plan"]["id"])
    other = factories.task(client, admin, world["fraud_plan"]["id"])
    events = [
        {"task_id": own["id"], "status": "complete"},
        {"task_id": other["id"], "status": "complete"},
    ]
    response = client.post(
        "/api/v1/tasks/status-batch", json={"events": events}, headers=world["lead"]
    )
    assert response.status_code == 403
    assert total(client, admin, status="complete") == 0


def test_idempotent_retry_writes_one_row(client: TestClient, admin: dict, world) -> None:
    body = {**PLAN_TASK, "plan_id": world["hate_plan"]["id"]}
    headers = {**admin, "Idempotency-Key": "create-task-1"}
    first = client.post("/api/v1/tasks", json=body, headers=headers)
    again = client.post("/api/v1/tasks", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert total(client, admin) == 1

    changed = client.post("/api/v1/tasks", json={**body, "title": "Other"}, headers=headers)
    assert changed.status_code == 422
    assert total(client, admin) == 1

    event = {"status": "complete", "effective_date": "2020-06-01"}
    url = f"/api/v1/tasks/{first.json()['id']}/status"
    key = {**admin, "Idempotency-Key": "status-1"}
    assert (
        client.post(url, json=event, headers=key).json()
        == client.post(url, json=event, headers=key).json()
    )
    history = client.get(f"/api/v1/tasks/{first.json()['id']}/history", headers=admin).json()
    assert len(history) == 2


def test_a_refused_request_does_not_use_up_its_key(client: TestClient, admin: dict, world) -> None:
    headers = {**admin, "Idempotency-Key": "retry-me"}
    body = {**PLAN_TASK, "plan_id": world["hate_plan"]["id"], "added_on": "2099-01-01"}
    assert client.post("/api/v1/tasks", json=body, headers=headers).status_code == 422
    body["added_on"] = "2020-04-01"
    assert client.post("/api/v1/tasks", json=body, headers=headers).status_code == 201
