"""The risk register as leads and board authors use it: refs, scores, tasks, history, rights."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.base import today
from tests import factories
from tests.conftest import bearer
from tests.dbutil import statements_during

A13 = {
    "ref": "A13",
    "registered_on": "2020-05-11",
    "description": "Ensure there is process synergy between Raptor investigation and Missing "
    "Persons, Schools, Child and Adult Protection and partnership enforcement and safeguarding.",
    "owner": "Gangs Prevent Officer - VVU",
    "mitigation": "CPD Days for Raptor teams and analysts had been organised but were cancelled "
    "due to COVID. Risk deemed low and can be tolerated.",
    "response": "tolerate",
    "likelihood": 2,
    "impact": 2,
}


def refs(client: TestClient, headers: dict, **params) -> list[str]:
    response = client.get("/api/v1/risks", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [r["ref"] for r in response.json()["items"]]


def total(client: TestClient, headers: dict, **params) -> int:
    return client.get("/api/v1/risks", params=params, headers=headers).json()["total"]


def history(client: TestClient, headers: dict, ref: str) -> list[dict]:
    response = client.get(f"/api/v1/risks/{ref}/history", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def patch(client: TestClient, headers: dict, ref: str, body: dict):
    tag = client.get(f"/api/v1/risks/{ref}", headers=headers).headers["etag"]
    return client.patch(f"/api/v1/risks/{ref}", json=body, headers={**headers, "If-Match": tag})


def test_create_a_risk_as_the_board_registers_it(client: TestClient, admin: dict, world) -> None:
    response = client.post(
        "/api/v1/risks", json={**A13, "strand_id": world["hate"]["id"]}, headers=admin
    )
    assert response.status_code == 201, response.text
    risk = response.json()
    assert response.headers["etag"] == '"risk-1-v1"'
    assert {k: risk[k] for k in A13} == A13
    assert risk["strand_id"] == world["hate"]["id"]
    assert (risk["strand"], risk["strategy_id"], risk["task_id"]) == (
        "hate-crime",
        world["strategy"]["id"],
        None,
    )
    assert (risk["score"], risk["rating"], risk["status"]) == (4, "low", "open")
    assert (risk["closed_on"], risk["closure_reason"], risk["review_on"]) == (None, "", None)
    assert (risk["version"], risk["created_by"], risk["updated_by"]) == (1, "admin", "admin")
    assert client.get("/api/v1/risks/A13", headers=admin).json() == risk


def test_refs_are_generated_after_the_highest_a_number_of_the_strategy(
    client: TestClient, admin: dict, world
) -> None:
    hate, fraud = world["hate"]["id"], world["fraud"]["id"]
    assert factories.risk(client, admin, hate)["ref"] == "A1"
    assert factories.risk(client, admin, hate, ref="A13")["ref"] == "A13"
    assert factories.risk(client, admin, fraud)["ref"] == "A14"
    assert factories.risk(client, admin, hate, ref="r7")["ref"] == "R7"
    assert factories.risk(client, admin, hate, ref="A2")["ref"] == "A2"
    assert factories.risk(client, admin, fraud)["ref"] == "A15"
    assert refs(client, admin, sort="ref") == ["A1", "A2", "A13", "A14", "A15", "R7"]

    other = factories.strategy(client, admin, name="Crime Prevention Strategy 2021-24")
    strand = factories.strand(client, admin, other["id"], "Hate Crime")
    assert factories.risk(client, admin, strand["id"])["ref"] == "A1"
    assert factories.risk(client, admin, strand["id"], ref="A13")["ref"] == "A13"


def test_a_ref_already_used_in_the_strategy_is_a_conflict(
    client: TestClient, admin: dict, world
) -> None:
    factories.risk(client, admin, world["hate"]["id"], ref="A13")
    again = client.post(
        "/api/v1/risks",
        json={**A13, "ref": "a13", "strand_id": world["fraud"]["id"]},
        headers=admin,
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "the strategy already has a risk A13"
    assert total(client, admin) == 1


def test_a_ref_must_be_letters_then_a_number(client: TestClient, admin: dict, world) -> None:
    for ref in ("A013", "ABCD1", "13", "A", "A0", "A123456", "A-1", "A 1", "Ä1", ""):
        body = {**A13, "ref": ref, "strand_id": world["hate"]["id"]}
        response = client.post("/api/v1/risks", json=body, headers=admin)
        assert response.status_code == 422, ref
        assert response.json()["errors"] == [
            {
                "field": "ref",
                "message": "Value error, a ref is 1-3 letters and a number without leading "
                "zeros, e.g. A13",
            }
        ]
    assert total(client, admin) == 0


# Each band's lowest and highest score: (likelihood, impact, score, rating).
EDGES = [
    (1, 1, 1, "low"),
    (1, 4, 4, "low"),
    (1, 5, 5, "medium"),
    (3, 3, 9, "medium"),
    (2, 5, 10, "high"),
    (5, 3, 15, "high"),
    (4, 4, 16, "very_high"),
    (5, 5, 25, "very_high"),
]


def test_score_and_rating_at_every_band_edge(client: TestClient, admin: dict, world) -> None:
    made = []
    for likelihood, impact, score, rating in EDGES:
        risk = factories.risk(
            client,
            admin,
            world["hate"]["id"],
            likelihood=likelihood,
            impact=impact,
            inherent_likelihood=impact,
            inherent_impact=likelihood,
            target_likelihood=likelihood,
            target_impact=impact,
        )
        for prefix in ("", "inherent_", "target_"):
            assert (risk[f"{prefix}score"], risk[f"{prefix}rating"]) == (score, rating)
        made.append(risk["ref"])
    for band in ("low", "medium", "high", "very_high"):
        expected = [ref for ref, edge in zip(made, EDGES, strict=True) if edge[3] == band]
        assert sorted(refs(client, admin, rating=band)) == sorted(expected)
    assert refs(client, admin) == list(reversed(made))


def test_residual_defaults_to_inherent_and_target_is_optional(
    client: TestClient, admin: dict, world
) -> None:
    risk = factories.risk(
        client, admin, world["hate"]["id"], inherent_likelihood=4, inherent_impact=5
    )
    assert (risk["inherent_score"], risk["inherent_rating"]) == (20, "very_high")
    assert (risk["likelihood"], risk["impact"], risk["score"]) == (4, 5, 20)
    assert (risk["target_likelihood"], risk["target_score"], risk["target_rating"]) == (
        None,
        None,
        None,
    )
    unscored = factories.risk(client, admin, world["hate"]["id"])
    assert (unscored["score"], unscored["rating"], unscored["inherent_score"]) == (None, None, None)
    assert refs(client, admin, rating="unscored") == [unscored["ref"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"likelihood": 3}, "impact"),
        ({"inherent_impact": 2}, "inherent_likelihood"),
        ({"target_likelihood": 1}, "target_impact"),
        ({"likelihood": 0, "impact": 3}, "likelihood"),
        ({"likelihood": 3, "impact": 6}, "impact"),
        ({"likelihood": True, "impact": 3}, "likelihood"),
        ({"likelihood": 2.5, "impact": 3}, "likelihood"),
        ({"response": "treatment"}, "response"),
        ({"description": ""}, "description"),
        ({"owner": ""}, "owner"),
        ({"mitigation": "bad\x00byte"}, "mitigation"),
        ({"strand_id": 999}, "strand_id"),
        ({"task_id": 999}, "task_id"),
        ({"registered_on": "11/05/2020"}, "registered_on"),
        ({"registered_on": "future"}, "registered_on"),
        ({"review_on": "2020-05-10"}, "review_on"),
        ({"status": "closed"}, "status"),
        ({"score": 4}, "score"),
    ],
)
def test_bad_risk_input_names_the_field_and_writes_nothing(
    client: TestClient, admin: dict, world, change: dict, field: str
) -> None:
    if change.get("registered_on") == "future":
        change = {"registered_on": (today() + timedelta(days=1)).isoformat()}
    body = {**A13, "likelihood": None, "impact": None, "strand_id": world["hate"]["id"], **change}
    response = client.post("/api/v1/risks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert total(client, admin) == 0


def test_a_risks_task_must_be_one_of_its_strand(client: TestClient, admin: dict, world) -> None:
    own = factories.task(client, admin, world["hate_plan"]["id"])
    other = factories.task(client, admin, world["fraud_plan"]["id"])
    body = {**A13, "strand_id": world["hate"]["id"], "task_id": other["id"]}
    refused = client.post("/api/v1/risks", json=body, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "task_id",
            "message": f"task {other['id']} belongs to the strand 'digital-crime-and-fraud', "
            "not to 'hate-crime': a risk's task must be one of its own strand",
        }
    ]
    assert total(client, admin) == 0

    risk = factories.risk(client, admin, world["hate"]["id"], task_id=own["id"])
    assert risk["task_id"] == own["id"]
    moved = patch(client, admin, risk["ref"], {"task_id": other["id"]})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "task_id"
    gone = patch(client, admin, risk["ref"], {"task_id": 999})
    assert gone.json()["errors"] == [{"field": "task_id", "message": "no task with id 999"}]
    cleared = patch(client, admin, risk["ref"], {"task_id": None})
    assert (cleared.status_code, cleared.json()["task_id"]) == (200, None)


def test_history_records_who_changed_what_from_what(client: TestClient, admin: dict, world) -> None:
    lead = world["lead"]
    risk = factories.risk(
        client, lead, world["hate"]["id"], registered_on="2020-05-11", likelihood=3, impact=4
    )
    changed = patch(
        client,
        lead,
        risk["ref"],
        {"likelihood": 2, "impact": 4, "mitigation": "Prevent Protect Officer to lead."},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["score"], changed.json()["version"]) == (8, 2)
    assert changed.headers["etag"] == '"risk-1-v2"'

    events = history(client, admin, risk["ref"])
    assert [(e["action"], e["recorded_by"]) for e in events] == [
        ("created", "Hate lead"),
        ("updated", "Hate lead"),
    ]
    assert events[0]["changes"] == {
        "ref": {"before": None, "after": "A1"},
        "strand_id": {"before": None, "after": world["hate"]["id"]},
        "description": {"before": None, "after": "Partners withdraw from the scheme"},
        "owner": {"before": None, "after": "Gangs Prevent Officer - VVU"},
        "mitigation": {"before": None, "after": "Risk deemed low and can be tolerated."},
        "response": {"before": None, "after": "tolerate"},
        "registered_on": {"before": None, "after": "2020-05-11"},
        "likelihood": {"before": None, "after": 3},
        "impact": {"before": None, "after": 4},
        "status": {"before": None, "after": "open"},
    }
    assert events[1]["changes"] == {
        "mitigation": {
            "before": "Risk deemed low and can be tolerated.",
            "after": "Prevent Protect Officer to lead.",
        },
        "likelihood": {"before": 3, "after": 2},
    }
    assert events[1]["recorded_at"] == changed.json()["updated_at"]


def test_a_patch_that_changes_nothing_writes_nothing(
    client: TestClient, admin: dict, world
) -> None:
    risk = factories.risk(client, admin, world["hate"]["id"], likelihood=3, impact=4)
    same = patch(client, admin, risk["ref"], {"likelihood": 3, "owner": risk["owner"]})
    assert same.status_code == 200
    assert (same.json()["version"], same.headers["etag"]) == (1, '"risk-1-v1"')
    assert same.json()["updated_at"] == risk["updated_at"]
    assert len(history(client, admin, risk["ref"])) == 1


def test_closing_needs_a_reason_and_reopening_clears_it(
    client: TestClient, admin: dict, world
) -> None:
    ref = factories.risk(client, admin, world["hate"]["id"], registered_on="2020-05-11")["ref"]
    bare = patch(client, admin, ref, {"status": "closed"})
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "closure_reason"
    early = patch(
        client, admin, ref, {"status": "closed", "closure_reason": "x", "closed_on": "2020-05-10"}
    )
    assert early.json()["errors"][0]["field"] == "closed_on"
    not_closing = patch(client, admin, ref, {"closure_reason": "Done"})
    assert not_closing.json()["errors"][0]["field"] == "closure_reason"
    assert len(history(client, admin, ref)) == 1

    closed = patch(client, admin, ref, {"status": "closed", "closure_reason": "Officer in post."})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["closed_on"], body["closure_reason"]) == (
        "closed",
        today().isoformat(),
        "Officer in post.",
    )
    keep = patch(client, admin, ref, {"closure_reason": None})
    assert keep.json()["errors"][0]["field"] == "closure_reason"

    reopened = patch(client, admin, ref, {"status": "open"})
    body = reopened.json()
    assert (body["status"], body["closed_on"], body["closure_reason"], body["version"]) == (
        "open",
        None,
        "",
        3,
    )
    events = history(client, admin, ref)
    assert [e["action"] for e in events] == ["created", "closed", "reopened"]
    assert events[1]["changes"] == {
        "status": {"before": "open", "after": "closed"},
        "closed_on": {"before": None, "after": today().isoformat()},
        "closure_reason": {"before": "", "after": "Officer in post."},
    }
    assert events[2]["changes"] == {
        "status": {"before": "closed", "after": "open"},
        "closed_on": {"before": today().isoformat(), "after": None},
        "closure_reason": {"before": "Officer in post.", "after": ""},
    }


def test_patch_needs_a_current_etag(client: TestClient, admin: dict, world) -> None:
    ref = factories.risk(client, admin, world["hate"]["id"])["ref"]
    url = f"/api/v1/risks/{ref}"
    old = client.get(url, headers=admin).headers["etag"]
    missing = client.patch(url, json={"owner": "DS Jones"}, headers=admin)
    assert missing.status_code == 428
    assert patch(client, admin, ref, {"owner": "DI Khan"}).status_code == 200
    stale = client.patch(url, json={"owner": "DS Jones"}, headers={**admin, "If-Match": old})
    assert stale.status_code == 412
    assert stale.json()["current"]["owner"] == "DI Khan"
    assert stale.json()["current_etag"] == client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers=admin).json()["owner"] == "DI Khan"
    assert len(history(client, admin, ref)) == 2


def test_patch_refuses_unknown_or_fixed_fields(client: TestClient, admin: dict, world) -> None:
    ref = factories.risk(client, admin, world["hate"]["id"])["ref"]
    for body, field in (
        ({"ref": "A2"}, "ref"),
        ({"version": 3}, "version"),
        ({"description": None}, "description"),
        ({"status": None}, "status"),
        ({"likelihood": 3}, "impact"),
        ({"review_on": "1999-01-01"}, "review_on"),
    ):
        response = patch(client, admin, ref, body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert len(history(client, admin, ref)) == 1


def test_leads_write_risks_of_their_own_strands_only(
    client: TestClient, admin: dict, viewer: dict, world
) -> None:
    lead = world["lead"]
    own = factories.risk(client, lead, world["hate"]["id"])
    assert own["created_by"] == "Hate lead"
    other = factories.risk(client, admin, world["fraud"]["id"])

    body = {**A13, "strand_id": world["fraud"]["id"]}
    assert client.post("/api/v1/risks", json=body, headers=lead).status_code == 403
    assert client.post("/api/v1/risks", json=body, headers=viewer).status_code == 403
    assert patch(client, lead, other["ref"], {"owner": "me"}).status_code == 403
    assert patch(client, viewer, own["ref"], {"owner": "me"}).status_code == 403
    moved = patch(client, lead, own["ref"], {"strand_id": world["fraud"]["id"]})
    assert moved.status_code == 403

    assert total(client, viewer) == 2
    assert total(client, admin, strand="digital-crime-and-fraud") == 1
    for ref in (own["ref"], other["ref"]):
        assert client.get(f"/api/v1/risks/{ref}", headers=viewer).json()["version"] == 1
        assert len(history(client, viewer, ref)) == 1
    assert patch(client, lead, own["ref"], {"owner": "me"}).status_code == 200


def test_moving_a_risk_needs_rights_on_both_strands_and_its_task_to_follow(
    client: TestClient, admin: dict, world, make_token
) -> None:
    both = bearer(make_token("lead", strands=("hate-crime", "digital-crime-and-fraud")))
    task = factories.task(client, admin, world["hate_plan"]["id"])
    ref = factories.risk(client, both, world["hate"]["id"], task_id=task["id"])["ref"]
    with_task = patch(client, both, ref, {"strand_id": world["fraud"]["id"]})
    assert with_task.status_code == 422
    assert with_task.json()["errors"][0]["field"] == "task_id"

    moved = patch(client, both, ref, {"strand_id": world["fraud"]["id"], "task_id": None})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["strand"], moved.json()["ref"]) == ("digital-crime-and-fraud", ref)
    assert history(client, admin, ref)[-1]["changes"] == {
        "strand_id": {"before": world["hate"]["id"], "after": world["fraud"]["id"]},
        "task_id": {"before": task["id"], "after": None},
    }
    # The hate crime lead no longer holds the risk, so cannot take it back.
    back = patch(client, world["lead"], ref, {"strand_id": world["hate"]["id"]})
    assert back.status_code == 403

    elsewhere = factories.strategy(
        client,
        admin,
        name="Crime Reduction Plan 2015-18",
        starts_on="2015-04-01",
        ends_on="2018-03-31",
    )
    strand = factories.strand(client, admin, elsewhere["id"], "Hate Crime")
    across = patch(client, admin, ref, {"strand_id": strand["id"]})
    assert across.status_code == 422
    assert across.json()["errors"][0]["field"] == "strand_id"


def test_refs_resolve_in_the_current_strategy_unless_one_is_named(
    client: TestClient, admin: dict, world
) -> None:
    old = world["strategy"]
    factories.risk(client, admin, world["hate"]["id"], owner="Old owner")
    new = factories.strategy(
        client,
        admin,
        name="Crime Prevention Strategy",
        starts_on="2021-04-01",
        ends_on="2099-03-31",
    )
    strand = factories.strand(client, admin, new["id"], "Hate Crime")
    factories.risk(client, admin, strand["id"], owner="New owner")

    assert client.get("/api/v1/risks/a1", headers=admin).json()["owner"] == "New owner"
    older = client.get(f"/api/v1/risks/A1?strategy_id={old['id']}", headers=admin).json()
    assert older["owner"] == "Old owner"
    assert total(client, admin) == 1
    assert total(client, admin, strategy_id=old["id"]) == 1
    missing = client.get("/api/v1/risks/A2", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no risk 'A2' in Crime Prevention Strategy"


def test_list_filters_sorts_and_pages(client: TestClient, admin: dict, world) -> None:
    hate, fraud = world["hate"]["id"], world["fraud"]["id"]
    past = (today() - timedelta(days=1)).isoformat()
    later = (today() + timedelta(days=30)).isoformat()
    a1 = factories.risk(
        client, admin, hate, likelihood=2, impact=3, review_on=past, registered_on="2020-05-11"
    )
    a2 = factories.risk(
        client,
        admin,
        hate,
        likelihood=4,
        impact=4,
        response="treat",
        mitigation="Train 100% of centres",
        review_on=later,
    )
    a3 = factories.risk(client, admin, fraud, owner="Insp Khan", likelihood=3, impact=2)
    a4 = factories.risk(
        client, admin, fraud, response="transfer", review_on=past, registered_on="2020-06-01"
    )
    patch(client, admin, "A4", {"status": "closed", "closure_reason": "Passed to Action Fraud"})
    assert [a1["ref"], a2["ref"], a3["ref"], a4["ref"]] == ["A1", "A2", "A3", "A4"]

    assert refs(client, admin) == ["A2", "A1", "A3", "A4"]
    assert refs(client, admin, sort="score") == ["A1", "A3", "A2", "A4"]
    assert refs(client, admin, sort="-registered_on") == ["A2", "A3", "A4", "A1"]
    assert refs(client, admin, strand="digital-crime-and-fraud") == ["A3", "A4"]
    assert refs(client, admin, strand="no-such-strand") == []
    assert refs(client, admin, status="closed") == ["A4"]
    assert refs(client, admin, status="open") == ["A2", "A1", "A3"]
    assert refs(client, admin, response="treat") == ["A2"]
    assert refs(client, admin, rating="medium") == ["A1", "A3"]
    assert refs(client, admin, rating="very_high") == ["A2"]
    assert refs(client, admin, review_overdue="true") == ["A1"]
    assert refs(client, admin, review_overdue="false") == ["A2", "A3", "A4"]
    assert refs(client, admin, q="100%") == ["A2"]
    assert refs(client, admin, q="INSP KHAN") == ["A3"]
    assert refs(client, admin, q="a4") == ["A4"]
    assert refs(client, admin, q="_") == []

    page = client.get("/api/v1/risks", params={"limit": 2, "offset": 1}, headers=admin).json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert [r["ref"] for r in page["items"]] == ["A1", "A3"]
    assert client.get("/api/v1/risks/A1", headers=admin).json()["review_overdue"] is True
    for bad in ("rating=severe", "status=pending", "response=treatment", "limit=501"):
        assert client.get(f"/api/v1/risks?{bad}", headers=admin).status_code == 422


def test_list_queries_do_not_grow_with_the_page_size(
    client: TestClient, admin: dict, world, engine: Engine
) -> None:
    for n in range(1, 31):
        factories.risk(client, admin, world["hate"]["id"], likelihood=n % 5 + 1, impact=2)

    def queries(limit: int) -> int:
        count, response = statements_during(
            engine, lambda: client.get(f"/api/v1/risks?limit={limit}", headers=admin)
        )
        assert len(response.json()["items"]) == limit
        return count

    assert queries(3) == queries(30)


def test_the_bands_are_documented_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    rating = schema["components"]["schemas"]["RiskRead"]["properties"]["rating"]
    assert "1-4 low, 5-9 medium, 10-15 high, 16-25 very_high" in rating["description"]


def test_idempotent_retry_registers_one_risk(client: TestClient, admin: dict, world) -> None:
    headers = {**admin, "Idempotency-Key": "risk-a13"}
    body = {**A13, "strand_id": world["hate"]["id"]}
    first = client.post("/api/v1/risks", json=body, headers=headers)
    again = client.post("/api/v1/risks", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert total(client, admin) == 1
