"""Every write route, called as every kind of caller: only the allowed ones succeed, and nothing
is written by the others.

The routes come from the app's own route table, so a new write route fails this test until it is
given a case below: nobody has to remember to cover it.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app.auth.models import ApiToken
from app.core.base import utcnow
from app.core.db import write_session
from app.core.routes import iter_routes, path_template
from app.people import service as people
from app.people.models import PersonAlias
from app.webhooks.models import WebhookDelivery
from tests import factories
from tests.conftest import TokenMaker, bearer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Outside the API's token rules by design; each is tested where it is built.
NOT_TOKEN_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/sign-in"): "takes a token in its form and writes nothing (tests/reports)",
    ("POST", "/sign-out"): "only clears the browser's cookie (tests/reports)",
    ("POST", "/workspace/update"): "a page form, from this site only (tests/web)",
    ("POST", "/workspace/tasks/{task_id}/comments"): "a page form (tests/web)",
    ("POST", "/workspace/returns/{slug}"): "a page form (tests/web)",
    ("POST", "/sign-in/oidc"): "sends the browser to the identity provider (tests/people)",
    ("PATCH", "/api/v1/me"): "a person's own setting: a token has none, a 409 (tests/reminders)",
    ("POST", "/workspace/risks"): "a page form (tests/web)",
    ("POST", "/workspace/risks/{ref}"): "a page form (tests/web)",
    ("POST", "/board/paper"): "a page form, admins only (tests/web/test_paper.py)",
    ("POST", "/board/paper/publish"): "a page form, admins only (tests/web/test_paper.py)",
    ("POST", "/board/paper/restatements"): "a page form, admins only (tests/web/test_paper.py)",
}


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every write route, read from the app's route table."""
    return {
        (method, path_template(route.path))
        for route in iter_routes(app)
        for method in getattr(route, "methods", None) or ()
        if method in WRITE_METHODS
    }


@dataclass
class World:
    client: TestClient
    admin: dict[str, str]
    engine: Engine
    ids: dict[str, Any] = field(default_factory=dict)

    def etag(self, url: str) -> dict[str, str]:
        return {"If-Match": self.client.get(url, headers=self.admin).headers["etag"]}


def build_world(client: TestClient, admin: dict[str, str], engine: Engine) -> World:
    world = World(client, admin, engine)
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"], task_no=1)
    factories.risk(client, admin, hate["id"], ref="A1")
    world.ids = {
        "strategy": strategy["id"],
        "hate": hate["id"],
        "fraud": fraud["id"],
        "plan": plan["id"],
        "task": task["id"],
    }
    return world


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None


PLAN_CSV = (
    b"Strand,Task,How,Who,When,Task No\r\n"
    b"PREVENT,Promote Hate Crime Awareness Week,Comms campaign,PC Shah,Sep-18,1\r\n"
)


FULL_RETURN = {"insight": "i", "delivery_achieved": "a", "delivery_scheduled": "s"}
RETURN_URL = "/api/v1/returns/hate-crime/2020-21-Q1"


def _submitted_return(w: World) -> None:
    w.client.put(RETURN_URL, json=FULL_RETURN, headers=w.admin)
    w.client.post(f"{RETURN_URL}/submit", headers=w.admin)


def _webhook(w: World) -> int:
    body = {"url": "http://127.0.0.1:9/hook", "secret": "s" * 20, "events": ["task.created"]}
    return factories.created(w.client.post("/api/v1/webhooks", json=body, headers=w.admin))["id"]


def _failed_delivery(w: World) -> str:
    _webhook(w)
    factories.task(w.client, w.admin, w.ids["plan"], "Another", task_no=2)
    with w.engine.begin() as connection:
        connection.execute(sa.update(WebhookDelivery).values(status="failed"))
        return connection.execute(sa.select(WebhookDelivery.id)).scalar_one()


def _locked_q1(w: World) -> None:
    factories.created(
        w.client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q1"}, headers=w.admin)
    )


