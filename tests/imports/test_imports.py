"""Importing delivery plans through the API: outcomes, re-imports, dry runs and refusals."""

import io
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.dbutil import assert_spans_match_events
from tests.imports.workbooks import KNIFE_ROWS, csv_file, knife_workbook, xlsx


def _tasks(client: TestClient, headers: dict, **params) -> list[dict]:
    body = client.get("/api/v1/tasks", params={"limit": 500, **params}, headers=headers).json()
    return body["items"]


def _by_no(tasks: list[dict]) -> dict[int, dict]:
    return {t["task_no"]: t for t in tasks}


def test_a_workbook_imports_every_row_or_says_why_not(
    client: TestClient, admin: dict, strands, upload
) -> None:
    response = upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is False
    assert (report["rows_read"], report["created"], report["skipped"]) == (8, 5, 3)
    assert report["warnings"] == [
        "the leads sheet's area 'USG & County Lines' matches no plan; not used"
    ]
    [plan] = report["plans"]
    assert (plan["name"], plan["plan"], plan["sheet"]) == ("Knife Crime", "created", "Knife crime")
    skipped = [(r["row"], r["reason"]) for r in plan["rows"] if r["outcome"] == "skipped"]
    assert skipped == [
        (6, "only punctuation, no task"),
        (8, "blank row"),
        (10, "duplicate of row 9"),
    ]
    assert [r["row"] for r in plan["rows"] if r["outcome"] == "created"] == [4, 5, 7, 9, 11]

    strand = client.get("/api/v1/strands/gangs-and-knife-crime", headers=admin).json()
    [made] = strand["plans"]
    assert (made["name"], made["tactical_lead"], made["operational_lead"]) == (
        "Knife Crime",
        "C/Insp Sam Smith",
        "TBC",
    )
    tasks = _by_no(_tasks(client, admin, plan_id=made["id"]))
    assert sorted(tasks) == [1, 2, 3, 4, 5]
    created = {r["task_id"]: r["title"] for r in plan["rows"] if r["outcome"] == "created"}
    assert created == {t["id"]: t["title"] for t in tasks.values()}
    assert [tasks[n]["pillar"] for n in (1, 2, 3, 4, 5)] == ["prevent"] * 3 + ["pursue"] * 2
    assert (tasks[1]["due_text"], tasks[1]["due_date"]) == ("1st review 15/6/18", "2018-06-15")
    assert (tasks[2]["due_text"], tasks[2]["due_date"], tasks[2]["status"]) == (
        "COMPLETED",
        None,
        "complete",
    )
    assert (tasks[4]["due_text"], tasks[4]["due_date"]) == ("Ongoing", None)
    assert (tasks[5]["due_text"], tasks[5]["due_date"]) == ("31/03/2019", "2019-03-31")
    assert tasks[5]["how"] == "- Hot spots\n- Tactical menu"
    assert tasks[1]["added_on"] == date.today().isoformat()
    assert tasks[2]["linked_task_ids"] == [tasks[1]["id"], tasks[3]["id"]]
    assert tasks[3]["linked_task_ids"] == [tasks[1]["id"], tasks[2]["id"]]
    assert tasks[1]["linked_task_ids"] == []
    history = client.get(f"/api/v1/tasks/{tasks[2]['id']}/history", headers=admin).json()
    assert [(e["status"], e["effective_date"]) for e in history] == [
        ("complete", date.today().isoformat())
    ]


