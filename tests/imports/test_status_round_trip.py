"""A lead does the quarter's update in the plan's spreadsheet: the export carries each task's
Status and the day it took effect, and importing a changed Status records a dated event."""

import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.core.base import today
from tests import factories

STATUS, SINCE = 6, 7
NEW = {1: "At risk", 2: "Complete", 4: "withdrawn", 6: "Complete", 7: "at_risk"}


def _plan(client: TestClient, admin: dict, strands: dict) -> tuple[int, list[dict]]:
    plan = factories.plan(client, admin, strands["knife"]["id"], "Knife Crime")
    made = [
        factories.task(client, admin, plan["id"], task_no=n, title=f"Task {n}") for n in range(1, 9)
    ]
    factories.status(client, admin, made[2]["id"], "at_risk", "2020-05-01")
    return plan["id"], made


def _export(client: TestClient, admin: dict, plan_id: int) -> bytes:
    answer = client.get(f"/api/v1/plans/{plan_id}/export?format=xlsx", headers=admin)
    assert answer.status_code == 200
    return answer.content


def _edited(content: bytes, statuses: dict[int, str]) -> bytes:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["Knife Crime"]
    for row in sheet.iter_rows(min_row=4):
        if row[5].value in statuses:
            row[STATUS].value = statuses[row[5].value]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _tasks(client: TestClient, admin: dict) -> dict[int, dict]:
    listed = client.get("/api/v1/tasks", params={"limit": 500}, headers=admin).json()["items"]
    return {task["task_no"]: task for task in listed}


def test_five_statuses_changed_in_the_sheet_are_five_dated_events_and_nothing_else(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    plan_id, made = _plan(client, admin, strands)
    exported = _export(client, admin, plan_id)
    sheet = load_workbook(io.BytesIO(exported))["Knife Crime"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[2][STATUS:] == ["Status", "Status since"]
    assert [(r[5], r[STATUS], r[SINCE].date()) for r in rows[3:6]] == [
        (1, "Ongoing", date(2020, 4, 1)),
        (2, "Ongoing", date(2020, 4, 1)),
        (3, "At risk", date(2020, 5, 1)),
    ]
    before = _tasks(client, admin)
    events_before = snapshot()["status_event"]

    edited = _edited(exported, NEW)
    report = upload(edited, "knife.xlsx", effective_date="2020-09-30").json()
    assert (report["updated"], report["unchanged"], report["created"]) == (5, 3, 0)
    assert [(r["task_no"], r["outcome"], r["changes"]) for r in report["plans"][0]["rows"]] == [
        (1, "updated", ["status"]),
        (2, "updated", ["status"]),
        (3, "unchanged", []),
        (4, "updated", ["status"]),
        (5, "unchanged", []),
        (6, "updated", ["status"]),
        (7, "updated", ["status"]),
        (8, "unchanged", []),
    ]
    after = _tasks(client, admin)
    assert {n: after[n]["status"] for n in after} == {
        1: "at_risk", 2: "complete", 3: "at_risk", 4: "withdrawn",
        5: "ongoing", 6: "complete", 7: "at_risk", 8: "ongoing",
    }  # fmt: skip
    ignored = {"status", "version", "updated_at", "updated_by", "overdue"}
    for n in before:
        assert {k: v for k, v in after[n].items() if k not in ignored} == {
            k: v for k, v in before[n].items() if k not in ignored
        }
    new_events = snapshot()["status_event"][len(events_before) :]
    by_task = {t["id"]: t["task_no"] for t in made}
    assert [(by_task[e["task_id"]], e["status"], e["effective_date"]) for e in new_events] == [
        (1, "at_risk", date(2020, 9, 30)),
        (2, "complete", date(2020, 9, 30)),
        (4, "withdrawn", date(2020, 9, 30)),
        (6, "complete", date(2020, 9, 30)),
        (7, "at_risk", date(2020, 9, 30)),
    ]
    assert new_events[0]["note"] == "The plan imported from knife.xlsx says Status At risk."

    unchanged = snapshot()
    again = upload(edited, "knife.xlsx", effective_date="2020-10-15").json()
    assert (again["updated"], again["unchanged"]) == (0, 8)
    assert snapshot() == unchanged
    reexported = upload(_export(client, admin, plan_id), "knife.xlsx").json()
    assert (reexported["updated"], reexported["unchanged"]) == (0, 8)
    assert snapshot() == unchanged


def test_a_status_change_defaults_to_today_and_is_refused_into_a_closed_quarter(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    plan_id, _ = _plan(client, admin, strands)
    exported = _export(client, admin, plan_id)
    locked = client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q2"}, headers=admin)
    assert locked.status_code == 201
    before = snapshot()
    refused = upload(_edited(exported, {1: "Complete", 5: "At risk"}), "knife.xlsx",
                     effective_date="2020-08-31")  # fmt: skip
    assert refused.status_code == 409
    assert [e["field"] for e in refused.json()["errors"]] == [
        "Knife Crime row 4",
        "Knife Crime row 8",
    ]
    assert snapshot() == before
    dry = upload(_edited(exported, {1: "Complete"}), "knife.xlsx", effective_date="2020-08-31",
                 dry_run=True)  # fmt: skip
    assert dry.status_code == 409

    done = upload(_edited(exported, {1: "Complete"}), "knife.xlsx").json()
    assert done["updated"] == 1
    history = client.get(f"/api/v1/tasks/{_tasks(client, admin)[1]['id']}/history", headers=admin)
    assert [(e["status"], e["effective_date"]) for e in history.json()] == [
        ("ongoing", "2020-04-01"),
        ("complete", str(today())),
    ]


def test_an_unreadable_status_skips_its_row_with_the_reason(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    plan_id, _ = _plan(client, admin, strands)
    before = snapshot()
    report = upload(_edited(_export(client, admin, plan_id), {2: "Nearly there"}), "k.xlsx").json()
    [row] = [r for r in report["plans"][0]["rows"] if r["outcome"] == "skipped"]
    assert (row["row"], row["reason"]) == (
        5,
        "Status 'Nearly there' is not Ongoing, At risk, Complete or Withdrawn",
    )
    assert snapshot() == before
