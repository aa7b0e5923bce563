"""Every export renders whatever text the database holds.

Rows stored before the text rule may hold any character a database can keep (all but NUL and lone
surrogates), so the text is written straight into the tables, then every export is fetched and
read back with the library that reads its format.
"""

import csv
import io
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from docx import Document
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from app.core.schemas import refused_character
from tests import factories

# Columns of user text the exports print, as the tables name them.
TEXT_COLUMNS = {
    "strategy": ["name"],
    "strand": ["name", "lead", "purpose"],
    "delivery_plan": ["name", "tactical_lead", "operational_lead"],
    "task": ["title", "how", "owner", "due_text"],
    "status_event": ["note"],
    "risk": ["description", "owner", "mitigation"],
    "quarterly_return": ["insight", "delivery_achieved", "delivery_scheduled"],
}
QUARTER = "2020-21-Q2"
EXCEL_CELL_LIMIT = 32_767
STORABLE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
HOSTILE = "\x01\x07\x0b\x1b\x7f\x85\x9f\ufdd0\ufffe\uffff\U0010ffff\r\n\u2028"


def _docx(body: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)


def _docx_cells(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    return "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )


def _xlsx(body: bytes) -> str:
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def _csv(body: bytes) -> str:
    return "\n".join(",".join(row) for row in csv.reader(io.StringIO(body.decode("utf-8"))))


def _utf8(body: bytes) -> str:
    return body.decode("utf-8")


@pytest.fixture
def exports(client: TestClient, admin: dict[str, str]) -> list[tuple[str, Callable[[bytes], str]]]:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime", lead="DCI Ray")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime", tactical_lead="Insp Lee")
    task = factories.task(client, admin, plan["id"], "Third-party reporting", owner="PC Holt")
    factories.status(client, admin, task["id"], "at_risk", "2020-08-03", note="Funding gap")
    factories.risk(client, admin, strand["id"], task_id=task["id"], registered_on="2020-08-03")
    saved = client.put(
        f"/api/v1/returns/{strand['slug']}/{QUARTER}",
        json={
            "insight": "Reports are up.",
            "delivery_achieved": "- hubs",
            "delivery_scheduled": "",
        },
        headers=admin,
    )
    assert saved.status_code == 201, saved.text
    board = f"/api/v1/reports/board?quarter={QUARTER}&format="
    return [
        (board + "docx", _docx),
        (board + "xlsx", _xlsx),
        (board + "md", _utf8),
        (board + "html", _utf8),
        (f"/api/v1/plans/{plan['id']}/export?format=xlsx", _xlsx),
        (f"/api/v1/plans/{plan['id']}/export?format=csv", _csv),
        ("/api/v1/tasks?format=xlsx", _xlsx),
        ("/api/v1/tasks?format=csv", _csv),
        ("/api/v1/risks?format=xlsx", _xlsx),
        ("/api/v1/risks?format=csv", _csv),
        (f"/api/v1/dashboard?quarter={QUARTER}&format=csv", _csv),
    ]


def _store(engine: Engine, text: str) -> None:
    with engine.begin() as connection:
        for table, columns in TEXT_COLUMNS.items():
            assignments = ", ".join(f"{column} = :{column}" for column in columns)
            connection.execute(
                sa.text(f"UPDATE {table} SET {assignments}"), dict.fromkeys(columns, text)
            )


def _every_export_renders(
    client: TestClient, admin: dict, engine: Engine, exports: list, text: str
) -> None:
    _store(engine, f"Plan {text} end")
    for url, read in exports:
        response = client.get(url, headers=admin)
        assert response.status_code == 200, (url, response.text[:500])
        shown = read(response.content)
        assert refused_character(shown.replace("\r", "")) is None, url
        assert "end" in shown, url


def test_every_export_renders_stored_control_characters(
    client: TestClient, admin: dict[str, str], engine: Engine, exports: list
) -> None:
    _every_export_renders(client, admin, engine, exports, HOSTILE)


@pytest.mark.once
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(STORABLE, min_size=1, max_size=40))
@example(text="".join(chr(c) for c in range(1, 0xBF)))
def test_every_export_renders_any_stored_text(
    client: TestClient, admin: dict[str, str], engine: Engine, exports: list, text: str
) -> None:
    _every_export_renders(client, admin, engine, exports, text)


def test_the_board_report_keeps_every_accepted_character(
    client: TestClient, admin: dict[str, str], engine: Engine, exports: list
) -> None:
    # Every code point of the Basic Multilingual Plane the rule accepts, and the start of every
    # other plane, in a risk's mitigation: a column without a length limit that the report prints.
    # The mitigation is Markdown, so ASCII punctuation (its syntax) is left to the renderer's tests.
    accepted = "".join(
        chr(c)
        for c in [
            *range(0x20, 0x10000),
            *(p * 0x10000 + i for p in range(1, 17) for i in range(256)),
        ]
        if refused_character(chr(c)) is None and not (c < 0x80 and not chr(c).isalnum())
    )
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE risk SET mitigation = :v"), {"v": accepted})
    for fmt, read, expected in (
        ("docx", _docx_cells, accepted),
        ("xlsx", _xlsx, accepted[:EXCEL_CELL_LIMIT]),
    ):
        response = client.get(
            f"/api/v1/reports/board?quarter={QUARTER}&format={fmt}", headers=admin
        )
        assert response.status_code == 200, fmt
        assert expected in read(response.content), fmt
