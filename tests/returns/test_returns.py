"""Quarterly returns: leads write their strands' narratives, submit them, and history is kept."""

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.conftest import TokenMaker, bearer

URL = "/api/v1/returns/hate-crime/2020-21-Q1"
FULL = {
    "insight": "Reports rose 11.2% on the year.",
    "delivery_achieved": "Operation Quartz ring-fenced investigators.",
    "delivery_scheduled": "Hate Crime Awareness Week, 11-19 October.",
}


@pytest.fixture
def lead(client: TestClient, admin: dict, make_token: TokenMaker) -> dict:
    strategy = factories.strategy(client, admin)
    factories.strand(client, admin, strategy["id"], "Hate Crime")
    factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    return bearer(make_token("lead", strands=("hate-crime",), name="Hate lead"))


def test_lead_writes_a_draft_then_edits_it_with_if_match(client: TestClient, lead: dict) -> None:
    created = client.put(URL, json={"insight": "First thoughts"}, headers=lead)
    assert created.status_code == 201
    body = created.json()
    assert (body["strand"], body["quarter"], body["status"]) == (
        "hate-crime",
        "2020-21-Q1",
        "draft",
    )
    assert (body["insight"], body["delivery_achieved"], body["created_by"]) == (
        "First thoughts",
        "",
        "Hate lead",
    )
    assert client.put(URL, json=FULL, headers=lead).status_code == 428
    tag = created.headers["etag"]
    edited = client.put(URL, json=FULL, headers={**lead, "If-Match": tag})
    assert edited.status_code == 200
    assert edited.json()["insight"] == FULL["insight"]
    assert client.put(URL, json=FULL, headers={**lead, "If-Match": tag}).status_code == 412


def test_the_board_spelling_of_a_quarter_finds_the_same_return(
    client: TestClient, lead: dict
) -> None:
    client.put(URL, json=FULL, headers=lead)
    listed = client.get("/api/v1/returns", params={"quarter": "2020/21 Q1"}, headers=lead).json()
    assert [r["strand"] for r in listed["items"]] == ["hate-crime"]
    bad = client.get("/api/v1/returns/hate-crime/2020-21-Q5", headers=lead)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "quarter"


def test_submission_needs_all_three_narratives_and_freezes_the_text(
    client: TestClient, lead: dict
) -> None:
    client.put(URL, json={"insight": "Only this"}, headers=lead)
    refused = client.post(f"{URL}/submit", headers=lead)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        "delivery_achieved",
        "delivery_scheduled",
    ]
    tag = client.get(URL, headers=lead).headers["etag"]
    client.put(URL, json=FULL, headers={**lead, "If-Match": tag})
    submitted = client.post(f"{URL}/submit", headers=lead)
    assert submitted.status_code == 200
    assert (submitted.json()["status"], submitted.json()["submitted_by"]) == (
        "submitted",
        "Hate lead",
    )
    tag = submitted.headers["etag"]
    assert (
        client.put(URL, json={"insight": "late"}, headers={**lead, "If-Match": tag}).status_code
        == 409
    )
    reopened = client.post(f"{URL}/reopen", headers=lead)
    assert (reopened.json()["status"], reopened.json()["submitted_at"]) == ("draft", None)


def test_history_keeps_every_version(client: TestClient, lead: dict) -> None:
    client.put(URL, json={"insight": "v1"}, headers=lead)
    tag = client.get(URL, headers=lead).headers["etag"]
    client.put(URL, json=FULL, headers={**lead, "If-Match": tag})
    tag = client.get(URL, headers=lead).headers["etag"]
    client.put(URL, json=FULL, headers={**lead, "If-Match": tag})  # no change: no revision
    client.post(f"{URL}/submit", headers=lead)
    history = client.get(f"{URL}/history", headers=lead).json()
    assert [(h["version"], h["action"], h["insight"]) for h in history] == [
        (1, "created", "v1"),
        (2, "edited", FULL["insight"]),
        (3, "submitted", FULL["insight"]),
    ]


def test_leads_write_only_their_strands_and_viewers_only_read(
    client: TestClient, lead: dict, viewer: dict, admin: dict
) -> None:
    other = "/api/v1/returns/digital-crime-and-fraud/2020-21-Q1"
    assert client.put(other, json=FULL, headers=lead).status_code == 403
    assert client.put(URL, json=FULL, headers=viewer).status_code == 403
    assert client.put(other, json=FULL, headers=admin).status_code == 201
    assert client.post(f"{other}/submit", headers=lead).status_code == 403
    listed = client.get("/api/v1/returns", headers=viewer).json()
    assert [r["strand"] for r in listed["items"]] == ["digital-crime-and-fraud"]
    assert client.get(URL, headers=viewer).status_code == 404


def test_bad_narratives_are_refused(client: TestClient, lead: dict) -> None:
    for body, field in (
        ({"insight": "x" * 20_001}, "insight"),
        ({"colour": "red"}, "colour"),
        ({"insight": "nul\x00"}, "insight"),
    ):
        response = client.put(URL, json=body, headers=lead)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    assert client.get(URL, headers=lead).status_code == 404
