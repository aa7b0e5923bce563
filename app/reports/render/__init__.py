"""The board report's formats: each renders a `BoardReport` to the bytes of one file."""

from collections.abc import Callable
from dataclasses import dataclass

from app.core.exports import XLSX, scrubbed
from app.core.memory import release
from app.reports.render import excel, html, markdown, pdf
from app.reports.schemas import BoardReport, ReportFormat


@dataclass(frozen=True, slots=True)
class Format:
    media_type: str
    extension: str
    inline: bool
    """Shown in the browser rather than saved."""
    render: Callable[[BoardReport], bytes]


def _render_word(report: BoardReport) -> bytes:
    """The Word renderer, imported with the first Word file asked for: python-docx is some tens
    of megabytes that a server writing none need never hold."""
    from app.reports.render import word

    return word.render(report)


FORMATS = {
    ReportFormat.html: Format("text/html; charset=utf-8", "html", True, html.render),
    ReportFormat.docx: Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        False,
        _render_word,
    ),
    ReportFormat.md: Format("text/markdown; charset=utf-8", "md", False, markdown.render),
    ReportFormat.xlsx: Format(XLSX, "xlsx", False, excel.render),
    ReportFormat.pdf: Format("application/pdf", "pdf", False, pdf.render),
}


def filename(report: BoardReport, fmt: ReportFormat) -> str:
    version = f"-v{report.version}" if report.version else ""
    return f"board-report-{report.quarter}{version}.{FORMATS[fmt].extension}"


def content_disposition(report: BoardReport, fmt: ReportFormat) -> str:
    kind = "inline" if FORMATS[fmt].inline else "attachment"
    return f'{kind}; filename="{filename(report, fmt)}"'


def render(report: BoardReport, fmt: ReportFormat) -> bytes:
    # Rows stored before the text rule may hold characters Word and Excel cannot: drop them.
    rendered = FORMATS[fmt].render(scrubbed(report))
    # Left to the collector's own pace and to glibc, each report's tens of megabytes would pile
    # up in a long-running server.
    release()
    return rendered
