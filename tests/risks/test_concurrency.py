"""Many leads registering risks at once, against a real server: every ref made once, none lost."""

import threading

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.live import together

WRITERS = 8
EACH = 3


def test_concurrent_creations_get_distinct_refs_in_sequence(
    app: FastAPI, client: TestClient, admin: dict, world
) -> None:
    strands = (world["hate"]["id"], world["fraud"]["id"])
    codes: list[int] = []
    made: list[str] = []
    lock = threading.Lock()

    def write(http: httpx.Client, n: int) -> None:
        for i in range(EACH):
            response = http.post(
                "/api/v1/risks",
                json={
                    "strand_id": strands[(n + i) % 2],
                    "description": f"Risk {n}.{i}",
                    "owner": "DI Smith",
                    "mitigation": "Monitor",
                    "response": "treat",
                },
            )
            with lock:
                codes.append(response.status_code)
                if response.status_code == 201:
                    made.append(response.json()["ref"])

    together(app, admin, WRITERS, write)

    assert codes == [201] * (WRITERS * EACH)
    assert sorted(made) == sorted(f"A{n}" for n in range(1, WRITERS * EACH + 1))
    listed = client.get("/api/v1/risks?sort=ref&limit=500", headers=admin).json()
    assert [r["ref"] for r in listed["items"]] == [f"A{n}" for n in range(1, WRITERS * EACH + 1)]
