"""HTML to PDF with WeasyPrint, for every document the tracker prints."""

from weasyprint import HTML


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (its styles inline, no external resources)."""
    return HTML(string=html, base_url=None).write_pdf()
