"""The board report of a quarter built through the API, read back from each of its formats."""

import base64
import io
from datetime import datetime
from typing import Any

import openpyxl
from docx import Document
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.periods.service import current_quarter
from tests import factories
from tests.dbutil import statements_during
from tests.reports.conftest import FORMULA_TITLE
from tests.reports.helpers import (
    AT_RISK,
    DOMESTIC_ABUSE_PLAN,
    RISKS_DA,
    SUMMARY_HEADER,
    SUMMARY_Q1_PUBLISHED,
    SUMMARY_Q2,
    URL,
    WARNING,
    html_tables,
    report,
)

PNG = b"\x89PNG\r\n\x1a\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def md_table(lines: list[str], header: str) -> list[list[str]]:
    """The rows (header first) of the Markdown table whose header line starts as given."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("*") for cell in line.strip("|").split(" | ")])
    return [rows[0], *rows[2:]]


def test_the_markdown_report_prints_the_boards_tables_and_narratives(
    client: TestClient, viewer: dict, board: dict
) -> None:
    response = report(client, viewer, "2020/21 Q2", "md")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="board-report-2020-21-Q2.md"'
    )
    lines = response.text.splitlines()
    assert lines[:3] == [
        "**OFFICIAL**",
        "",
        "# Crime Prevention Strategy 2018-21: quarterly board report, 2020/21 Q2",
    ]
    assert lines[4] == "Figures as at 30 September 2020, the last day of 2020/21 Q2."
    assert md_table(lines, "| Strands") == [SUMMARY_HEADER, *SUMMARY_Q2]
    assert "There are 2 tasks at risk of delivery as at 30 September 2020, in 2 strands:" in lines
    assert md_table(lines, "| Strand |")[1:] == AT_RISK
    assert f"- {WARNING}" in lines
    assert "### 5.1 Domestic Abuse - Thematic Lead: Chief Superintendent Andrew Mariner" in lines
    plan = md_table(lines, "| Domestic Abuse | 2020/21 Q1")
    assert plan[0] == [
        "Domestic Abuse",
        *(f"{year} Q{n}" for year in ("2020/21", "2021/22") for n in range(1, 5)),
    ]
    assert plan[1:] == DOMESTIC_ABUSE_PLAN
    assert lines.count("Q1: the figures published when that quarter was locked.") == 2
    assert md_table(lines, "| Ref No") == RISKS_DA
    insight = lines.index("#### Insight")
    # The lead's Markdown is kept as written.
    assert lines[insight + 2 : insight + 6] == [
        "Arrests are up on last year.",
        "- DVPOs granted: 27 in April",
        "- Breaches: 6",
        "",
    ]
    assert "=SUM(A1:A9) calls attended within target." in lines
    assert any(line.startswith("*Draft: this return has not been submitted") for line in lines)
    assert "*No quarterly return has been written for 2020/21 Q2.*" in lines
    assert "This thematic strand does not have a delivery plan." in lines


def test_the_web_page_report_has_the_tables_and_both_charts_inline(
    client: TestClient, viewer: dict, board: dict
) -> None:
    response = report(client, viewer, "2020-21-Q2", "html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'inline; filename="board-report-2020-21-Q2.html"'
    )
    assert "img-src 'self' data:" in response.headers["content-security-policy"]
    tables, images = html_tables(response.text)
    summary, at_risk, da_plan, da_risks, knife, county = tables
    assert summary == [SUMMARY_HEADER, *SUMMARY_Q2]
    assert at_risk[1:] == AT_RISK
    assert da_plan[:2] == [["Domestic Abuse", "2020/21", "2021/22"], ["Q1", "Q2", "Q3", "Q4"] * 2]
    assert da_plan[2:] == DOMESTIC_ABUSE_PLAN
    assert da_risks == RISKS_DA
    assert [knife[0][0], county[0][0]] == ["Knife Crime", "Gangs / County Lines"]
    assert county[2:] == [
        ["Total", "1", "1", "", "", "", "", "", ""],
        ["Complete", "0", "0", "", "", "", "", "", ""],
        ["Ongoing / In progress", "1", "0", "", "", "", "", "", ""],
        ["At risk", "0", "1", "", "", "", "", "", ""],
    ]
    assert len(images) == 2
    for source in images:
        prefix, data = source.split(",", 1)
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG)
    assert "<script" not in response.text
    assert f"<li>{escape(WARNING)}</li>" in response.text


def cells(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_word_report_has_the_tables_headings_and_charts(
    client: TestClient, viewer: dict, board: dict
) -> None:
    response = report(client, viewer, "2020-21-Q2", "docx")
    assert response.headers["content-type"] == DOCX
    assert response.headers["content-disposition"] == (
        'attachment; filename="board-report-2020-21-Q2.docx"'
    )
    document = Document(io.BytesIO(response.content))
    summary, at_risk, da_plan, da_risks, knife, county = document.tables
    assert cells(summary) == [SUMMARY_HEADER, *SUMMARY_Q2]
    assert cells(at_risk)[1:] == AT_RISK
    # The plan's name spans both header rows, each year its four quarters.
    assert cells(da_plan)[:2] == [
        ["Domestic Abuse", *["2020/21"] * 4, *["2021/22"] * 4],
        ["Domestic Abuse", *["Q1", "Q2", "Q3", "Q4"] * 2],
    ]
    assert cells(da_plan)[2:] == DOMESTIC_ABUSE_PLAN
    assert cells(da_risks) == RISKS_DA
    assert [cells(knife)[0][0], cells(county)[0][0]] == ["Knife Crime", "Gangs / County Lines"]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    # No paper written for the quarter: the author's sections stand empty in their places.
    assert headings[:8] == [
        "1.0 Purpose of Report",
        "2.0 Recommendations",
        "3.0 Executive Summary",
        "3.1 Dashboard summary",
        "3.2 Strands at risk",
        "Data quality",
        "3.3 Delivery/challenges by exception",
        "4.0 Strategy progress and next steps",
    ]
    assert "5.3 House Burglary and Street Robbery - Thematic Lead: C/Supt Simon Anslow" in headings
    assert headings[-3:] == ["8.0 Actions for Improvement", "9.0 Future Work", "Appendix: Charts"]
    texts = [p.text for p in document.paragraphs]
    assert WARNING in texts
    assert "No quarterly return has been written for 2020/21 Q2." in texts
    assert "This thematic strand does not have a delivery plan." in texts
    assert len(document.inline_shapes) == 2
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL"


def test_the_excel_report_keeps_figures_as_numbers_and_formulas_as_text(
    client: TestClient, viewer: dict, board: dict
) -> None:
    response = report(client, viewer, "2020-21-Q2", "xlsx")
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="board-report-2020-21-Q2.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Report",
        "Summary",
        "Tasks at risk",
        "Data quality",
        "Paper",
        "Plan progress",
        "Risks",
        "Returns",
    ]

    def values(name: str) -> list[list[Any]]:
        return [list(row) for row in workbook[name].iter_rows(values_only=True)]

    # Figures are numbers, the percentages numbers in columns of their own.
    assert values("Summary") == [
        [*SUMMARY_HEADER, "Complete %", "Ongoing / In progress %", "At risk %"],
        ["Domestic Abuse", 5, 2, 2, 1, 40, 40, 20],
        ["Gangs and Knife Crime", 3, 1, 1, 1, 33, 33, 33],
        ["House Burglary and Street Robbery", *["N/A"] * 7],
        ["Total", 8, 3, 3, 2, 38, 38, 25],
    ]
    summary = workbook["Summary"]
    assert (summary.freeze_panes, summary.auto_filter.ref) == ("A2", "A1:H5")
    assert summary.page_setup.orientation == "landscape"
    assert (summary.page_setup.fitToWidth, summary.sheet_properties.pageSetUpPr.fitToPage) == (
        1,
        True,
    )
    assert values("Plan progress")[0][3:] == [
        f"{year} Q{n}" for year in ("2020/21", "2021/22") for n in range(1, 5)
    ]
    empty = [None] * 6
    assert values("Plan progress")[1:5] == [
        ["Domestic Abuse", "Domestic Abuse", "Total", 5, 5, *empty],
        ["Domestic Abuse", "Domestic Abuse", "Complete", 2, 2, *empty],
        ["Domestic Abuse", "Domestic Abuse", "Ongoing / In progress", 3, 2, *empty],
        ["Domestic Abuse", "Domestic Abuse", "At risk", 0, 1, *empty],
    ]
    assert values("Risks")[1][:3] == ["Domestic Abuse", "A1", datetime(2020, 8, 3)]
    # The task titled like a formula, and a narrative starting with one, stay text.
    task_cell = workbook["Tasks at risk"]["C3"]
    assert (task_cell.value, task_cell.data_type) == ("'" + FORMULA_TITLE, "s")
    achieved = workbook["Returns"]["E2"]
    assert achieved.value == "'=SUM(A1:A9) calls attended within target."
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    assert values("Returns")[1][2].startswith("Return submitted on ")
    assert values("Returns")[3][2] == "No quarterly return has been written for 2020/21 Q2."


def test_a_locked_quarters_report_prints_its_published_figures_and_says_so(
    client: TestClient, viewer: dict, board: dict
) -> None:
    lines = report(client, viewer, "2020-21-Q1", "md").text.splitlines()
    locked_at = datetime.fromisoformat(board["lock"]["locked_at"])
    assert lines[4] == (
        "2020/21 Q1 is locked: these are the figures published when it was locked on "
        f"{locked_at.day} {locked_at:%B %Y} at {locked_at:%H:%M} UTC by admin, as at "
        "30 June 2020."
    )
    assert md_table(lines, "| Strands") == [SUMMARY_HEADER, *SUMMARY_Q1_PUBLISHED]
    assert "There are no tasks at risk of delivery as at 30 June 2020." in lines


def test_a_strand_with_many_tasks_at_risk_lists_the_first_and_counts_the_rest(
    client: TestClient, admin: dict, viewer: dict, board: dict
) -> None:
    """Every task with an open risk is listed; of the others, the first few of each strand, the
    rest counted, so that a paper stays pages long however many tasks are at risk."""
    strands = client.get("/api/v1/strands", headers=admin).json()
    burglary = next(s for s in strands if s["name"] == "House Burglary and Street Robbery")
    plan = factories.plan(client, admin, burglary["id"], "Burglary")
    for number in range(1, 8):
        title = f"Burglary task {number}"
        task = factories.task(
            client, admin, plan["id"], title, task_no=number, added_on="2020-07-01"
        )
        factories.status(client, admin, task["id"], "at_risk", "2020-08-01")
    lines = report(client, viewer, "2020/21 Q2", "md").text.splitlines()
    assert "There are 9 tasks at risk of delivery as at 30 September 2020, in 3 strands:" in lines
    listed = md_table(lines, "| Strand |")[1:]
    assert listed[: len(AT_RISK)] == AT_RISK
    burglary_rows = [row[1:4] for row in listed if row[0] == "House Burglary and Street Robbery"]
    assert burglary_rows == [
        *(["Burglary", f"Burglary task {n}", "No open risk"] for n in range(1, 6)),
        [
            "",
            "2 more tasks at risk with no open risk, not listed: the tracker lists them all",
            "No open risk",
        ],
    ]
    assert f"- {WARNING}" in lines
    assert (
        "- House Burglary and Street Robbery: 7 tasks are at risk, but no open risk in the "
        "register names them."
    ) in lines
    assert not [line for line in lines if "Burglary task" in line and "register" in line]


def test_the_report_answers_bad_requests_with_problems(
    client: TestClient, viewer: dict, board: dict
) -> None:
    bad_format = client.get(URL, params={"format": "odt"}, headers=viewer)
    assert bad_format.status_code == 422
    assert [e["field"] for e in bad_format.json()["errors"]] == ["format"]
    bad_quarter = client.get(URL, params={"quarter": "2020-21-Q5"}, headers=viewer)
    assert (bad_quarter.status_code, bad_quarter.json()["errors"][0]["field"]) == (422, "quarter")
    future = current_quarter().next()
    ahead = client.get(URL, params={"quarter": str(future)}, headers=viewer)
    assert (ahead.status_code, ahead.json()["errors"][0]["field"]) == (422, "quarter")
    assert client.get(URL, params={"format": "md"}).status_code == 401
    missing = client.get(URL, params={"format": "md", "strategy_id": 999}, headers=viewer)
    assert missing.status_code == 404


def test_the_current_quarter_is_reported_by_default(
    client: TestClient, viewer: dict, board: dict
) -> None:
    response = client.get(URL, params={"format": "md"}, headers=viewer)
    quarter = current_quarter()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="board-report-{quarter}.md"'
    )
    lines = response.text.splitlines()
    assert lines[2].endswith(f"quarterly board report, {quarter.board_label}")
    # Today every task but the withdrawn one counts, Op Gloss too, and none is at risk any more.
    assert md_table(lines, "| Strands")[-1] == ["Total", "9", "6 (67%)", "3 (33%)", "0 (0%)"]


def test_the_command_line_writes_the_same_report(
    client: TestClient, board: dict, database_url: str, monkeypatch, tmp_path
) -> None:
    from app.cli import app as cli
    from app.core.config import get_settings

    target = tmp_path / "q2.md"
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["report", "board", "--quarter", "2020/21 Q2", "--format", "md", "-o", str(target)]
        )
        refused = CliRunner().invoke(cli, ["report", "board", "--quarter", "2020-21-Q9"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert md_table(lines, "| Strands") == [SUMMARY_HEADER, *SUMMARY_Q2]
    assert refused.exit_code == 2


def test_the_report_takes_as_many_queries_however_many_strands_and_tasks(
    client: TestClient, admin: dict, board: dict, engine: Engine
) -> None:
    def queries() -> int:
        count, _ = statements_during(engine, lambda: report(client, admin, "2020-21-Q2", "md"))
        return count

    before = queries()
    strand = factories.strand(client, admin, board["strategy"]["id"], "Hate Crime", lead="DS")
    for name in ("Hate Crime", "Online hate"):
        plan = factories.plan(client, admin, strand["id"], name)
        for number in range(1, 4):
            task = factories.task(
                client, admin, plan["id"], f"{name} {number}", task_no=number, added_on="2020-07-01"
            )
            factories.status(client, admin, task["id"], "at_risk", "2020-07-01")
            on = {"task_id": task["id"], "registered_on": "2020-07-02"}
            factories.risk(client, admin, strand["id"], **on)
    assert queries() == before