def test_a_dry_run_reports_every_row_and_writes_nothing(
    client: TestClient, strands, upload, snapshot
) -> None:
    before = snapshot()
    response = upload(knife_workbook(), "knife.xlsx", plan="Knife Crime", dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True
    [plan] = report["plans"]
    assert (plan["plan"], plan["plan_id"], plan["plan_changes"]) == (
        "created",
        None,
        ["tactical_lead", "operational_lead"],
    )
    assert [(r["row"], r["outcome"], r["task_id"]) for r in plan["rows"]] == [
        (4, "created", None),
        (5, "created", None),
        (6, "skipped", None),
        (7, "created", None),
        (8, "skipped", None),
        (9, "created", None),
        (10, "skipped", None),
        (11, "created", None),
    ]
    assert snapshot() == before

    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    imported = snapshot()
    edited = [list(row) for row in KNIFE_ROWS]
    edited[0][3] = "PW and SS"
    report = upload(knife_workbook(edited), "knife.xlsx", plan="Knife Crime", dry_run=True).json()
    assert [(r["row"], r["changes"]) for r in report["plans"][0]["rows"] if r["changes"]] == [
        (4, ["owner"])
    ]
    assert snapshot() == imported


def test_importing_the_same_file_again_changes_nothing(
    client: TestClient, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    before = snapshot()
    report = upload(knife_workbook(), "knife.xlsx", plan="Knife Crime").json()
    assert (report["created"], report["updated"], report["unchanged"], report["skipped"]) == (
        0,
        0,
        5,
        3,
    )
    assert report["plans"][0]["plan"] == "unchanged"
    assert snapshot() == before


def test_an_edited_sheet_updates_only_what_changed(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    before = {t["task_no"]: t for t in snapshot()["task"]}
    edited = [list(row) for row in KNIFE_ROWS]
    edited[3][2] = "Linked to Action (1)"  # task 3 no longer links to task 2
    edited[3][4] = "COMPLETED"  # and is now complete
    edited[1][4] = "Dec-18"  # task 2 is no longer COMPLETED
    report = upload(knife_workbook(edited), "knife.xlsx", plan="Knife Crime").json()
    rows = {r["row"]: r for r in report["plans"][0]["rows"]}
    assert (rows[5]["outcome"], rows[5]["changes"]) == (
        "updated",
        ["due_text", "due_date", "status"],
    )
    assert (rows[7]["outcome"], rows[7]["changes"]) == (
        "updated",
        ["how", "due_text", "due_date", "status", "links"],
    )
    assert [rows[n]["outcome"] for n in (4, 9, 11)] == ["unchanged"] * 3

    after = {t["task_no"]: t for t in snapshot()["task"]}
    assert {n: after[n]["version"] - before[n]["version"] for n in after} == {
        1: 0,
        2: 2,  # the edit, then the status event
        3: 2,
        4: 0,
        5: 0,
    }
    assert (after[2]["due_date"], after[2]["status"]) == (date(2018, 12, 31), "ongoing")
    assert after[3]["status"] == "complete"
    task3 = client.get(f"/api/v1/tasks/{after[3]['id']}", headers=admin).json()
    assert task3["linked_task_ids"] == [after[1]["id"]]
    assert task3["updated_by"] == "admin"
    history = client.get(f"/api/v1/tasks/{after[2]['id']}/history", headers=admin).json()
    assert [e["status"] for e in history] == ["complete", "ongoing"]
    assert history[1]["note"] == "The plan imported from knife.xlsx says no longer COMPLETED."

    again = upload(knife_workbook(edited), "knife.xlsx", plan="Knife Crime").json()
    assert (again["updated"], again["unchanged"]) == (0, 5)

    new_leads = knife_workbook(edited, leads=("C/Insp Sam Smith", "Insp Ria Shah"))
    plan = upload(new_leads, "knife.xlsx", plan="Knife Crime").json()["plans"][0]
    assert (plan["plan"], plan["plan_changes"], plan["unchanged"]) == (
        "updated",
        ["operational_lead"],
        5,
    )
    [made] = client.get("/api/v1/strands/gangs-and-knife-crime", headers=admin).json()["plans"]
    assert (made["operational_lead"], made["version"]) == ("Insp Ria Shah", 2)


def test_numbers_that_restart_in_each_pillar_are_kept_apart(
    client: TestClient, admin: dict, strands, upload
) -> None:
    rows = [
        ["PREVENT", "Op Scorpion", "Mapping OCGs", "SCD", "On-going", 1],
        ["", "LPA SOC Boards", "Monthly meetings", "Supt", "Monthly", 2],
        ["PURSUE", "Op Scorpion", "Mapping OCGs", "SCD", "On-going", 1],
        ["", "Circulate OCG briefings", "Linked to action (1)", "LRO", "On-going", 7],
    ]
    content = csv_file("Organised Crime Groups", rows)
    first = upload(content, "ocg.csv", strand="hate-crime").json()
    assert (first["created"], first["plans"][0]["name"]) == (4, "Organised Crime Groups")
    tasks = _tasks(client, admin, strand="hate-crime")
    assert [(t["pillar"], t["task_no"]) for t in tasks] == [
        ("prevent", 1),
        ("prevent", 2),
        ("pursue", 1),
        ("pursue", 7),
    ]
    assert tasks[3]["linked_task_ids"] == [tasks[2]["id"]]  # task 1 of its own pillar
    again = upload(content, "ocg.csv", strand="hate-crime").json()
    assert (again["created"], again["unchanged"]) == (0, 4)


def test_a_sheet_without_numbers_matches_rows_by_their_text(
    client: TestClient, admin: dict, strands, upload
) -> None:
    header = ["Strand", "Task", "How"]
    rows = [
        ["PREVENT", "Analyse data from 3rd parties", ""],
        ["", "Identify business victims", ""],
        ["PROTECT", "Banking protocol", "With the banks"],
    ]
    first = upload(csv_file(None, rows, header), "Digital Crime & Fraud.csv").json()
    assert (first["created"], first["plans"][0]["name"]) == (3, "Digital Crime & Fraud")
    made = {r["task_id"]: r["title"] for r in first["plans"][0]["rows"]}
    assert made == {t["id"]: t["title"] for t in _tasks(client, admin)}
    rows[2][2] = "With the banks and building societies"
    rows[1][1] = "Identify  business victims"
    second = upload(csv_file(None, rows, header), "Digital Crime & Fraud.csv").json()
    outcomes = [(r["outcome"], r["changes"]) for r in second["plans"][0]["rows"]]
    assert outcomes == [("unchanged", []), ("updated", ["title"]), ("updated", ["how"])]
    tasks = _tasks(client, admin, strand="gangs-and-knife-crime")
    assert [t["title"] for t in tasks] == [
        "Analyse data from 3rd parties",
        "Identify  business victims",
        "Banking protocol",
    ]
    assert [t["owner"] for t in tasks] == ["", "", ""]


def test_rows_that_cannot_be_tasks_are_skipped_with_their_reason(
    client: TestClient, strands, upload
) -> None:
    rows = [
        ["Task list", "Not under a pillar", "", "", "", ""],
        ["PREVENT", "", "", "", "", ""],
        ["", "A task", "", "", "", "one"],
        ["", "", "Only a how", "", "", ""],
        ["", "Too long an owner", "", "x" * 201, "", 2],
        ["Pursue (with partners)", "A pursue task", "", "", "", 3],
    ]
    report = upload(csv_file("Knife Crime", rows), "knife.csv").json()
    reasons = [(r["row"], r["outcome"], r["reason"]) for r in report["plans"][0]["rows"]]
    assert reasons == [
        (4, "skipped", "Strand 'Task list' is not Prevent, Pursue, Protect or Prepare"),
        (5, "skipped", "pillar heading, no task"),
        (6, "skipped", "Task No 'one' is not a whole number from 1 to 100000"),
        (7, "skipped", "no task text in the Task column"),
        (8, "skipped", "Who: String should have at most 200 characters"),
        (9, "created", None),
    ]
    assert report["rows_read"] == report["created"] + report["skipped"] == 6


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            csv_file("Knife Crime", [["PREVENT", "x", "y"]], ["Strand", "Tasks", "How"]),
            "knife.csv",
            "missing: Task)",
        ),
        (
            xlsx([("Plan", "Plan", [["PREVENT", "A task"]])], header=["Strand", "Task", "Who"]),
            "plan.xlsx",
            "sheet 'Plan' is not a delivery plan: no header row in its first 15 rows has the "
            "columns Strand, Task and How will this be delivered? (missing: How will this be "
            "delivered?)",
        ),
        (b"PK\x03\x04 not really a zip", "plan.xlsx", "not a valid .xlsx workbook"),
        (b"just some text", "plan.xlsx", "not a valid .xlsx workbook (it is not a zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "plan.xls", "old-style .xls workbook"),
        (b"Strand,Task,How\nPREVENT,x," + b"y" * 200_000, "plan.csv", "malformed at line 2"),
        (b"\x81\x8d\x8f\x90\x9d", "plan.csv", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_a_broken_file_is_refused_and_changes_nothing(
    client: TestClient, strands, upload, snapshot, content: bytes, filename: str, message: str
) -> None:
    before = snapshot()
    response = upload(content, filename)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert message in problem["detail"]
    assert problem["errors"][0]["field"] == "file"
    assert snapshot() == before


def test_a_workbook_that_would_unpack_to_too_much_is_refused(
    client: TestClient, strands, upload, snapshot
) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (101 * 1024 * 1024))
    assert len(bomb.getvalue()) < 200_000
    before = snapshot()
    response = upload(bomb.getvalue(), "plan.xlsx")
    assert response.status_code == 422
    assert "would unpack to 105,906,176 bytes" in response.json()["detail"]
    assert snapshot() == before


@pytest.fixture
def small_client(settings: Settings, engine) -> TestClient:
    """An API whose limits are small enough to reach in a test."""
    small = settings.model_copy(update={"import_max_bytes": 2_000, "import_max_rows": 10})
    with TestClient(create_app(small, engine=engine)) as client:
        yield client


def test_too_large_an_upload_is_refused_before_it_is_read(
    small_client: TestClient, admin: dict, strands, snapshot
) -> None:
    before = snapshot()
    content = csv_file("Knife Crime", [["PREVENT", "x" * 3_000, ""]])
    response = small_client.post(
        "/api/v1/imports",
        files={"file": ("knife.csv", content, "text/csv")},
        data={"strand": "gangs-and-knife-crime"},
        headers=admin,
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "the file is larger than 2,000 bytes: split the plans into smaller files"
    )

    def chunks():
        yield b"x" * 70_000
        yield b"x" * 70_000

    streamed = small_client.post(
        "/api/v1/imports",
        content=chunks(),
        headers={**admin, "content-type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert snapshot() == before


def test_too_many_rows_are_refused(small_client: TestClient, admin: dict, strands) -> None:
    rows = [["PREVENT" if n == 1 else "", f"Task {n}", "", "", "", n] for n in range(1, 12)]
    response = small_client.post(
        "/api/v1/imports",
        files={"file": ("knife.csv", csv_file(None, rows), "text/csv")},
        data={"strand": "gangs-and-knife-crime"},
        headers=admin,
    )
    assert response.status_code == 422
    assert (
        response.json()["detail"] == "the file has more than 10 rows: split it into smaller files"
    )


def test_only_a_lead_of_the_strand_or_an_admin_may_import(
    client: TestClient, strands, upload, viewer: dict, snapshot
) -> None:
    before = snapshot()
    content = knife_workbook()
    for headers in (strands["hate_lead"], viewer):
        refused = upload(content, "knife.xlsx", plan="Knife Crime", headers=headers)
        assert refused.status_code == 403
        dry = upload(content, "knife.xlsx", plan="Knife Crime", headers=headers, dry_run=True)
        assert dry.status_code == 403
    assert snapshot() == before
    allowed = upload(content, "knife.xlsx", plan="Knife Crime", headers=strands["knife_lead"])
    assert allowed.status_code == 200
    assert allowed.json()["created"] == 5


def test_bad_form_fields_name_the_field(client: TestClient, strands, upload) -> None:
    unknown = upload(knife_workbook(), "knife.xlsx", strand="no-such-strand")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "strand"
    future = upload(knife_workbook(), "knife.xlsx", added_on="2999-01-01")
    assert (future.status_code, future.json()["errors"][0]["field"]) == (422, "added_on")
    two_plans = xlsx([("A", "Plan A", [["PREVENT", "a", ""]]), ("B", "Plan B", [])])
    named = upload(two_plans, "two.xlsx", plan="One name")
    assert (named.status_code, named.json()["errors"][0]["field"]) == (422, "plan")
    missing = upload(b"", "knife.csv")
    assert missing.status_code == 422
    long_title = upload(csv_file("A" * 201, [["PREVENT", "a", ""]]), "k.csv")
    assert (long_title.status_code, long_title.json()["errors"][0]["field"]) == (422, "plan")
    long_lead = xlsx([("Knife Crime", None, [])], leads=[["Knife Crime", "x" * 201, ""]])
    refused = upload(long_lead, "k.xlsx")
    assert (refused.status_code, refused.json()["detail"]) == (
        422,
        "the leads of the plan 'Knife Crime': tactical_lead: String should have at most 200 "
        "characters",
    )


def test_added_on_dates_the_new_tasks_and_their_first_status(
    client: TestClient, admin: dict, strands, upload
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime", added_on="2018-05-04")
    tasks = _by_no(_tasks(client, admin, strand="gangs-and-knife-crime"))
    assert {t["added_on"] for t in tasks.values()} == {"2018-05-04"}
    history = client.get(f"/api/v1/tasks/{tasks[2]['id']}/history", headers=admin).json()
    assert [(e["status"], e["effective_date"]) for e in history] == [("complete", "2018-05-04")]


def test_one_workbook_may_hold_several_plans(client: TestClient, admin: dict, upload) -> None:
    strategy = client.post(
        "/api/v1/strategies",
        json={"name": "S", "starts_on": "2018-04-01", "ends_on": "2021-03-31"},
        headers=admin,
    ).json()
    client.post(
        "/api/v1/strands",
        json={"strategy_id": strategy["id"], "name": "Gangs & Knife Crime"},
        headers=admin,
    )
    content = xlsx(
        [
            ("USG", "Gangs / County Lines", [["PREVENT", "Media messaging", "", "PW", "", 1]]),
            ("NTE", None, [["Protect", "Licensed premises", "", "SK", "", 1]]),
        ],
        leads=[["USG & County Lines", "DCI Jasmine Frost", ""], ["NTE", "C/Insp Shaun Kane", ""]],
    )
    report = upload(content, "violence.xlsx").json()
    assert [(p["name"], p["created"]) for p in report["plans"]] == [
        ("Gangs / County Lines", 1),
        ("NTE", 1),
    ]
    assert report["warnings"] == [
        "the leads sheet's area 'USG & County Lines' matches no plan; not used"
    ]
    plans = client.get("/api/v1/strands/gangs-and-knife-crime", headers=admin).json()["plans"]
    assert [(p["name"], p["tactical_lead"]) for p in plans] == [
        ("Gangs / County Lines", ""),
        ("NTE", "C/Insp Shaun Kane"),
    ]


def test_header_names_are_read_loosely(client: TestClient, admin: dict, strands, upload) -> None:
    header = [" strand ", "TASK", "How", "who", "When", "Action No."]
    content = csv_file("Knife Crime", [["prevent", "A task", "", "SS", "Jun-18", "7"]], header)
    assert upload(content, "k.csv").json()["created"] == 1
    [task] = _tasks(client, admin)
    assert (task["task_no"], task["owner"], task["due_date"]) == (7, "SS", "2018-06-30")


def test_a_workbook_with_xml_entities_is_refused(client: TestClient, strands, upload) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    original = zipfile.ZipFile(io.BytesIO(knife_workbook()))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as archive:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "xl/worksheets/sheet2.xml":
                data = laughs + data.replace(b"<t>PW</t>", b"<t>&lol2;</t>")
            archive.writestr(member, data)
    response = upload(bomb.getvalue(), "plan.xlsx")
    assert response.status_code == 422
    assert response.json()["detail"] == "the file is not a readable .xlsx workbook"


def test_an_import_puts_each_new_task_in_the_change_feed_once(
    client: TestClient, admin: dict, strands, upload
) -> None:
    before = client.get("/api/v1/changes", headers=admin).json()["cursor"]
    report = upload(knife_workbook(), "knife.xlsx", plan="Knife Crime").json()
    factories.task(client, admin, report["plans"][0]["plan_id"], task_no=99)
    feed = client.get("/api/v1/changes", params={"after": before}, headers=admin).json()
    created = [r["task_id"] for r in report["plans"][0]["rows"] if r["outcome"] == "created"]
    imported = [c["data"]["task_id"] for c in feed["items"] if c["type"] == "task.created"]
    assert imported[:-1] == sorted(created) and len(imported) == len(created) + 1
    again = client.get("/api/v1/changes", params={"after": feed["cursor"]}, headers=admin).json()
    assert again["items"] == []


def test_text_that_a_bulk_write_could_mangle_is_kept_exactly(
    client: TestClient, admin: dict, strands, upload
) -> None:
    awkward = "Tab\there, a back\\slash, \\N, \"quotes\", 'apostrophes', a ∑ and a line\nbreak"
    rows = [["PREVENT", awkward, "\\\\server\\share", "O'Neil", "Ongoing", 1]]
    report = upload(xlsx([("Knife crime", None, rows)]), "knife.xlsx", plan="Knife").json()
    [row] = report["plans"][0]["rows"]
    task = client.get(f"/api/v1/tasks/{row['task_id']}", headers=admin).json()
    assert (task["title"], task["how"], task["owner"]) == (awkward, "\\\\server\\share", "O'Neil")
    [entry] = client.get(
        "/api/v1/audit", params={"entity": "task", "entity_id": task["id"]}, headers=admin
    ).json()["items"]
    assert (entry["action"], entry["before"]) == ("create", None)
    assert (entry["after"]["title"], entry["after"]["how"]) == (awkward, "\\\\server\\share")


def test_an_import_that_adds_and_changes_tasks_counts_them_as_a_recount_does(
    client: TestClient, admin: dict, strands, upload, engine
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    edited = [list(row) for row in KNIFE_ROWS]
    edited[1][4] = "Dec-18"  # task 2 is no longer complete
    edited.append([None, "Seize knives at the station", "Arches", "SS", "COMPLETED", 6])
    report = upload(knife_workbook(edited), "knife.xlsx", plan="Knife Crime").json()
    assert (report["created"], report["updated"]) == (1, 1)
    assert_spans_match_events(engine)
    board = client.get("/api/v1/dashboard", headers=admin).json()
    [strand] = [s for s in board["strands"] if s["slug"] == "gangs-and-knife-crime"]
    assert (strand["total"], strand["complete"], strand["ongoing"]) == (6, 1, 5)