def _person(w: World, alias: str | None = None) -> int:
    with write_session(w.engine) as session:
        person = people.record_person(
            session=session, subject="sub-1", name="Amy Shah", email="amy@force.example"
        )
        if alias:
            session.add(PersonAlias(person_id=person.id, alias=alias, folded=people.fold(alias)))
        session.commit()
        return person.id  # type: ignore[return-value]


def _rule(w: World) -> None:
    w.client.put("/api/v1/access/Tracker.Viewer", json={"role": "viewer"}, headers=w.admin)


PCP_URL = "/api/v1/pcp/plans/police-and-crime-plan-2021-2024"


def _pcp(w: World) -> dict[str, Any]:
    return factories.pcp_plan(w.client, w.admin)


def _commentary(w: World, plan: dict[str, Any]) -> dict[str, Any]:
    body = {
        "plan": plan["slug"],
        "quarter": "2022-23-Q1",
        "contributor": "north-lpa",
        "commitment_id": plan["priorities"][0]["commitments"][0]["id"],
        "body": "- A bullet.",
    }
    return factories.created(w.client.post("/api/v1/pcp/commentary", json=body, headers=w.admin))


def _pcp_link(w: World) -> int:
    _pcp(w)
    body = {"strand": "hate-crime", "plan": "police-and-crime-plan-2021-2024", "priority": 1}
    return factories.created(w.client.post("/api/v1/pcp/links", json=body, headers=w.admin))["id"]


def _published_q1(w: World) -> None:
    response = w.client.post("/api/v1/board-papers/2020-21-Q1/publish", headers=w.admin)
    assert response.status_code == 201, response.text


def _published_update(w: World) -> None:
    _pcp(w)
    response = w.client.post(f"{PCP_URL}/updates/2022-23-Q1/publish", headers=w.admin)
    assert response.status_code == 201, response.text


def _req(method: str, url: str, json: Any = None, **headers: str) -> Request:
    return Request(method, url, json, headers)


