"""Publishing the quarterly update: every format kept byte for byte, the quarter's commentary
frozen, and a correction only by a restatement that makes a new version."""

import hashlib

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.conftest import TokenMaker, bearer

PLAN = "police-and-crime-plan-2021-2024"
UPDATE = f"/api/v1/pcp/plans/{PLAN}/updates/2022-23-Q1"
REPORT = "/api/v1/reports/quarterly-update"
Q1 = "2022-23-Q1"
FORMATS = ("md", "html", "docx", "pdf")


@pytest.fixture
def plan(client: TestClient, admin: dict) -> dict:
    return factories.pcp_plan(client, admin)


@pytest.fixture
def north(make_token: TokenMaker, plan: dict) -> dict:
    return bearer(make_token("lead", contributors=("north-lpa",), name="North writer"))


def submit(client: TestClient, headers: dict, plan: dict, contributor: str, body: str) -> None:
    commitment = plan["priorities"][0]["commitments"][0]["id"]
    written = client.post(
        "/api/v1/pcp/commentary",
        json={
            "plan": PLAN,
            "quarter": Q1,
            "contributor": contributor,
            "commitment_id": commitment,
            "body": body,
        },
        headers=headers,
    )
    assert written.status_code == 201, written.text
    submitted = client.post(
        f"/api/v1/pcp/plans/{PLAN}/submissions",
        json={"quarter": Q1, "contributor": contributor},
        headers=headers,
    )
    assert submitted.status_code == 201, submitted.text


def report(client: TestClient, headers: dict, fmt: str, **params) -> object:
    return client.get(
        REPORT, params={"plan": PLAN, "quarter": Q1, "format": fmt, **params}, headers=headers
    )


def test_a_published_update_is_served_byte_for_byte_and_frozen(
    client: TestClient, admin: dict, viewer: dict, north: dict, plan: dict
) -> None:
    submit(client, north, plan, "north-lpa", "- Colchester: 26 engagement visits.")
    assert client.post(f"{UPDATE}/publish", headers=north).status_code == 403
    published = client.post(f"{UPDATE}/publish", headers=admin)
    assert published.status_code == 201, published.text
    digests = {f["format"]: f["sha256"] for f in published.json()["files"]}
    assert sorted(digests) == sorted(FORMATS)
    served = {fmt: report(client, viewer, fmt) for fmt in FORMATS}
    for fmt, answer in served.items():
        assert answer.status_code == 200
        assert hashlib.sha256(answer.content).hexdigest() == digests[fmt]
        assert answer.headers["etag"] == f'"{digests[fmt]}"'
    assert "26 engagement visits" in served["md"].text
    not_modified = client.get(
        REPORT,
        params={"plan": PLAN, "quarter": Q1, "format": "md"},
        headers={**viewer, "If-None-Match": served["md"].headers["etag"]},
    )
    assert not_modified.status_code == 304

    # The quarter's commentary is frozen, for its contributor and an admin alike.
    commitment = plan["priorities"][0]["commitments"][0]["id"]
    late = {
        "plan": PLAN,
        "quarter": Q1,
        "contributor": "south-lpa",
        "commitment_id": commitment,
        "body": "- Southend: late news.",
    }
    refused = client.post("/api/v1/pcp/commentary", json=late, headers=admin)
    assert refused.status_code == 409
    assert "published" in refused.json()["detail"]
    again = client.post(f"{UPDATE}/publish", headers=admin)
    assert again.status_code == 409
    for fmt in FORMATS:
        assert report(client, viewer, fmt).content == served[fmt].content


def test_a_restatement_publishes_version_2_and_keeps_version_1(
    client: TestClient, admin: dict, viewer: dict, north: dict, plan: dict
) -> None:
    submit(client, north, plan, "north-lpa", "- Colchester: 26 engagement visits.")
    first = client.post(f"{UPDATE}/publish", headers=admin).json()
    v1 = {fmt: report(client, viewer, fmt).content for fmt in FORMATS}

    assert (
        client.post(f"{UPDATE}/restatements", json={"reason": "x"}, headers=north).status_code
        == 403
    )
    restated = client.post(
        f"{UPDATE}/restatements",
        json={"reason": "South LPA's commentary arrived late."},
        headers=admin,
    )
    assert restated.status_code == 201, restated.text
    submit(client, admin, plan, "south-lpa", "- Southend: 12 knife arches deployed.")
    second = client.post(f"{UPDATE}/publish", headers=admin)
    assert second.status_code == 201, second.text
    body = second.json()
    assert (first["version"], body["version"]) == (1, 2)
    assert body["reason"] == "South LPA's commentary arrived late."
    assert any("12 knife arches deployed" in c["text"] for c in body["changes"])
    assert all(c["text"][0] in "+-" for c in body["changes"])

    latest = report(client, viewer, "md")
    assert latest.headers["x-published-version"] == "2"
    assert "12 knife arches deployed" in latest.text
    for fmt in FORMATS:
        assert report(client, viewer, fmt, version=1).content == v1[fmt]
    versions = client.get(f"{UPDATE}/versions", headers=viewer).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert report(client, viewer, "md", version=3).status_code == 404


def test_live_and_drafts_show_todays_view_beside_the_published_update(
    client: TestClient, admin: dict, viewer: dict, north: dict, plan: dict
) -> None:
    submit(client, north, plan, "north-lpa", "- Colchester: 26 engagement visits.")
    client.post(f"{UPDATE}/publish", headers=admin)
    client.post(f"{UPDATE}/restatements", json={"reason": "Late commentary."}, headers=admin)
    submit(client, admin, plan, "south-lpa", "- Southend: 12 knife arches deployed.")
    published = report(client, viewer, "md")
    assert "12 knife arches deployed" not in published.text
    live = report(client, viewer, "md", live="true")
    assert live.status_code == 200
    assert "12 knife arches deployed" in live.text
    assert "x-published-version" not in live.headers
