"""The board report and the web pages as HTML, from Jinja2 templates (autoescaped)."""

import base64
from collections.abc import Iterable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from app.reports.schemas import Block, BoardReport
from app.reports.text import HEADINGS, cell_text, stamp, strand_heading


def runs(blocks: Iterable[Block]) -> list[tuple[bool, list[str]]]:
    """Consecutive bullet points gathered into one list, and paragraphs kept apart from them."""
    grouped: list[tuple[bool, list[str]]] = []
    for block in blocks:
        if grouped and grouped[-1][0] == block.bullet:
            grouped[-1][1].append(block.text)
        else:
            grouped.append((block.bullet, [block.text]))
    return grouped


def datauri(png: bytes) -> str:
    """A chart inline in the page: the content security policy allows no image from elsewhere."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


environment = Environment(
    loader=PackageLoader("app.reports", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(cell=cell_text, datauri=datauri, stamp=stamp, runs=runs)
environment.globals.update(H=HEADINGS, strand_heading=strand_heading)


def page(template: str, **context: Any) -> str:
    return environment.get_template(template).render(**context)


def render(report: BoardReport) -> bytes:
    return page("report.html", r=report).encode()
