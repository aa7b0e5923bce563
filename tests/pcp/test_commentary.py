"""Contributors write commentary on the plan's commitments, draft until they submit the quarter."""

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.webhooks.models import WebhookEvent
from tests import factories
from tests.conftest import TokenMaker, bearer

PLAN = "police-and-crime-plan-2021-2024"
PLAN_URL = f"/api/v1/pcp/plans/{PLAN}"
Q1 = "2022-23-Q1"


@pytest.fixture
def plan(client: TestClient, admin: dict) -> dict:
    return factories.pcp_plan(client, admin)


@pytest.fixture
def north(make_token: TokenMaker, plan: dict) -> dict:
    return bearer(make_token("lead", contributors=("north-lpa",), name="North writer"))


def row_count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def commitment(plan: dict, priority: int) -> int:
    [found] = [p for p in plan["priorities"] if p["number"] == priority]
    return found["commitments"][0]["id"]


def write(client: TestClient, headers: dict, structure: dict, **fields) -> object:
    body = {
        "plan": PLAN,
        "quarter": Q1,
        "contributor": "north-lpa",
        "commitment_id": commitment(structure, 1),
        "body": "- Colchester: 26 engagement visits.",
        **fields,
    }
    return client.post("/api/v1/pcp/commentary", json=body, headers=headers)


def test_the_plan_reads_back_with_its_priorities_commitments_and_contributors(
    client: TestClient, plan: dict
) -> None:
    assert [(p["number"], p["title"]) for p in plan["priorities"]] == [
        (1, "Further investment in crime prevention"),
        (2, "Reducing drug driven violence"),
    ]
    assert [c["text"] for c in plan["priorities"][0]["commitments"]] == [
        "Invest in neighbourhood policing to get crime down."
    ]
    assert [(c["slug"], c["position"]) for c in plan["contributors"]] == [
        ("north-lpa", 1),
        ("south-lpa", 2),
    ]


def test_a_contributor_writes_edits_and_submits_its_own_commentary(
    client: TestClient, plan: dict, north: dict, engine: Engine
) -> None:
    created = write(client, north, plan)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["contributor"], body["quarter"], body["priority"], body["status"]) == (
        "north-lpa",
        Q1,
        1,
        "draft",
    )
    url = f"/api/v1/pcp/commentary/{body['id']}"
    change = {"body": "- Colchester: 27 engagement visits."}
    assert client.patch(url, json=change, headers=north).status_code == 428
    edited = client.patch(url, json=change, headers={**north, "If-Match": created.headers["etag"]})
    assert edited.status_code == 200
    assert (edited.json()["body"], edited.json()["version"]) == (change["body"], 2)
    stale = client.patch(url, json=change, headers={**north, "If-Match": created.headers["etag"]})
    assert stale.status_code == 412

    submitted = client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    assert submitted.status_code == 201, submitted.text
    assert (submitted.json()["commentaries"], submitted.json()["submitted_by"]) == (
        1,
        "North writer",
    )
    assert client.get(url, headers=north).json()["status"] == "submitted"
    again = client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    assert again.status_code == 409
    final = client.patch(url, json=change, headers={**north, "If-Match": edited.headers["etag"]})
    assert final.status_code == 409
    assert row_count(engine, "pcp_submission") == 1


def test_a_contributor_cannot_write_or_submit_for_another(
    client: TestClient, plan: dict, north: dict, admin: dict, engine: Engine
) -> None:
    refused = write(client, north, plan, contributor="south-lpa")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    south = write(client, admin, plan, contributor="south-lpa").json()
    assert (
        client.patch(
            f"/api/v1/pcp/commentary/{south['id']}",
            json={"body": "- overwritten"},
            headers={**north, "If-Match": f'"commentary-{south["id"]}-v1"'},
        ).status_code
        == 403
    )
    submit = client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "south-lpa"}, headers=north
    )
    assert submit.status_code == 403
    assert row_count(engine, "pcp_submission") == 0
    assert client.get(f"/api/v1/pcp/commentary/{south['id']}", headers=north).json()["body"] == (
        "- Colchester: 26 engagement visits."
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quarter": "2020-21-Q4"}, "quarter"),
        ({"quarter": "2024-25-Q1"}, "quarter"),
        ({"contributor": "east-lpa"}, "contributor"),
        ({"plan": "police-and-crime-plan-2099"}, "plan"),
        ({"joint_with": ["east-lpa"]}, "joint_with"),
    ],
)
def test_bad_commentary_is_a_422_naming_the_field(
    client: TestClient, plan: dict, admin: dict, engine: Engine, fields: dict, field: str
) -> None:
    response = write(client, admin, plan, **fields)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert row_count(engine, "pcp_commentary") == 0


def test_a_commitment_of_another_plan_is_a_422(
    client: TestClient, plan: dict, admin: dict, engine: Engine
) -> None:
    other = factories.pcp_plan(
        client,
        admin,
        name="Police and Crime Plan 2016-2020",
        slug="police-and-crime-plan-2016-2020",
        starts_on="2016-04-01",
        ends_on="2020-03-31",
    )
    response = write(client, admin, plan, commitment_id=commitment(other, 1))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "commitment_id",
            "message": f"Police and Crime Plan 2021-2024 has no commitment {commitment(other, 1)}",
        }
    ]
    assert row_count(engine, "pcp_commentary") == 0


