"""Making test data through the API, as a client would."""

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

STRATEGY = {
    "name": "Crime Prevention Strategy 2018-21",
    "starts_on": "2018-04-01",
    "ends_on": "2021-03-31",
}


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def strategy(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    return created(client.post("/api/v1/strategies", json={**STRATEGY, **fields}, headers=headers))


def strand(
    client: TestClient, headers: dict[str, str], strategy_id: int, name: str, **fields: Any
) -> dict[str, Any]:
    body = {"strategy_id": strategy_id, "name": name, **fields}
    return created(client.post("/api/v1/strands", json=body, headers=headers))


def plan(
    client: TestClient, headers: dict[str, str], strand_id: int, name: str, **fields: Any
) -> dict[str, Any]:
    body = {"strand_id": strand_id, "name": name, **fields}
    return created(client.post("/api/v1/plans", json=body, headers=headers))


def task(
    client: TestClient, headers: dict[str, str], plan_id: int, title: str = "A task", **fields: Any
) -> dict[str, Any]:
    body = {
        "plan_id": plan_id,
        "pillar": "prevent",
        "title": title,
        "added_on": "2020-04-01",
        **fields,
    }
    return created(client.post("/api/v1/tasks", json=body, headers=headers))


def status(
    client: TestClient,
    headers: dict[str, str],
    task_id: int,
    status: str,
    on: date | str,
    note: str = "",
) -> dict[str, Any]:
    body = {"status": status, "effective_date": str(on), "note": note}
    return created(client.post(f"/api/v1/tasks/{task_id}/status", json=body, headers=headers))


def risk(
    client: TestClient, headers: dict[str, str], strand_id: int, **fields: Any
) -> dict[str, Any]:
    body = {
        "strand_id": strand_id,
        "description": "Partners withdraw from the scheme",
        "owner": "Gangs Prevent Officer - VVU",
        "mitigation": "Risk deemed low and can be tolerated.",
        "response": "tolerate",
        **fields,
    }
    return created(client.post("/api/v1/risks", json=body, headers=headers))


PCP_PLAN = {
    "name": "Police and Crime Plan 2021-2024",
    "slug": "police-and-crime-plan-2021-2024",
    "starts_on": "2021-04-01",
    "ends_on": "2024-03-31",
}


def pcp_plan(
    client: TestClient,
    headers: dict[str, str],
    contributors: tuple[str, ...] = ("North LPA", "South LPA"),
    **fields: Any,
) -> dict[str, Any]:
    """A plan with two priorities of one commitment each, and the named contributors."""
    body = {**PCP_PLAN, **fields}
    plan = created(client.post("/api/v1/pcp/plans", json=body, headers=headers))
    url = f"/api/v1/pcp/plans/{plan['slug']}"
    for number, title in (
        (1, "Further investment in crime prevention"),
        (2, "Reducing drug driven violence"),
    ):
        created(
            client.post(
                f"{url}/priorities", json={"number": number, "title": title}, headers=headers
            )
        )
    for number, text in (
        (1, "Invest in neighbourhood policing to get crime down."),
        (2, "Dismantle more County Lines drug gangs."),
    ):
        created(
            client.post(
                f"{url}/commitments", json={"priority": number, "text": text}, headers=headers
            )
        )
    for name in contributors:
        created(client.post(f"{url}/contributors", json={"name": name}, headers=headers))
    return client.get(url, headers=headers).json()
