"""Admins subscribe URLs to events; every change is written to the outbox with the change itself."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.webhooks.conftest import SECRET, deliveries, subscribe

URL = "https://intranet.example.org/hooks/4p"


def test_admin_subscribes_and_the_secret_is_never_shown(client: TestClient, admin: dict) -> None:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": URL, "secret": SECRET, "events": ["task.status_changed", "task.created"]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in ("url", "events", "active")} == {
        "url": URL,
        "events": ["task.created", "task.status_changed"],
        "active": True,
    }
    assert response.headers["location"] == f"/api/v1/webhooks/{created['id']}"
    one = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin)
    listed = client.get("/api/v1/webhooks", headers=admin)
    assert one.json() == created
    assert one.headers["etag"] == f'"webhook-{created["id"]}-v1"'
    assert listed.json()["total"] == 1
    assert listed.json()["items"] == [created]
    for answer in (response, one, listed):
        assert SECRET not in answer.text
        assert "secret" not in answer.text


def test_only_admins_see_or_change_webhooks(
    client: TestClient, admin: dict, viewer: dict, make_token: TokenMaker
) -> None:
    hook = subscribe(client, admin, URL, "task.created")
    lead = bearer(make_token("lead", strands=("hate-crime",), name="lead"))
    body = {"url": URL, "secret": SECRET, "events": ["task.created"]}
    for headers in (viewer, lead):
        assert client.post("/api/v1/webhooks", json=body, headers=headers).status_code == 403
        assert client.get("/api/v1/webhooks", headers=headers).status_code == 403
        assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=headers).status_code == 403
        assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=headers).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.get("/api/v1/webhooks", headers=admin).json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://intranet.example.org/hooks"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://user:pw@intranet.example.org/"}, "url"),
        ({"url": "https://intranet.example.org:http/"}, "url"),
        ({"url": "https://intranet.example.org/a b"}, "url"),
        ({"secret": "short"}, "secret"),
        ({"events": []}, "events"),
        ({"events": ["task.deleted"]}, "events.0"),
        ({"events": "task.created"}, "events"),
        ({"active": "maybe"}, "active"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_subscriptions_name_the_field_and_write_nothing(
    client: TestClient, admin: dict, change: dict[str, Any], field: str
) -> None:
    body = {"url": URL, "secret": SECRET, "events": ["task.created"], **change}
    response = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert client.get("/api/v1/webhooks", headers=admin).json()["total"] == 0


def test_patch_needs_the_current_etag_and_changes_what_it_names(
    client: TestClient, admin: dict
) -> None:
    hook = subscribe(client, admin, URL, "task.created")
    url = f"/api/v1/webhooks/{hook['id']}"
    change = {"events": ["task.updated", "task.created"], "active": False, "secret": "x" * 32}
    assert client.patch(url, json=change, headers=admin).status_code == 428
    stale = client.patch(url, json=change, headers={**admin, "If-Match": '"webhook-1-v9"'})
    assert stale.status_code == 412
    tag = client.get(url, headers=admin).headers["etag"]
    response = client.patch(url, json=change, headers={**admin, "If-Match": tag})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["events"], body["active"], body["version"]) == (
        ["task.created", "task.updated"],
        False,
        2,
    )
    assert "x" * 32 not in response.text
    assert response.headers["etag"] == f'"webhook-{hook["id"]}-v2"'
    bad = client.patch(url, json={"url": "file:///etc/passwd"}, headers={**admin, "If-Match": "*"})
    assert bad.status_code == 422
    assert client.get(url, headers=admin).json()["url"] == URL


def test_delete_removes_the_webhook_and_its_log(client: TestClient, admin: dict, plan) -> None:
    hook = subscribe(client, admin, URL, "task.created")
    factories.task(client, admin, plan["id"])
    assert deliveries(client, admin, hook["id"])["total"] == 1
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 404


def test_each_change_queues_one_delivery_per_matching_active_webhook(
    client: TestClient, admin: dict, plan
) -> None:
    statuses = subscribe(client, admin, URL, "task.status_changed")
    edits = subscribe(client, admin, URL + "/edits", "task.created", "task.updated")
    paused = subscribe(client, admin, URL + "/paused", "task.status_changed", active=False)
    task = factories.task(client, admin, plan["id"], owner="Ann")
    url = f"/api/v1/tasks/{task['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, json={"owner": "Bob"}, headers={**admin, "If-Match": tag}).is_success
    tag = client.get(url, headers=admin).headers["etag"]
    unchanged = client.patch(url, json={"owner": "Bob"}, headers={**admin, "If-Match": tag})
    assert unchanged.status_code == 200
    factories.status(client, admin, task["id"], "at_risk", "2020-05-01")

    assert [d["type"] for d in deliveries(client, admin, statuses["id"])["items"]] == [
        "task.status_changed"
    ]
    assert [d["type"] for d in deliveries(client, admin, edits["id"])["items"]] == [
        "task.updated",
        "task.created",
    ]
    assert deliveries(client, admin, paused["id"])["total"] == 0
    pending = deliveries(client, admin, edits["id"])["items"][0]
    assert (pending["status"], pending["attempts"], pending["webhook_id"]) == (
        "pending",
        0,
        edits["id"],
    )


def test_a_refused_change_queues_nothing(client: TestClient, admin: dict, plan) -> None:
    hook = subscribe(client, admin, URL, "task.status_changed", "task.created")
    task = factories.task(client, admin, plan["id"])
    response = client.post(
        f"/api/v1/tasks/{task['id']}/status",
        json={"status": "complete", "effective_date": "2019-01-01"},
        headers=admin,
    )
    assert response.status_code == 422
    batch = client.post(
        "/api/v1/tasks/status-batch",
        json={
            "events": [
                {"task_id": task["id"], "status": "complete", "effective_date": "2020-06-01"},
                {"task_id": task["id"], "status": "at_risk", "effective_date": "2019-06-01"},
            ]
        },
        headers=admin,
    )
    assert batch.status_code == 422
    assert [d["type"] for d in deliveries(client, admin, hook["id"])["items"]] == ["task.created"]


def test_event_data_says_what_changed(client: TestClient, admin: dict, plan) -> None:
    hook = subscribe(client, admin, URL, *("task.created", "task.updated", "task.status_changed"))
    task = factories.task(client, admin, plan["id"], owner="Ann", due_text="June 2020")
    url = f"/api/v1/tasks/{task['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    client.patch(url, json={"owner": "Bob"}, headers={**admin, "If-Match": tag})
    factories.status(client, admin, task["id"], "complete", "2020-07-01", note="Done.")
    factories.status(client, admin, task["id"], "at_risk", "2020-06-01", note="Late entry.")

    items = deliveries(client, admin, hook["id"])["items"]
    data = [
        client.get(f"/api/v1/webhooks/deliveries/{d['id']}", headers=admin).json()["data"]
        for d in reversed(items)
    ]
    keys = {"task_id": task["id"], "strand": "hate-crime", "plan_id": plan["id"]}
    created, updated, completed, backdated = data
    assert created == {**keys, "task": {**task, "version": 1}}
    assert updated["changes"] == {"owner": {"old": "Ann", "new": "Bob"}}
    assert (updated["task"]["owner"], updated["task"]["version"]) == ("Bob", 2)
    assert {k: v for k, v in completed.items() if k not in ("event_id", "recorded_at")} == {
        **keys,
        "status": "complete",
        "old_status": "ongoing",
        "new_status": "complete",
        "effective_date": "2020-07-01",
        "note": "Done.",
        "recorded_by": "admin",
    }
    # Back-dated behind the completion: the event says at_risk, the task stays complete.
    assert (backdated["status"], backdated["old_status"], backdated["new_status"]) == (
        "at_risk",
        "complete",
        "complete",
    )
    history = client.get(f"{url}/history", headers=admin).json()
    assert {e["effective_date"]: e["id"] for e in history[1:]} == {
        "2020-06-01": backdated["event_id"],
        "2020-07-01": completed["event_id"],
    }


def test_delivery_log_pages_and_filters(client: TestClient, admin: dict, plan) -> None:
    hook = subscribe(client, admin, URL, "task.created")
    for n in range(1, 6):
        factories.task(client, admin, plan["id"], f"Task {n}")
    page = deliveries(client, admin, hook["id"], limit=2, offset=1)
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 1, 2)
    assert deliveries(client, admin, hook["id"], status="pending")["total"] == 5
    assert deliveries(client, admin, hook["id"], status="failed")["total"] == 0
    bad = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=lost", headers=admin)
    assert bad.status_code == 422


def test_unknown_or_malformed_delivery_ids(client: TestClient, admin: dict) -> None:
    missing = "/api/v1/webhooks/deliveries/8a0b6f5e-8d2f-4c1e-9a55-0c1d2e3f4a5b"
    assert client.get(missing, headers=admin).status_code == 404
    assert client.post(f"{missing}/replay", headers=admin).status_code == 404
    assert client.get("/api/v1/webhooks/deliveries/42", headers=admin).status_code == 422


def test_a_pending_delivery_cannot_be_replayed(client: TestClient, admin: dict, plan) -> None:
    hook = subscribe(client, admin, URL, "task.created")
    factories.task(client, admin, plan["id"])
    pending = deliveries(client, admin, hook["id"])["items"][0]
    response = client.post(f"/api/v1/webhooks/deliveries/{pending['id']}/replay", headers=admin)
    assert response.status_code == 409
    assert deliveries(client, admin, hook["id"])["total"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://intranet.example.org/hooks",
        "http://10.0.0.7:8080/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hooks",
    ],
)
def test_plain_http_is_refused_for_hosts_not_allowed_it(
    client: TestClient, admin: dict, url: str
) -> None:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": url, "secret": "s" * 20, "events": ["task.created"]},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["field"] == "url"
    assert "https only" in problem["message"]
    assert client.get("/api/v1/webhooks", headers=admin).json()["total"] == 0


def test_allowed_hosts_and_networks_may_use_plain_http(
    settings: Settings, engine: Engine, admin: dict
) -> None:
    allowing = settings.model_copy(update={"webhook_http_hosts": ["hooks.internal", "10.1.0.0/16"]})
    with TestClient(create_app(allowing, engine=engine)) as client:
        codes = [
            client.post(
                "/api/v1/webhooks",
                json={"url": url, "secret": "s" * 20, "events": ["task.created"]},
                headers=admin,
            ).status_code
            for url in (
                "http://hooks.internal/4p",
                "http://10.1.44.2/4p",
                "http://10.2.0.1/4p",
                "https://anywhere.example.org/4p",
            )
        ]
    assert codes == [201, 201, 422, 201]


def test_the_setting_reads_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_WEBHOOK_HTTP_HOSTS", "127.0.0.1, 10.0.0.0/8")
    assert Settings().webhook_http_hosts == ["127.0.0.1", "10.0.0.0/8"]