def test_a_second_commentary_on_the_same_commitment_is_a_409(
    client: TestClient, plan: dict, north: dict
) -> None:
    first = write(client, north, plan).json()
    again = write(client, north, plan)
    assert again.status_code == 409
    assert again.json()["id"] == first["id"]


def test_submitting_nothing_is_a_422(client: TestClient, plan: dict, north: dict) -> None:
    response = client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["contributor"]


def test_commentary_lists_filter_by_contributor_status_and_priority(
    client: TestClient, plan: dict, admin: dict, north: dict
) -> None:
    write(client, north, plan)
    write(client, north, plan, commitment_id=commitment(plan, 2), body="- County Lines.")
    write(client, admin, plan, contributor="south-lpa", body="- Southend.")
    client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "south-lpa"}, headers=admin
    )
    listed = client.get(f"/api/v1/pcp/commentary?plan={PLAN}&quarter={Q1}", headers=north).json()
    assert listed["total"] == 3
    assert [(c["priority"], c["contributor"], c["status"]) for c in listed["items"]] == [
        (1, "north-lpa", "draft"),
        (1, "south-lpa", "submitted"),
        (2, "north-lpa", "draft"),
    ]
    drafts = client.get("/api/v1/pcp/commentary?status=draft&priority=2", headers=north).json()
    assert [c["body"] for c in drafts["items"]] == ["- County Lines."]
    south = client.get("/api/v1/pcp/commentary?contributor=south-lpa", headers=north).json()
    assert [c["body"] for c in south["items"]] == ["- Southend."]


def test_a_quarter_starts_the_next_quarters_draft_when_asked(
    client: TestClient, plan: dict, north: dict
) -> None:
    first = write(client, north, plan).json()
    client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    copied = client.post(
        f"{PLAN_URL}/carry-forward",
        json={"contributor": "north-lpa", "from_quarter": Q1},
        headers=north,
    )
    assert copied.status_code == 201, copied.text
    [copy] = copied.json()
    assert (copy["quarter"], copy["body"], copy["status"], copy["commitment_id"]) == (
        "2022-23-Q2",
        first["body"],
        "draft",
        first["commitment_id"],
    )
    again = client.post(
        f"{PLAN_URL}/carry-forward",
        json={"contributor": "north-lpa", "from_quarter": Q1},
        headers=north,
    )
    assert (again.status_code, again.json()) == (201, [])
    last = client.post(
        f"{PLAN_URL}/carry-forward",
        json={"contributor": "north-lpa", "from_quarter": "2023-24-Q4"},
        headers=north,
    )
    assert last.status_code == 422
    assert [e["field"] for e in last.json()["errors"]] == ["from_quarter"]


def test_submitting_raises_commentary_submitted(
    client: TestClient, plan: dict, admin: dict, north: dict, engine: Engine
) -> None:
    hook = {"url": "http://127.0.0.1:9/h", "secret": "s" * 20, "events": ["commentary.submitted"]}
    factories.created(client.post("/api/v1/webhooks", json=hook, headers=admin))
    written = write(client, north, plan).json()
    client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    with engine.connect() as connection:
        [event] = connection.execute(
            sa.select(WebhookEvent.data).where(WebhookEvent.type == "commentary.submitted")
        ).scalars()
    assert (event["plan"], event["quarter"], event["contributor"]) == (PLAN, Q1, "north-lpa")
    assert [(c["id"], c["status"]) for c in event["commentaries"]] == [(written["id"], "submitted")]


def test_a_retried_post_with_an_idempotency_key_writes_one_commentary(
    client: TestClient, plan: dict, north: dict, engine: Engine
) -> None:
    headers = {**north, "Idempotency-Key": "north-q1-1"}
    first = write(client, headers, plan)
    again = write(client, headers, plan)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert row_count(engine, "pcp_commentary") == 1


def test_every_commentary_write_is_in_the_audit_trail(
    client: TestClient, plan: dict, north: dict, admin: dict
) -> None:
    created = write(client, north, plan)
    url = f"/api/v1/pcp/commentary/{created.json()['id']}"
    client.patch(
        url, json={"body": "- Changed."}, headers={**north, "If-Match": created.headers["etag"]}
    )
    client.post(
        f"{PLAN_URL}/submissions", json={"quarter": Q1, "contributor": "north-lpa"}, headers=north
    )
    trail = client.get("/api/v1/audit?entity=pcp_commentary", headers=admin).json()["items"]
    assert [(e["action"], e["actor"]) for e in trail] == [
        ("update", "North writer"),
        ("create", "North writer"),
    ]
    submitted = client.get("/api/v1/audit?entity=pcp_submission", headers=admin).json()["items"]
    assert [(e["action"], e["actor"]) for e in submitted] == [("create", "North writer")]
