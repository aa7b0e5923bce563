"""The board paper as a PDF: the web page laid out for print by WeasyPrint.

A4 pages with the OFFICIAL marking at the head and foot, "Page X of Y", a contents page whose
entries carry their page numbers, and a PDF bookmark for every heading (WeasyPrint makes them
from the headings).
"""

from markupsafe import escape

from app.core.pdf import html_to_pdf
from app.reports.render.html import page
from app.reports.schemas import BoardReport


def _metadata(report: BoardReport) -> str:
    """The PDF's properties, which WeasyPrint reads from the page's head."""
    pairs = {
        "author": report.author,
        "description": f"Quarterly board paper, {report.quarter.board_label}",
        "keywords": "OFFICIAL",
        "generator": "4P tracker",
    }
    return "".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in pairs.items())


def render(report: BoardReport) -> bytes:
    html = page("report_print.html", r=report).replace("<head>", "<head>" + _metadata(report), 1)
    return html_to_pdf(html)