# (method, path) → (who besides admins may call it, how to build a valid call in a world)
CASES: dict[tuple[str, str], tuple[str, Callable[[World], Request]]] = {
    ("POST", "/api/v1/strategies"): (
        "admin",
        lambda w: _req(
            "POST", "/api/v1/strategies", {**factories.STRATEGY, "name": "Strategy 2021-24"}
        ),
    ),
    ("PATCH", "/api/v1/strategies/{strategy_id}"): (
        "admin",
        lambda w: _req(
            "PATCH",
            f"/api/v1/strategies/{w.ids['strategy']}",
            {"name": "Renamed"},
            **w.etag(f"/api/v1/strategies/{w.ids['strategy']}"),
        ),
    ),
    ("POST", "/api/v1/strands"): (
        "admin",
        lambda w: _req(
            "POST", "/api/v1/strands", {"strategy_id": w.ids["strategy"], "name": "Hate Crime 2"}
        ),
    ),
    ("PATCH", "/api/v1/strands/{slug}"): (
        "lead",
        lambda w: _req(
            "PATCH",
            "/api/v1/strands/hate-crime",
            {"lead": "Supt Cannon"},
            **w.etag("/api/v1/strands/hate-crime"),
        ),
    ),
    ("POST", "/api/v1/plans"): (
        "lead",
        lambda w: _req(
            "POST", "/api/v1/plans", {"strand_id": w.ids["hate"], "name": "Online hate"}
        ),
    ),
    ("PATCH", "/api/v1/plans/{plan_id}"): (
        "lead",
        lambda w: _req(
            "PATCH",
            f"/api/v1/plans/{w.ids['plan']}",
            {"tactical_lead": "DI Khan"},
            **w.etag(f"/api/v1/plans/{w.ids['plan']}"),
        ),
    ),
    ("POST", "/api/v1/tasks"): (
        "lead",
        lambda w: _req(
            "POST",
            "/api/v1/tasks",
            {
                "plan_id": w.ids["plan"],
                "pillar": "protect",
                "title": "New",
                "added_on": "2020-05-01",
            },
        ),
    ),
    ("POST", "/api/v1/tasks/status-batch"): (
        "lead",
        lambda w: _req(
            "POST",
            "/api/v1/tasks/status-batch",
            {"events": [{"task_id": w.ids["task"], "status": "complete"}]},
        ),
    ),
    ("PATCH", "/api/v1/tasks/{task_id}"): (
        "lead",
        lambda w: _req(
            "PATCH",
            f"/api/v1/tasks/{w.ids['task']}",
            {"owner": "PC Shah"},
            **w.etag(f"/api/v1/tasks/{w.ids['task']}"),
        ),
    ),
    ("POST", "/api/v1/tasks/{task_id}/status"): (
        "lead",
        lambda w: _req("POST", f"/api/v1/tasks/{w.ids['task']}/status", {"status": "at_risk"}),
    ),
    ("POST", "/api/v1/tasks/{task_id}/comments"): (
        "lead",
        lambda w: _req("POST", f"/api/v1/tasks/{w.ids['task']}/comments", {"body": "Met SLT."}),
    ),
    ("PUT", "/api/v1/returns/{strand}/{quarter}"): (
        "lead",
        lambda w: _req("PUT", RETURN_URL, FULL_RETURN),
    ),
    ("POST", "/api/v1/returns/{strand}/{quarter}/submit"): (
        "lead",
        lambda w: (
            w.client.put(RETURN_URL, json=FULL_RETURN, headers=w.admin),
            _req("POST", f"{RETURN_URL}/submit"),
        )[-1],
    ),
    ("POST", "/api/v1/returns/{strand}/{quarter}/reopen"): (
        "lead",
        lambda w: (_submitted_return(w), _req("POST", f"{RETURN_URL}/reopen"))[-1],
    ),
    ("POST", "/api/v1/risks"): (
        "lead",
        lambda w: _req(
            "POST",
            "/api/v1/risks",
            {
                "strand_id": w.ids["hate"],
                "description": "d",
                "owner": "o",
                "mitigation": "m",
                "response": "treat",
            },
        ),
    ),
    ("PATCH", "/api/v1/risks/{ref}"): (
        "lead",
        lambda w: _req(
            "PATCH", "/api/v1/risks/A1", {"owner": "DS Lowe"}, **w.etag("/api/v1/risks/A1")
        ),
    ),
    ("POST", "/api/v1/webhooks"): (
        "admin",
        lambda w: _req(
            "POST",
            "/api/v1/webhooks",
            {
                "url": "https://intranet.example/hook",
                "secret": "x" * 20,
                "events": ["task.created"],
            },
        ),
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): (
        "admin",
        lambda w: (
            hook := _webhook(w),
            _req(
                "PATCH",
                f"/api/v1/webhooks/{hook}",
                {"active": False},
                **w.etag(f"/api/v1/webhooks/{hook}"),
            ),
        )[-1],
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): (
        "admin",
        lambda w: _req("DELETE", f"/api/v1/webhooks/{_webhook(w)}"),
    ),
    ("POST", "/api/v1/webhooks/deliveries/{delivery_id}/replay"): (
        "admin",
        lambda w: _req("POST", f"/api/v1/webhooks/deliveries/{_failed_delivery(w)}/replay"),
    ),
    ("POST", "/api/v1/dashboard/locks"): (
        "admin",
        lambda w: _req("POST", "/api/v1/dashboard/locks", {"quarter": "2020-21-Q1"}),
    ),
    ("POST", "/api/v1/imports"): (
        "lead",
        lambda w: Request(
            "POST",
            "/api/v1/imports",
            files={"file": ("plan.csv", PLAN_CSV, "text/csv")},
            data={"strand": "hate-crime", "plan": "Hate Crime", "added_on": "2020-05-01"},
        ),
    ),
    ("PUT", "/api/v1/timetable/{quarter}"): (
        "admin",
        lambda w: _req(
            "PUT",
            "/api/v1/timetable/2020-21-Q4",
            {"return_deadline": "2021-04-20", "board_date": "2021-05-04"},
        ),
    ),
    ("PUT", "/api/v1/access/{claim_value}"): (
        "admin",
        lambda w: _req(
            "PUT",
            "/api/v1/access/Tracker.HateCrimeLead",
            {"role": "lead", "strands": ["hate-crime"]},
        ),
    ),
    ("DELETE", "/api/v1/access/{claim_value}"): (
        "admin",
        lambda w: (_rule(w), _req("DELETE", "/api/v1/access/Tracker.Viewer"))[-1],
    ),
    ("POST", "/api/v1/people/{person_id}/aliases"): (
        "admin",
        lambda w: _req("POST", f"/api/v1/people/{_person(w)}/aliases", {"alias": "DCI Shah"}),
    ),
    ("DELETE", "/api/v1/people/{person_id}/aliases/{alias}"): (
        "admin",
        lambda w: _req("DELETE", f"/api/v1/people/{_person(w, 'DCI Shah')}/aliases/DCI Shah"),
    ),
    ("DELETE", "/api/v1/dashboard/locks/{quarter}"): (
        "admin",
        lambda w: (_locked_q1(w), _req("DELETE", "/api/v1/dashboard/locks/2020-21-Q1"))[-1],
    ),
    ("POST", "/api/v1/pcp/plans"): (
        "admin",
        lambda w: _req(
            "POST",
            "/api/v1/pcp/plans",
            {**factories.PCP_PLAN, "name": "Plan 2", "slug": "plan-2"},
        ),
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/priorities"): (
        "admin",
        lambda w: (_pcp(w), _req("POST", f"{PCP_URL}/priorities", {"number": 3, "title": "T"}))[-1],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/commitments"): (
        "admin",
        lambda w: (_pcp(w), _req("POST", f"{PCP_URL}/commitments", {"priority": 1, "text": "T"}))[
            -1
        ],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/contributors"): (
        "admin",
        lambda w: (_pcp(w), _req("POST", f"{PCP_URL}/contributors", {"name": "West LPA"}))[-1],
    ),
    # Commentary is written for a contributor: no strand lead may (contributors' own tokens are
    # tested in tests/pcp).
    ("POST", "/api/v1/pcp/commentary"): (
        "admin",
        lambda w: (
            plan := _pcp(w),
            _req(
                "POST",
                "/api/v1/pcp/commentary",
                {
                    "plan": plan["slug"],
                    "quarter": "2022-23-Q1",
                    "contributor": "north-lpa",
                    "commitment_id": plan["priorities"][0]["commitments"][0]["id"],
                    "body": "- A bullet.",
                },
            ),
        )[-1],
    ),
    ("PATCH", "/api/v1/pcp/commentary/{commentary_id}"): (
        "admin",
        lambda w: (
            written := _commentary(w, _pcp(w)),
            _req(
                "PATCH",
                f"/api/v1/pcp/commentary/{written['id']}",
                {"body": "- Changed."},
                **w.etag(f"/api/v1/pcp/commentary/{written['id']}"),
            ),
        )[-1],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/submissions"): (
        "admin",
        lambda w: (
            _commentary(w, _pcp(w)),
            _req(
                "POST",
                f"{PCP_URL}/submissions",
                {"quarter": "2022-23-Q1", "contributor": "north-lpa"},
            ),
        )[-1],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/carry-forward"): (
        "admin",
        lambda w: (
            _commentary(w, _pcp(w)),
            _req(
                "POST",
                f"{PCP_URL}/carry-forward",
                {"contributor": "north-lpa", "from_quarter": "2022-23-Q1"},
            ),
        )[-1],
    ),
    ("PUT", "/api/v1/pcp/plans/{plan}/updates/{quarter}"): (
        "admin",
        lambda w: (
            _pcp(w),
            _req("PUT", f"{PCP_URL}/updates/2022-23-Q1", {"version_label": "1.5"}),
        )[-1],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/updates/{quarter}/publish"): (
        "admin",
        lambda w: (_pcp(w), _req("POST", f"{PCP_URL}/updates/2022-23-Q1/publish"))[-1],
    ),
    ("POST", "/api/v1/pcp/plans/{plan}/updates/{quarter}/restatements"): (
        "admin",
        lambda w: (
            _published_update(w),
            _req("POST", f"{PCP_URL}/updates/2022-23-Q1/restatements", {"reason": "Late news."}),
        )[-1],
    ),
    ("POST", "/api/v1/pcp/links"): (
        "lead",
        lambda w: (
            _pcp(w),
            _req(
                "POST",
                "/api/v1/pcp/links",
                {"strand": "hate-crime", "plan": "police-and-crime-plan-2021-2024", "priority": 1},
            ),
        )[-1],
    ),
    ("DELETE", "/api/v1/pcp/links/{link_id}"): (
        "lead",
        lambda w: _req("DELETE", f"/api/v1/pcp/links/{_pcp_link(w)}"),
    ),
    ("PUT", "/api/v1/board-papers/{quarter}"): (
        "admin",
        lambda w: _req(
            "PUT",
            "/api/v1/board-papers/2020-21-Q1",
            {"sections": [{"key": "purpose", "body": "The report covers the nine strands."}]},
            **w.etag("/api/v1/board-papers/2020-21-Q1"),
        ),
    ),
    ("POST", "/api/v1/board-papers/{quarter}/publish"): (
        "admin",
        lambda w: _req("POST", "/api/v1/board-papers/2020-21-Q1/publish"),
    ),
    ("POST", "/api/v1/board-papers/{quarter}/restatements"): (
        "admin",
        lambda w: (
            _published_q1(w),
            _req(
                "POST",
                "/api/v1/board-papers/2020-21-Q1/restatements",
                {"reason": "A task was reported in the wrong strand"},
            ),
        )[-1],
    ),
}


