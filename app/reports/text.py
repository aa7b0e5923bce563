"""The board report's words: section headings, and how dates and cells read in every format."""

from datetime import date, datetime

from app.core.markdown import to_plain
from app.reports.schemas import Cell, Prose

HEADINGS = {
    "contents": "Contents",
    "executive": "3.0 Executive Summary",
    "dashboard": "3.1 Dashboard summary",
    "at_risk": "3.2 Strands at risk",
    "quality": "Data quality",
    "strands": "5.0 Thematic Strand Updates",
    "charts": "Appendix: Charts",
    "plans": "Delivery Plan progress dashboard",
    "no_plan": "This thematic strand does not have a delivery plan.",
    "risks": "Identified risks",
    "no_risks": "There are no open risks in the register for this strand.",
    "no_warnings": "The risk register raises no data-quality warnings for this quarter.",
}

RISK_HEADER = ("Ref No", "Date registered", "Risk Description", "Owner", "Mitigation")


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def stamp(moment: datetime) -> str:
    return f"{long_date(moment.date())} at {moment:%H:%M} UTC"


def cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return f"{cell:%d/%m/%Y}"
    if isinstance(cell, Prose):
        return to_plain(cell.text)
    return str(cell)


def version_note(version: int | None) -> str:
    return "" if version is None else f"Published version {version}."


def strand_heading(number: str, name: str, lead: str) -> str:
    return f"{number} {name} - Thematic Lead: {lead}" if lead else f"{number} {name}"
