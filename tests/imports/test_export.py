"""Exports in the Appendix 2 layout, and export → import changing nothing."""

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from tests import factories
from tests.dbutil import statements_during
from tests.imports.workbooks import HEADER, csv_file, knife_workbook

EXPORTED = [*HEADER, "Status", "Status since"]


def _filename(response) -> str:
    return response.headers["content-disposition"].split('filename="')[1].rstrip('"')


def _plan_id(client: TestClient, headers: dict, strand: str = "gangs-and-knife-crime") -> int:
    return client.get(f"/api/v1/strands/{strand}", headers=headers).json()["plans"][0]["id"]


def test_a_plan_exports_to_xlsx_in_the_layout_it_was_imported_from(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    before = snapshot()
    plan_id = _plan_id(client, admin)
    response = client.get(f"/api/v1/plans/{plan_id}/export?format=xlsx", headers=admin)
    assert response.status_code == 200
    assert _filename(response) == "gangs-and-knife-crime--knife-crime.xlsx"
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Strand Leads & Review Dates", "Knife Crime"]
    leads = [list(r) for r in workbook["Strand Leads & Review Dates"].iter_rows(values_only=True)]
    assert leads[2:] == [
        ["Area", "Tactical Lead", "Operational Lead", "Strand"],
        ["Knife Crime", "C/Insp Sam Smith", "TBC", "gangs-and-knife-crime"],
    ]
    rows = [list(r) for r in workbook["Knife Crime"].iter_rows(values_only=True)]
    assert rows[0][0] == "Knife Crime"
    assert rows[2] == EXPORTED
    assert [(r[0], r[5]) for r in rows[3:]] == [
        ("PREVENT", 1),
        (None, 2),
        (None, 3),
        ("PURSUE", 4),
        (None, 5),
    ]
    assert rows[4][1:5] == [
        "Work with parents to educate re knife crime",
        "Linked to actions (1) & (3)",
        "SS",
        "COMPLETED",
    ]
    assert rows[7][2] == "'- Hot spots\n- Tactical menu"

    again = upload(response.content, _filename(response)).json()
    assert (again["plans"][0]["name"], again["unchanged"], again["rows_read"]) == (
        "Knife Crime",
        5,
        5,
    )
    assert snapshot() == before


def test_a_plan_exports_to_csv_and_imports_back_unchanged(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    before = snapshot()
    plan_id = _plan_id(client, admin)
    response = client.get(f"/api/v1/plans/{plan_id}/export?format=csv", headers=admin)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[:3] == [["Knife Crime"], [], EXPORTED]
    assert rows[3][:3] == ["PREVENT", "Establish a young people subgroup", "Youth IAG in each LPA"]
    again = upload(response.content, _filename(response)).json()
    assert (again["plans"][0]["name"], again["unchanged"], again["skipped"]) == (
        "Knife Crime",
        5,
        0,
    )
    assert snapshot() == before


def test_formulas_are_neutralised_and_read_back_as_written(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(csv_file("Knife Crime", [["PREVENT", "Plain", "", "", "", 1]]), "knife.csv")
    plan_id = _plan_id(client, admin)
    factories.task(
        client,
        admin,
        plan_id,
        '=HYPERLINK("http://evil","x")',
        task_no=2,
        how="+44 1245 491491",
        owner="@lead",
        pillar="prepare",
    )
    before = snapshot()
    xlsx = client.get(f"/api/v1/plans/{plan_id}/export?format=xlsx", headers=admin)
    sheet = load_workbook(io.BytesIO(xlsx.content))["Knife Crime"]
    assert [c.value for c in sheet[5]][:4] == [
        "PREPARE",
        '\'=HYPERLINK("http://evil","x")',
        "'+44 1245 491491",
        "'@lead",
    ]
    assert "f" not in {c.data_type for c in sheet[5]}
    text = client.get(f"/api/v1/plans/{plan_id}/export?format=csv", headers=admin).text
    assert "'=HYPERLINK" in text
    for response in (xlsx, client.get(f"/api/v1/plans/{plan_id}/export?format=csv", headers=admin)):
        assert upload(response.content, _filename(response)).json()["unchanged"] == 2
    assert snapshot() == before


def test_a_strands_tasks_export_with_their_filters_and_import_back(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    gangs = [
        ["PREVENT", "Media messaging", "", "PW", "1st review 28/7/18", 1],
        ["PURSUE", "Gang matrix", "Linked to action (1)", "JF", "", 2],
    ]
    upload(csv_file("Gangs / County Lines", gangs), "gangs.csv")
    before = snapshot()

    workbook = client.get(
        "/api/v1/tasks?format=xlsx&strand=gangs-and-knife-crime&limit=1", headers=admin
    )
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames == [
        "Strand Leads & Review Dates",
        "Knife Crime",
        "Gangs - County Lines",
    ]
    report = upload(workbook.content, "tasks.xlsx").json()
    assert [(p["name"], p["unchanged"]) for p in report["plans"]] == [
        ("Knife Crime", 5),
        ("Gangs / County Lines", 2),
    ]
    table = client.get("/api/v1/tasks?format=csv&strand=gangs-and-knife-crime", headers=admin)
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[:3] == [["Delivery plans"], [], [*EXPORTED, "Plan"]]
    assert [r[8] for r in rows[3:]] == ["Knife Crime"] * 5 + ["Gangs / County Lines"] * 2
    report = upload(table.content, "tasks.csv").json()
    assert [(p["name"], p["unchanged"]) for p in report["plans"]] == [
        ("Knife Crime", 5),
        ("Gangs / County Lines", 2),
    ]
    assert snapshot() == before

    pursue = client.get("/api/v1/tasks?format=csv&pillar=pursue&limit=1", headers=admin)
    rows = list(csv.reader(io.StringIO(pursue.text)))
    assert [(r[0], r[5], r[8]) for r in rows[3:]] == [
        ("PURSUE", "4", "Knife Crime"),
        ("", "5", "Knife Crime"),
        ("PURSUE", "2", "Gangs / County Lines"),
    ]


def test_an_export_names_its_strand_so_it_is_not_imported_into_another(
    client: TestClient, admin: dict, strands, upload, snapshot
) -> None:
    upload(knife_workbook(), "knife.xlsx", plan="Knife Crime")
    exported = client.get(f"/api/v1/plans/{_plan_id(client, admin)}/export", headers=admin)
    before = snapshot()
    response = upload(exported.content, "knife.xlsx", strand="hate-crime")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "strand",
            "message": "the leads sheet puts the plan 'Knife Crime' in the strand "
            "'gangs-and-knife-crime', not 'hate-crime': import it into its own strand",
        }
    ]
    assert snapshot() == before


def test_an_empty_plan_exports_its_header_and_unknown_plans_are_404(
    client: TestClient, admin: dict, strands, viewer: dict
) -> None:
    plan = factories.plan(client, admin, strands["hate"]["id"], "Hate Crime")
    response = client.get(f"/api/v1/plans/{plan['id']}/export?format=csv", headers=viewer)
    assert list(csv.reader(io.StringIO(response.text))) == [["Hate Crime"], [], EXPORTED]
    assert client.get("/api/v1/plans/999/export", headers=viewer).status_code == 404
    bad = client.get(f"/api/v1/plans/{plan['id']}/export?format=pdf", headers=viewer)
    assert bad.status_code == 422
    nothing = client.get("/api/v1/tasks?format=xlsx&strand=hate-crime", headers=viewer)
    assert load_workbook(io.BytesIO(nothing.content)).sheetnames == ["Strand Leads & Review Dates"]


def test_listing_tasks_with_links_runs_the_same_queries_whatever_the_page(
    client: TestClient, admin: dict, strands, upload, engine: Engine
) -> None:
    rows = [
        ["PREVENT" if n == 1 else "", f"Task {n}", f"Linked to action ({n - 1})", "", "", n]
        for n in range(1, 61)
    ]
    upload(csv_file("Knife Crime", rows), "knife.csv")

    def queries(limit: int) -> int:
        count, response = statements_during(
            engine, lambda: client.get(f"/api/v1/tasks?limit={limit}", headers=admin)
        )
        items = response.json()["items"]
        assert items[-1]["linked_task_ids"] == [items[-2]["id"]]
        return count

    assert queries(5) == queries(60)
