"""The board report and the web pages as HTML, from Jinja2 templates (autoescaped)."""

import base64
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from app.core.markdown import to_html
from app.reports.schemas import BoardReport, Cell, Prose
from app.reports.text import HEADINGS, cell_text, stamp, strand_heading, version_note


def html_cell(cell: Cell) -> str | Markup:
    """A table cell: people's Markdown laid out (safely), anything else as its text."""
    return to_html(cell.text) if isinstance(cell, Prose) else cell_text(cell)


def datauri(png: bytes) -> str:
    """A chart inline in the page: the content security policy allows no image from elsewhere."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


environment = Environment(
    loader=PackageLoader("app.reports", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def contents(report: BoardReport) -> list[tuple[str, str]]:
    """The paper's numbered headings, in order, with the ids the page gives them."""
    found = [
        (f"section-{s.number}", s.heading) for s in report.sections("purpose", "recommendations")
    ]
    found += [("executive", HEADINGS["executive"])]
    found += [(f"section-{s.number}", s.heading) for s in report.sections("exceptions")]
    found += [(f"section-{s.number}", s.heading) for s in report.sections("strategy_progress")]
    found += [("strands", HEADINGS["strands"])]
    found += [
        (f"section-{s.number}", s.heading)
        for s in report.sections("implications", "consultation", "actions", "future_work")
    ]
    return [*found, ("charts", HEADINGS["charts"])]


environment.filters.update(
    cell=html_cell,
    datauri=datauri,
    stamp=stamp,
    markdown=to_html,
    contents=contents,
    version=version_note,
)
environment.globals.update(H=HEADINGS, strand_heading=strand_heading)


def page(template: str, **context: Any) -> str:
    return environment.get_template(template).render(**context)


def render(report: BoardReport) -> bytes:
    return page("report.html", r=report).encode()
