"""The register as CSV and Excel: every matching risk, the same rows as the JSON, no formulas."""

import csv
import io
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.core.exports import XLSX
from tests import factories

COLUMNS = [
    "ref",
    "strand",
    "task_id",
    "description",
    "owner",
    "mitigation",
    "response",
    "registered_on",
    "review_on",
    "likelihood",
    "impact",
    "score",
    "rating",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_score",
    "inherent_rating",
    "target_likelihood",
    "target_impact",
    "target_score",
    "target_rating",
    "status",
    "closed_on",
    "closure_reason",
]


def register(client: TestClient, admin: dict, world) -> None:
    hate, fraud = world["hate"]["id"], world["fraud"]["id"]
    task = factories.task(client, admin, world["hate_plan"]["id"])
    factories.risk(
        client,
        admin,
        hate,
        ref="A13",
        registered_on="2020-05-11",
        task_id=task["id"],
        inherent_likelihood=4,
        inherent_impact=4,
        likelihood=2,
        impact=2,
        target_likelihood=1,
        target_impact=2,
    )
    factories.risk(client, admin, hate, description='=HYPERLINK("http://x","click")')
    factories.risk(client, admin, fraud, owner="-Insp Khan", likelihood=5, impact=5)
    factories.risk(client, admin, fraud, review_on="2030-01-01", response="treat")


def json_rows(client: TestClient, admin: dict, **params: Any) -> list[list[Any]]:
    body = client.get("/api/v1/risks", params={**params, "limit": 500}, headers=admin).json()
    return [[item[column] for column in COLUMNS] for item in body["items"]]


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def unformula(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def test_csv_has_the_same_rows_as_the_json_list(client: TestClient, admin: dict, world) -> None:
    register(client, admin, world)
    response = client.get("/api/v1/risks?format=csv&limit=1", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="risk-register.csv"'
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == COLUMNS
    assert len(rows) == 4
    assert [[unformula(v) for v in row] for row in rows] == [
        [as_text(v) for v in row] for row in json_rows(client, admin)
    ]
    assert rows[0][COLUMNS.index("owner")] == "'-Insp Khan"
    assert rows[2][COLUMNS.index("description")] == '\'=HYPERLINK("http://x","click")'


def test_xlsx_opens_and_has_the_same_rows_as_the_json_list(
    client: TestClient, admin: dict, world
) -> None:
    register(client, admin, world)
    response = client.get("/api/v1/risks?format=xlsx&strand=hate-crime", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content))["Risk register"]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == COLUMNS
    expected = json_rows(client, admin, strand="hate-crime")
    assert len(expected) == 2
    assert [[unformula(as_text(v)) for v in row] for row in rows] == [
        [as_text(v) for v in row] for row in expected
    ]
    first = dict(zip(COLUMNS, rows[0], strict=True))
    assert (first["ref"], first["registered_on"].date(), first["score"]) == (
        "A13",
        date(2020, 5, 11),
        4,
    )
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_unknown_format_is_refused(client: TestClient, admin: dict, world) -> None:
    response = client.get("/api/v1/risks?format=pdf", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"
