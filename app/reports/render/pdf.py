"""The board paper as a PDF: the web page laid out for print by WeasyPrint.

A4 pages with the OFFICIAL marking at the head and foot, "Page X of Y", a contents page whose
entries carry their page numbers, and a PDF bookmark for every heading (WeasyPrint makes them
from the headings).
"""

from markupsafe import escape

from app.core.pdf import html_to_pdf
from app.reports.render.html import page
from app.reports.schemas import BoardReport

PRINT_CSS = """
@page {
  size: A4;
  margin: 2.2cm 2cm 2.2cm 2cm;
  @top-center { content: "OFFICIAL"; font: bold 9pt sans-serif; letter-spacing: 0.1em; }
  @bottom-left { content: "OFFICIAL"; font: bold 9pt sans-serif; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 9pt sans-serif; }
}
body { font: 10.5pt/1.4 "DejaVu Sans", sans-serif; }
main { max-width: none; padding: 0; }
p.marking { display: none; }
nav.contents { break-after: page; }
nav.contents ol { list-style: none; padding: 0; }
nav.contents li { margin: 0.2rem 0; }
nav.contents a { color: inherit; text-decoration: none; }
nav.contents a::after { content: leader(".") target-counter(attr(href), page); }
h2.contents-title { bookmark-level: none; }
h2 { break-before: auto; }
h2, h3, h4 { break-after: avoid; break-inside: avoid; }
table, figure, tr { break-inside: avoid; }
.scroll { overflow: visible; }
thead { display: table-header-group; }
a { color: inherit; }
img.chart { max-width: 100%; min-width: 0; }
/* The grid drawn with separate borders, each cell its right and bottom line and the table the
   outer two: the same lines as collapsed ones, which WeasyPrint works out cell by cell against
   every neighbour (seconds for a paper of a thousand cells). The colours are the page's, as
   values: a shorthand holding var() is expanded afresh for each element. */
table { border-collapse: separate; border-spacing: 0;
        border-top: 1px solid #b8c2cc; border-left: 1px solid #b8c2cc; }
th, td { border: 0; border-right: 1px solid #b8c2cc; border-bottom: 1px solid #b8c2cc; }
thead th { background: #dde7f1; }
"""


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
    html = page("report.html", r=report).replace("<head>", "<head>" + _metadata(report), 1)
    return html_to_pdf(html, stylesheet=PRINT_CSS)
