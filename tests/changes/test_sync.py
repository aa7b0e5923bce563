"""Incremental sync: `updated_since`, repeated filters, Link headers, ETags and the trend as CSV."""

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.reports import service as reports
from tests import factories


def now() -> str:
    return datetime.now(UTC).isoformat()


def ids(client: TestClient, admin: dict, url: str, key: str = "id", **params: Any) -> list:
    answer = client.get(url, params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    return [item[key] for item in answer.json()["items"]]


def test_two_updated_since_pulls_return_exactly_the_changes_between_them(
    client: TestClient, admin: dict
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    a, b, c = (factories.task(client, admin, plan["id"], task_no=n) for n in (1, 2, 3))
    r1, r2 = (factories.risk(client, admin, hate["id"], ref=f"A{n}") for n in (1, 2))
    first_pull = now()

    url = f"/api/v1/tasks/{b['id']}"
    etag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, json={"owner": "Hate lead"}, headers={**admin, "If-Match": etag})
    event = factories.status(client, admin, c["id"], "at_risk", "2020-06-01")
    risk_url = f"/api/v1/risks/{r2['ref']}"
    etag = client.get(risk_url, headers=admin).headers["etag"]
    changed = client.patch(
        risk_url, json={"owner": "New owner"}, headers={**admin, "If-Match": etag}
    )
    assert changed.status_code == 200
    saved = client.put(
        "/api/v1/returns/hate-crime/2020-21-Q1", json={"insight": "Fewer reports"}, headers=admin
    )
    assert saved.status_code == 201

    since = {"updated_since": first_pull}
    assert ids(client, admin, "/api/v1/tasks", **since) == [b["id"], c["id"]]
    assert ids(client, admin, "/api/v1/risks", key="ref", **since) == ["A2"]
    assert ids(client, admin, "/api/v1/returns", key="quarter", **since) == ["2020-21-Q1"]
    assert ids(client, admin, "/api/v1/status-events", **since) == [event["id"]]

    second_pull = now()
    factories.status(client, admin, a["id"], "complete", "2020-07-01")
    since = {"updated_since": second_pull}
    assert ids(client, admin, "/api/v1/tasks", **since) == [a["id"]]
    assert ids(client, admin, "/api/v1/risks", key="ref", **since) == []
    assert ids(client, admin, "/api/v1/returns", key="quarter", **since) == []
    assert [r1["ref"], r2["ref"]] == ids(client, admin, "/api/v1/risks", key="ref", sort="ref")

    bad = client.get("/api/v1/tasks", params={"updated_since": "yesterday"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "updated_since"


def test_a_repeated_filter_keeps_any_of_its_values(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    night = factories.strand(client, admin, strategy["id"], "Night Time Economy")
    plans = [factories.plan(client, admin, s["id"], s["name"]) for s in (hate, fraud, night)]
    tasks = [factories.task(client, admin, p["id"], task_no=1) for p in plans]
    factories.status(client, admin, tasks[0]["id"], "at_risk", "2020-06-01")
    factories.status(client, admin, tasks[1]["id"], "complete", "2020-06-01")

    assert ids(client, admin, "/api/v1/tasks", status=["at_risk", "ongoing"]) == [
        tasks[0]["id"],
        tasks[2]["id"],
    ]
    assert ids(client, admin, "/api/v1/tasks", status="at_risk") == [tasks[0]["id"]]
    assert ids(client, admin, "/api/v1/tasks", strand=["hate-crime", "night-time-economy"]) == [
        tasks[0]["id"],
        tasks[2]["id"],
    ]
    factories.risk(client, admin, hate["id"], ref="A1", response="treat")
    factories.risk(client, admin, fraud["id"], ref="A2", response="tolerate")
    factories.risk(client, admin, night["id"], ref="A3", response="take")
    refs = ids(client, admin, "/api/v1/risks", key="ref", response=["treat", "take"], sort="ref")
    assert refs == ["A1", "A3"]
    wrong = client.get("/api/v1/tasks", params={"status": ["at_risk", "late"]}, headers=admin)
    assert wrong.status_code == 422


def test_pages_link_to_the_first_previous_next_and_last(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    for n in range(1, 6):
        factories.task(client, admin, plan["id"], task_no=n)
    params = {"status": ["ongoing", "at_risk"], "limit": 2, "offset": 2}
    middle = client.get("/api/v1/tasks", params=params, headers=admin)
    base = "/api/v1/tasks?status=ongoing&status=at_risk&limit=2"
    assert middle.headers["link"] == (
        f'<{base}&offset=0>; rel="first", <{base}&offset=0>; rel="prev", '
        f'<{base}&offset=4>; rel="next", <{base}&offset=4>; rel="last"'
    )
    first = client.get("/api/v1/tasks", params={"limit": 2}, headers=admin)
    assert first.headers["link"] == (
        '</api/v1/tasks?limit=2&offset=0>; rel="first", '
        '</api/v1/tasks?limit=2&offset=2>; rel="next", '
        '</api/v1/tasks?limit=2&offset=4>; rel="last"'
    )
    following = first.headers["link"].split(", ")[1].split(";")[0].strip("<>")
    assert [t["task_no"] for t in client.get(following, headers=admin).json()["items"]] == [3, 4]
    risks = client.get("/api/v1/risks", headers=admin)
    assert risks.headers["link"] == (
        '</api/v1/risks?limit=50&offset=0>; rel="first", '
        '</api/v1/risks?limit=50&offset=0>; rel="last"'
    )


def test_lists_and_reports_answer_304_while_nothing_changed(
    client: TestClient, admin: dict
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"], task_no=1)
    for url, params in [
        ("/api/v1/tasks", {"strand": "hate-crime"}),
        ("/api/v1/risks", {}),
        ("/api/v1/reports/board", {"quarter": "2020-21-Q1", "format": "md"}),
    ]:
        first = client.get(url, params=params, headers=admin)
        tag = first.headers["etag"]
        again = client.get(url, params=params, headers={**admin, "If-None-Match": tag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag), url
    listed = client.get("/api/v1/tasks", headers=admin)
    factories.status(client, admin, task["id"], "at_risk", "2020-05-01")
    after = client.get("/api/v1/tasks", headers={**admin, "If-None-Match": listed.headers["etag"]})
    assert after.status_code == 200
    assert after.json()["items"][0]["status"] == "at_risk"
    assert after.headers["etag"] != listed.headers["etag"]
    one = client.get(f"/api/v1/tasks/{task['id']}", headers=admin)
    same = client.get(
        f"/api/v1/tasks/{task['id']}", headers={**admin, "If-None-Match": one.headers["etag"]}
    )
    assert (same.status_code, same.headers["etag"]) == (304, one.headers["etag"])


def test_a_paper_made_now_is_unchanged_across_the_minute_its_stamp_turns_over(
    client: TestClient, admin: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"], task_no=1)
    minute = [datetime(2026, 12, 4, 19, 4, 59, tzinfo=UTC)]
    monkeypatch.setattr(reports, "utcnow", lambda: minute[0])
    params = {"quarter": "2020-21-Q1", "format": "md"}
    first = client.get("/api/v1/reports/board", params=params, headers=admin)
    assert "at 19:04 UTC" in first.text
    minute[0] = datetime(2026, 12, 4, 19, 5, 1, tzinfo=UTC)
    polled = {**admin, "If-None-Match": first.headers["etag"]}
    again = client.get("/api/v1/reports/board", params=params, headers=polled)
    assert (again.status_code, again.headers["etag"]) == (304, first.headers["etag"])
    as_word = client.get(
        "/api/v1/reports/board", params={**params, "format": "docx"}, headers=polled
    )
    assert as_word.status_code == 200
    factories.status(client, admin, task["id"], "at_risk", "2020-05-01")
    changed = client.get("/api/v1/reports/board", params=params, headers=polled)
    assert changed.status_code == 200
    assert "at 19:05 UTC" in changed.text
    assert changed.headers["etag"] != first.headers["etag"]


def test_the_trend_as_csv(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    first = factories.task(client, admin, plan["id"], task_no=1)
    factories.task(client, admin, plan["id"], task_no=2)
    factories.status(client, admin, first["id"], "complete", "2020-08-01")
    params = {"from": "2020-21-Q1", "to": "2020-21-Q2", "strategy_id": strategy["id"]}
    answer = client.get(
        "/api/v1/dashboard/trend", params={**params, "format": "csv"}, headers=admin
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text.splitlines() == [
        "Strand,Quarter,Total,Complete,Ongoing,At risk",
        "Hate Crime,2020-21-Q1,2,0,2,0",
        "Hate Crime,2020-21-Q2,2,1,1,0",
        "Digital Crime & Fraud,2020-21-Q1,N/A,N/A,N/A,N/A",
        "Digital Crime & Fraud,2020-21-Q2,N/A,N/A,N/A,N/A",
        "Total,2020-21-Q1,2,0 (0%),2 (100%),0 (0%)",
        "Total,2020-21-Q2,2,1 (50%),1 (50%),0 (0%)",
    ]
    by_accept = client.get(
        "/api/v1/dashboard/trend", params=params, headers={**admin, "Accept": "text/csv"}
    )
    assert by_accept.text == answer.text
    as_json = client.get("/api/v1/dashboard/trend", params=params, headers=admin)
    assert as_json.headers["etag"] != answer.headers["etag"]
