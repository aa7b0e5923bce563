"""Helpers for the dashboard tests: dated status batches and the figures read back."""

from typing import Any

from fastapi.testclient import TestClient

COUNTS = ("total", "complete", "ongoing", "at_risk")


def batch(client: TestClient, headers: dict, events: list[tuple[int, str, str]]) -> None:
    """Record (task id, status, effective date) events in one all-or-nothing batch."""
    body = {
        "events": [
            {"task_id": task_id, "status": status, "effective_date": on}
            for task_id, status, on in events
        ]
    }
    response = client.post("/api/v1/tasks/status-batch", json=body, headers=headers)
    assert response.status_code == 201, response.text


def dashboard(client: TestClient, headers: dict, quarter: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/api/v1/dashboard", params={"quarter": quarter, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def counts(row: dict[str, Any]) -> tuple:
    """(total, complete, ongoing, at risk) of a strand, plan or totals row."""
    return tuple(row[k] for k in COUNTS)


def by_strand(body: dict[str, Any]) -> dict[str, tuple]:
    return {strand["slug"]: counts(strand) for strand in body["strands"]}


def by_plan(body: dict[str, Any]) -> dict[str, tuple]:
    return {plan["name"]: counts(plan) for strand in body["strands"] for plan in strand["plans"]}
