"""HTML to PDF with WeasyPrint, for every document the tracker prints."""


def html_to_pdf(html: str, *, stylesheet: str | None = None) -> bytes:
    """The PDF of a self-contained HTML page (its styles inline, no external resources), with an
    optional print stylesheet laid over it."""
    # Imported here: WeasyPrint needs the system's Pango, and only printing uses it.
    from weasyprint import CSS, HTML

    stylesheets = [CSS(string=stylesheet)] if stylesheet else []
    return HTML(string=html, base_url=None).write_pdf(stylesheets=stylesheets)  # type: ignore[no-any-return]
