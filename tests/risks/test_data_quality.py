"""What the board should not find in the register: at-risk tasks without a risk, and stale risks."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.base import today
from tests import factories

URL = "/api/v1/risks/data-quality"


@pytest.fixture
def register(client: TestClient, admin: dict, world) -> dict[str, Any]:
    """Tasks and risks whose warnings change over the summer of 2020.

    At risk from July: t1 (no risk), t2 (open risk), t3 (its risk closed in August); t4 at risk
    from June and complete in August, t5 (fraud) withdrawn in August, both with open risks; and
    a fraud risk due for review on 1 September.
    """
    hate, fraud = world["hate"]["id"], world["fraud"]["id"]
    plan, fraud_plan = world["hate_plan"]["id"], world["fraud_plan"]["id"]
    t = {n: factories.task(client, admin, plan, f"Task {n}", task_no=n) for n in (1, 2, 3, 4)}
    t[5] = factories.task(client, admin, fraud_plan, "Banking protocol")
    for n in (1, 2, 3):
        factories.status(client, admin, t[n]["id"], "at_risk", "2020-07-01")
    factories.status(client, admin, t[4]["id"], "at_risk", "2020-06-01")
    factories.status(client, admin, t[4]["id"], "complete", "2020-08-01")
    factories.status(client, admin, t[5]["id"], "withdrawn", "2020-08-01")
    on = {"registered_on": "2020-07-02"}
    factories.risk(client, admin, hate, task_id=t[2]["id"], **on)  # A1
    factories.risk(client, admin, hate, task_id=t[3]["id"], **on)  # A2
    factories.risk(client, admin, hate, task_id=t[4]["id"], registered_on="2020-06-01")  # A3
    factories.risk(client, admin, fraud, task_id=t[5]["id"], **on)  # A4
    factories.risk(client, admin, fraud, review_on="2020-09-01", **on)  # A5
    factories.risk(client, admin, fraud, review_on="2020-07-03", **on)  # A6, closed in time
    for ref, closed_on in (("A2", "2020-08-01"), ("A6", "2020-07-03")):
        url = f"/api/v1/risks/{ref}"
        tag = client.get(url, headers=admin).headers["etag"]
        body = {"status": "closed", "closed_on": closed_on, "closure_reason": "Mitigated."}
        closed = client.patch(url, json=body, headers={**admin, "If-Match": tag})
        assert closed.status_code == 200, closed.text
    return t


def report(client: TestClient, headers: dict, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def summary(body: dict[str, Any]) -> tuple[list, list, list]:
    return (
        [(i["title"], i["strand"]) for i in body["tasks_at_risk_without_open_risk"]],
        [
            (i["ref"], i["task_title"], i["task_status"], i["strand"])
            for i in body["open_risks_on_finished_tasks"]
        ],
        [(i["ref"], i["review_on"], i["strand"]) for i in body["open_risks_past_review"]],
    )


CURRENT = (
    [("Task 1", "hate-crime"), ("Task 3", "hate-crime")],
    [
        ("A3", "Task 4", "complete", "hate-crime"),
        ("A4", "Banking protocol", "withdrawn", "digital-crime-and-fraud"),
    ],
    [("A5", "2020-09-01", "digital-crime-and-fraud")],
)


def test_current_data_quality_items_name_the_task_or_risk_and_strand(
    client: TestClient, viewer: dict, register
) -> None:
    body = report(client, viewer)
    assert (body["as_at"], body["quarter"]) == (today().isoformat(), None)
    assert summary(body) == CURRENT
    assert body["tasks_at_risk_without_open_risk"][0] == {
        "task_id": register[1]["id"],
        "task_no": 1,
        "title": "Task 1",
        "plan_id": register[1]["plan_id"],
        "strand": "hate-crime",
        "strand_name": "Hate Crime",
    }
    assert body["open_risks_past_review"][0]["owner"] == "Gangs Prevent Officer - VVU"


def test_data_quality_as_at_a_past_day_or_quarter_end(
    client: TestClient, admin: dict, register
) -> None:
    mid_july = report(client, admin, as_at="2020-07-15")
    assert summary(mid_july) == ([("Task 1", "hate-crime")], [], [])
    quarter = report(client, admin, quarter="2020/21 Q2")
    assert (quarter["as_at"], quarter["quarter"]) == ("2020-09-30", "2020-21-Q2")
    assert summary(quarter) == CURRENT
    assert summary(report(client, admin, quarter="2020-21-Q1")) == ([], [], [])
    running = report(client, admin, quarter="2099-00-Q1")
    assert running["as_at"] == today().isoformat()


def test_data_quality_for_one_strand(client: TestClient, admin: dict, register) -> None:
    body = report(client, admin, strand="digital-crime-and-fraud")
    assert summary(body) == ([], CURRENT[1][1:], CURRENT[2])


def test_opening_a_risk_clears_the_warning(
    client: TestClient, admin: dict, world, register
) -> None:
    factories.risk(client, admin, world["hate"]["id"], task_id=register[1]["id"])
    assert summary(report(client, admin))[0] == [("Task 3", "hate-crime")]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"quarter": "2020-Q2"}, 422, "quarter"),
        ({"as_at": "2020-02-30"}, 422, "as_at"),
        ({"as_at": "tomorrow"}, 422, "as_at"),
        ({"as_at": "2020-07-15", "quarter": "2020-21-Q2"}, 422, "quarter"),
        ({"strand": "no-such-strand"}, 404, None),
    ],
)
def test_bad_data_quality_questions_are_refused(
    client: TestClient, admin: dict, world, params: dict, status: int, field: str | None
) -> None:
    if params.get("as_at") == "tomorrow":
        params = {"as_at": (today() + timedelta(days=1)).isoformat()}
    response = client.get(URL, params=params, headers=admin)
    assert response.status_code == status, response.text
    if field is not None:
        assert [e["field"] for e in response.json()["errors"]] == [field]
