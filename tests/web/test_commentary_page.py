"""The workspace's Police and Crime Plan page: a contributor sees the commitments they write for
and the quarter's draft, and no one else's."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import factories
from tests.conftest import TokenMaker, bearer

HERE = {"Origin": "http://testserver"}
PLAN = "police-and-crime-plan-2021-2024"


@pytest.fixture
def north_page(
    app: FastAPI, client: TestClient, admin: dict, make_token: TokenMaker
) -> Iterator[TestClient]:
    plan = factories.pcp_plan(client, admin)
    commitment = plan["priorities"][0]["commitments"][0]["id"]
    for contributor, body in (
        ("north-lpa", "- Colchester: *26* visits."),
        ("south-lpa", "- Southend."),
    ):
        written = client.post(
            "/api/v1/pcp/commentary",
            json={
                "plan": PLAN,
                "quarter": "2022-23-Q1",
                "contributor": contributor,
                "commitment_id": commitment,
                "body": body,
            },
            headers=admin,
        )
        assert written.status_code == 201, written.text
    token = make_token("lead", contributors=("north-lpa",), name="North writer")
    assert client.get("/api/v1/me", headers=bearer(token)).json()["contributors"] == ["north-lpa"]
    with TestClient(app) as page:
        signed_in = page.post(
            "/sign-in", data={"token": token}, headers=HERE, follow_redirects=False
        )
        assert signed_in.status_code == 303
        yield page


def test_a_contributor_sees_its_commitments_and_the_quarters_draft(north_page: TestClient) -> None:
    response = north_page.get(f"/workspace/commentary?plan={PLAN}&quarter=2022-23-Q1")
    assert response.status_code == 200
    text = response.text
    assert "<h1>Police and Crime Plan 2021-2024: commentary for 2022/23 Q1</h1>" in text
    assert '<h2 id="c-north-lpa">North LPA</h2>' in text
    assert "Status: <strong>draft</strong>" in text
    assert "<li>Colchester: <em>26</em> visits.</li>" in text
    assert "Invest in neighbourhood policing to get crime down." in text
    assert "Dismantle more County Lines drug gangs." in text
    assert text.count("Not written.") == 1
    assert "South LPA" not in text and "Southend" not in text


def test_a_quarter_outside_the_plan_is_a_clear_404(north_page: TestClient) -> None:
    response = north_page.get(f"/workspace/commentary?plan={PLAN}&quarter=2019-20-Q1")
    assert response.status_code == 404
    assert "2019-20-Q1 is outside Police and Crime Plan 2021-2024" in response.text


def test_the_page_asks_who_you_are_first(client: TestClient) -> None:
    response = client.get("/workspace/commentary", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
