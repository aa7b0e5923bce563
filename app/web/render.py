"""The workspace's templates (autoescaped) and how a page answers."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from app.core.markdown import to_html
from app.people.sessions import csrf_token
from app.reports.text import cell_text
from app.tasks.models import Status

environment = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATUS_LABELS = {
    Status.ongoing: "Ongoing",
    Status.at_risk: "At risk",
    Status.complete: "Complete",
    Status.withdrawn: "Withdrawn",
}
environment.globals.update(STATUS_LABELS=STATUS_LABELS, statuses=list(Status))
environment.filters.update(markdown=to_html, cell=cell_text)
# Pages show who is signed in and what they may change: never cache them, keep the referrer
# within the site (the forms' Origin check needs it).
PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "private, no-store"}


def html(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page; its forms carry the signed-in session's CSRF token."""
    content = environment.get_template(template).render(csrf=csrf_token(request), **context)
    return HTMLResponse(content, status_code=status_code, headers=PAGE_HEADERS)
