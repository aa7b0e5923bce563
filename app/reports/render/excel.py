"""The board report as an Excel workbook for analysts: a sheet per part, figures as numbers.

Every text cell goes through the export helpers, so user text that looks like a formula
(`=HYPERLINK(…)` as a task title) is stored as text, never as a live formula.
"""

from collections.abc import Sequence
from typing import Any

from app.core.exports import Sheet, xlsx_bytes
from app.core.markdown import to_plain
from app.reports.schemas import BoardReport, Cell, Narrative, Prose, StrandSection, Table
from app.reports.text import RISK_HEADER

NUMBERS_HEADER = (
    "Strands",
    "Total",
    "Complete",
    "Ongoing / In progress",
    "At risk",
    "Complete %",
    "Ongoing / In progress %",
    "At risk %",
)

CHARACTERS_PER_WEIGHT = 6


def _cells(row: Sequence[Cell]) -> list[Any]:
    """People's Markdown as plain text: a spreadsheet cell holds no layout."""
    return [to_plain(c.text) if isinstance(c, Prose) else c for c in row]


def _sheet(title: str, table: Table | None, header: Sequence[str]) -> Sheet:
    return title, list(header), [_cells(row) for row in table.rows] if table else []


def _widths(table: Table) -> list[float]:
    return [w * CHARACTERS_PER_WEIGHT for w in table.widths]


def _narrative(narrative: Narrative) -> str:
    return to_plain(narrative.body)


def _paper_rows(report: BoardReport) -> list[list[Any]]:
    rows = []
    for section in report.paper:
        rows.append([section.number, section.title, to_plain(section.body)])
        rows += [[s.number, s.title, to_plain(s.body)] for s in section.subsections]
    return rows


def _plan_rows(strands: Sequence[StrandSection]) -> list[list[Any]]:
    return [
        [strand.name, plan.name, *row]
        for strand in strands
        for plan in strand.plans
        for row in plan.table.rows
    ]


def render(report: BoardReport) -> bytes:
    summary = report.summary
    plan_header = next(
        (plan.table.header[1:] for strand in report.strands for plan in strand.plans), ()
    )
    plan_table = next((plan.table for strand in report.strands for plan in strand.plans), None)
    quarter_labels = [
        f"{plan_table.group_of(i)} {label}" if plan_table else label
        for i, label in enumerate(plan_header, start=1)
    ]
    details = [
        ["Report", report.title],
        ["Strategy", summary.strategy],
        ["Quarter", summary.quarter.board_label],
        ["As at", summary.as_at],
        ["Figures", summary.figures_note],
        ["Produced", report.produced_at],
        ["Author", report.author],
        ["Version", report.version or "live"],
        *([["Restatement", report.restatement.text]] if report.restatement else []),
    ]
    at_risk_header = report.at_risk.header if report.at_risk else ()
    risk_rows = [
        [strand.name, *_cells(row)]
        for strand in report.strands
        if strand.risks
        for row in strand.risks.rows
    ]
    return_rows = [
        [
            strand.name,
            strand.lead,
            strand.return_note,
            *(_narrative(n) for n in strand.narratives),
        ]
        for strand in report.strands
    ]
    sheets: list[Sheet] = [
        ("Report", ["Item", "Value"], details),
        ("Summary", list(NUMBERS_HEADER), [list(row) for row in summary.numbers]),
        _sheet("Tasks at risk", report.at_risk, at_risk_header or ("Task at risk",)),
        ("Data quality", ["Warning"], [[w] for w in report.warnings]),
        ("Paper", ["Section", "Title", "Text"], _paper_rows(report)),
        (
            "Plan progress",
            ["Strand", "Delivery plan", "Measure", *quarter_labels],
            _plan_rows(report.strands),
        ),
        ("Risks", ["Strand", *RISK_HEADER], risk_rows),
        (
            "Returns",
            [
                "Strand",
                "Thematic lead",
                "Return",
                "Insight",
                "Delivery achieved previous quarter",
                "Delivery scheduled for current quarter",
            ],
            return_rows,
        ),
    ]
    widths = {
        "Report": [12, 100],
        "Summary": [36, 9, 11, 13, 9, 12, 14, 11],
        "Paper": [9, 40, 120],
        "Tasks at risk": _widths(report.at_risk) if report.at_risk else [40],
        "Data quality": [120],
        "Plan progress": [30, 30, 24, *(12 for _ in quarter_labels)],
        "Risks": [30, 8, 15, 45, 25, 60],
        "Returns": [30, 30, 45, 80, 80, 80],
    }
    return xlsx_bytes(sheets, widths, for_print=True)
