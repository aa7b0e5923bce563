"""Reading the board report back: the tables of an HTML page, and the report as asked for."""

from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

URL = "/api/v1/reports/board"

# The figures the `board` fixture gives, as every format prints them.
SUMMARY_HEADER = ["Strands", "Total", "Complete", "Ongoing / In progress", "At risk"]
SUMMARY_Q2 = [
    ["Domestic Abuse", "5", "2", "2", "1"],
    ["Gangs and Knife Crime", "3", "1", "1", "1"],
    ["House Burglary and Street Robbery", "N/A", "N/A", "N/A", "N/A"],
    ["Total", "8", "3 (38%)", "3 (38%)", "2 (25%)"],
]
SUMMARY_Q1_PUBLISHED = [
    ["Domestic Abuse", "5", "2", "3", "0"],
    ["Gangs and Knife Crime", "3", "1", "2", "0"],
    ["House Burglary and Street Robbery", "N/A", "N/A", "N/A", "N/A"],
    ["Total", "8", "3 (38%)", "5 (63%)", "0 (0%)"],
]
# Domestic Abuse's plan by quarter of the paper's two financial years (Q1 as published when it
# was locked), the quarters still to come empty.
DOMESTIC_ABUSE_PLAN = [
    ["Total", "5", "5", "", "", "", "", "", ""],
    ["Complete", "2", "2", "", "", "", "", "", ""],
    ["Ongoing / In progress", "3", "2", "", "", "", "", "", ""],
    ["At risk", "0", "1", "", "", "", "", "", ""],
]
AT_RISK = [
    [
        "Domestic Abuse",
        "Domestic Abuse",
        "Resourcing of DA teams",
        "A1",
        "Focus police uplift resources on prevention activity.",
        "Treat",
    ],
    [
        "Gangs and Knife Crime",
        "Gangs / County Lines",
        '=HYPERLINK("https://example.org/x","Gangs tasking")',
        "No open risk",
        "",
        "",
    ],
]
RISKS_DA = [
    ["Ref No", "Date registered", "Risk Description", "Owner", "Mitigation"],
    [
        "A1",
        "03/08/2020",
        "Resourcing of DA teams",
        "DCI Domestic Abuse",
        "Focus police uplift resources on prevention activity.",
    ],
]
WARNING = (
    'Gangs and Knife Crime: the task “=HYPERLINK("https://example.org/x","Gangs tasking")” '
    "is at risk, but no open risk in the register names it."
)


def report(client: TestClient, headers: dict, quarter: str, fmt: str, **params: Any):
    response = client.get(
        URL, params={"quarter": quarter, "format": fmt, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> tuple[list[list[list[str]]], list[str]]:
    """Every table of a page as rows of cell texts, and the sources of its images."""
    parser = _Tables()
    parser.feed(text)
    return parser.tables, parser.images
