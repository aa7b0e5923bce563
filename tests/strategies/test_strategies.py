"""Strategies, strands (by slug, in the strategy's order) and plans through the API."""

from fastapi.testclient import TestClient

from tests import factories


def test_strategy_is_created_listed_and_read(client: TestClient, admin: dict) -> None:
    created = factories.strategy(client, admin)
    assert created["name"] == "Crime Prevention Strategy 2018-21"
    assert (created["starts_on"], created["ends_on"]) == ("2018-04-01", "2021-03-31")
    assert [s["id"] for s in client.get("/api/v1/strategies", headers=admin).json()] == [
        created["id"]
    ]
    response = client.get(f"/api/v1/strategies/{created['id']}", headers=admin)
    assert response.json()["name"] == created["name"]
    assert response.headers["etag"]


def test_strategy_must_end_after_it_starts_and_names_are_unique(
    client: TestClient, admin: dict
) -> None:
    backwards = {**factories.STRATEGY, "starts_on": "2021-04-01"}
    assert client.post("/api/v1/strategies", json=backwards, headers=admin).status_code == 422
    factories.strategy(client, admin)
    again = client.post("/api/v1/strategies", json=factories.STRATEGY, headers=admin)
    assert again.status_code == 409
    assert len(client.get("/api/v1/strategies", headers=admin).json()) == 1


def test_strands_come_in_the_strategys_order_with_their_plans(
    client: TestClient, admin: dict
) -> None:
    strategy = factories.strategy(client, admin)
    da = factories.strand(client, admin, strategy["id"], "Domestic Abuse", lead="C/Supt Mariner")
    gangs = factories.strand(client, admin, strategy["id"], "Gangs & Knife Crime")
    factories.strand(client, admin, strategy["id"], "House Burglary & Street Robbery")
    assert gangs["slug"] == "gangs-and-knife-crime"
    factories.plan(client, admin, gangs["id"], "Knife Crime")
    factories.plan(client, admin, gangs["id"], "Gangs / County Lines", tactical_lead="DCI Frost")
    factories.plan(client, admin, da["id"], "Domestic Abuse")

    strands = client.get("/api/v1/strands", headers=admin).json()
    assert [s["slug"] for s in strands] == [
        "domestic-abuse",
        "gangs-and-knife-crime",
        "house-burglary-and-street-robbery",
    ]
    assert [p["name"] for p in strands[1]["plans"]] == ["Knife Crime", "Gangs / County Lines"]
    assert strands[2]["plans"] == []
    one = client.get("/api/v1/strands/gangs-and-knife-crime", headers=admin).json()
    assert one["plans"][1]["tactical_lead"] == "DCI Frost"
    assert client.get("/api/v1/strands/no-such", headers=admin).status_code == 404


def test_duplicate_slug_or_plan_name_is_a_conflict(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    again = client.post(
        "/api/v1/strands",
        json={"strategy_id": strategy["id"], "name": "Hate  Crime"},
        headers=admin,
    )
    assert again.status_code == 409
    factories.plan(client, admin, strand["id"], "Hate Crime")
    plan_again = client.post(
        "/api/v1/plans", json={"strand_id": strand["id"], "name": "Hate Crime"}, headers=admin
    )
    assert plan_again.status_code == 409


def test_patch_needs_the_current_etag(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    factories.strand(client, admin, strategy["id"], "Hate Crime", lead="Supt Cannon")
    url = "/api/v1/strands/hate-crime"
    first = client.get(url, headers=admin)

    missing = client.patch(url, json={"lead": "D/Supt Scott Cannon"}, headers=admin)
    assert missing.status_code == 428
    ok = client.patch(
        url,
        json={"lead": "D/Supt Scott Cannon"},
        headers={**admin, "If-Match": first.headers["etag"]},
    )
    assert ok.status_code == 200
    assert ok.json()["lead"] == "D/Supt Scott Cannon"
    assert ok.headers["etag"] != first.headers["etag"]
    stale = client.patch(
        url, json={"lead": "Someone else"}, headers={**admin, "If-Match": first.headers["etag"]}
    )
    assert stale.status_code == 412
    assert client.get(url, headers=admin).json()["lead"] == "D/Supt Scott Cannon"


def test_plan_patch_renames_and_clears_leads(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Night Time Economy")
    plan = factories.plan(client, admin, strand["id"], "NTE", operational_lead="TBC")
    url = f"/api/v1/plans/{plan['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    response = client.patch(
        url,
        json={"name": "Night Time Economy", "operational_lead": None},
        headers={**admin, "If-Match": tag},
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["operational_lead"]) == (
        "Night Time Economy",
        "",
    )
    tag = response.headers["etag"]
    refused = client.patch(url, json={"name": None}, headers={**admin, "If-Match": tag})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "name", "message": "name cannot be cleared"}]
