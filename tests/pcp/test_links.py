"""Strands link to the plan priorities they deliver against; the quarterly update shows the linked
strands' dashboard figures beside the priority, and the board paper can list the links."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.db import read_session
from app.pcp import service
from tests import factories
from tests.conftest import TokenMaker, bearer

PLAN = "police-and-crime-plan-2021-2024"


@pytest.fixture
def world(client: TestClient, admin: dict) -> dict:
    strategy = factories.strategy(client, admin, starts_on="2021-04-01", ends_on="2024-03-31")
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    done = factories.task(client, admin, plan["id"], "Awareness week", added_on="2022-04-01")
    factories.status(client, admin, done["id"], "complete", "2022-05-01")
    factories.task(client, admin, plan["id"], "Reporting centres", added_on="2022-04-01")
    factories.task(client, admin, plan["id"], "Next year's work", added_on="2022-08-01")
    pcp = factories.pcp_plan(client, admin)
    return {"hate": hate, "pcp": pcp}


def link(client: TestClient, headers: dict, **fields) -> object:
    body = {"strand": "hate-crime", "plan": PLAN, "priority": 1, **fields}
    return client.post("/api/v1/pcp/links", json=body, headers=headers)


def test_a_strand_lead_links_their_strand_to_a_priority(
    client: TestClient, world: dict, make_token: TokenMaker
) -> None:
    lead = bearer(make_token("lead", strands=("hate-crime",), name="Hate lead"))
    created = link(client, lead)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["strand"], body["plan"], body["priority"], body["created_by"]) == (
        "hate-crime",
        PLAN,
        1,
        "Hate lead",
    )
    assert body["priority_title"] == "Further investment in crime prevention"
    assert link(client, lead).status_code == 409
    other = link(client, lead, strand="digital-crime-and-fraud")
    assert other.status_code == 403
    listed = client.get("/api/v1/pcp/links?strand=hate-crime", headers=lead).json()
    assert [(item["strand"], item["priority"]) for item in listed["items"]] == [("hate-crime", 1)]
    assert client.delete(f"/api/v1/pcp/links/{body['id']}", headers=lead).status_code == 204
    assert client.get("/api/v1/pcp/links", headers=lead).json()["total"] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"strand": "burglary"}, "strand"), ({"priority": 9}, "priority"), ({"plan": "nope"}, "plan")],
)
def test_a_link_to_what_does_not_exist_is_a_422_naming_the_field(
    client: TestClient, world: dict, admin: dict, fields: dict, field: str
) -> None:
    response = link(client, admin, **fields)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_board_paper_can_list_each_strands_priorities(
    client: TestClient, world: dict, admin: dict, engine: Engine
) -> None:
    link(client, admin)
    link(client, admin, priority=2)
    with read_session(engine) as session:
        found = service.priorities_by_strand(session=session, strand_ids=[world["hate"]["id"]])
    assert [(p.plan, p.priority, p.priority_title) for p in found[world["hate"]["id"]]] == [
        (PLAN, 1, "Further investment in crime prevention"),
        (PLAN, 2, "Reducing drug driven violence"),
    ]


def test_the_update_shows_linked_strands_figures_beside_the_priority(
    client: TestClient, world: dict, admin: dict
) -> None:
    link(client, admin)
    commitment = world["pcp"]["priorities"][0]["commitments"][0]["id"]
    written = client.post(
        "/api/v1/pcp/commentary",
        json={
            "plan": PLAN,
            "quarter": "2022-23-Q1",
            "contributor": "north-lpa",
            "commitment_id": commitment,
            "body": "- Colchester.",
        },
        headers=admin,
    )
    assert written.status_code == 201
    client.post(
        f"/api/v1/pcp/plans/{PLAN}/submissions",
        json={"quarter": "2022-23-Q1", "contributor": "north-lpa"},
        headers=admin,
    )
    text = client.get(
        f"/api/v1/reports/quarterly-update?plan={PLAN}&quarter=2022-23-Q1", headers=admin
    ).text
    section = text.split("## Priority 1")[1]
    assert (
        "Strands delivering against this priority, as at 30 June 2022:\n\n"
        "| Strand | Total | Complete | Ongoing | At risk |\n"
        "| --- | ---: | ---: | ---: | ---: |\n"
        "| Hate Crime | 2 | 1 | 1 | 0 |\n"
    ) in section