def fingerprint(engine: Engine) -> str:
    """Everything the database holds, but for when a token was last used."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c is not ApiToken.__table__.c.last_used_at]
            rows = connection.execute(
                sa.select(*columns).order_by(*table.primary_key.columns)
            ).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def test_every_write_route_has_a_case(app: FastAPI) -> None:
    routes = write_routes(app) - NOT_TOKEN_ROUTES.keys()
    assert routes == set(CASES), "give each new write route a case in CASES"


def send(client: TestClient, request: Request, headers: dict[str, str]):
    return client.request(
        request.method,
        request.url,
        json=request.json,
        files=request.files,
        data=request.data,
        headers={**request.headers, **headers},
    )


PARAMETRIZE = pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")


@PARAMETRIZE
def test_only_the_allowed_callers_write(
    route: tuple[str, str], client: TestClient, admin: dict, engine: Engine, make_token: TokenMaker
) -> None:
    scope, build = CASES[route]
    revoked = make_token("viewer", name="revoked")
    with engine.begin() as connection:
        connection.execute(
            sa.update(ApiToken).where(ApiToken.name == "revoked").values(revoked_at=utcnow())
        )
    refused = {
        "no token": ({}, 401),
        "unknown token": (bearer("tpt_not-a-token"), 401),
        "revoked token": (bearer(revoked), 401),
        "viewer": (bearer(make_token("viewer")), 403),
        "lead of another strand": (
            bearer(make_token("lead", strands=("digital-crime-and-fraud",))),
            403,
        ),
    }
    own_lead = bearer(make_token("lead", strands=("hate-crime",), name="own lead"))
    call = build(build_world(client, admin, engine))
    before = fingerprint(engine)
    for caller, (headers, status) in refused.items():
        response = send(client, call, headers)
        assert response.status_code == status, (caller, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert fingerprint(engine) == before, f"{caller} changed the database"

    response = send(client, call, own_lead)
    if scope == "lead":
        assert 200 <= response.status_code < 300, response.text
        assert fingerprint(engine) != before
    else:
        assert response.status_code == 403, response.text
        assert fingerprint(engine) == before


@PARAMETRIZE
def test_admins_may_call_every_write_route(
    route: tuple[str, str], client: TestClient, admin: dict, engine: Engine
) -> None:
    _, build = CASES[route]
    call = build(build_world(client, admin, engine))
    before = fingerprint(engine)
    response = send(client, call, admin)
    assert 200 <= response.status_code < 300, response.text
    assert fingerprint(engine) != before
