"""The web page for people with a browser: a quarter's dashboard with its chart, a quarter picker
and the board report's downloads, behind a sign-in form that keeps the token in a cookie.

The cookie is HttpOnly and SameSite=Strict, and Secure over https; the API accepts it for
reading only. The sign-in and sign-out forms must come from this site (Origin, else Referer),
so that no other site can sign a visitor in as someone else; wrong tokens are 401s, and tries
without a token are rate-limited per address like any write.
"""

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth
from app.auth.dependencies import SESSION_COOKIE
from app.auth.service import Actor
from app.core.db import SessionDep
from app.core.errors import DomainError, Unauthorized
from app.core.quarters import Quarter, QuarterError
from app.periods.service import current_quarter
from app.reports import service
from app.reports.render.html import page
from app.reports.schemas import ReportFormat
from app.strategies import service as strategies

router = APIRouter(include_in_schema=False)

DOWNLOADS = (
    ("Web page", ReportFormat.html),
    ("Word (.docx)", ReportFormat.docx),
    ("Markdown (.md)", ReportFormat.md),
    ("Excel (.xlsx)", ReportFormat.xlsx),
)
# The policy the rest of the app sends (no-referrer) would make a browser send `Origin: null`
# with the sign-in form; within the site the origin is needed, and nothing leaks outside it.
PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "private, no-store"}


def _html(content: str, status_code: int = 200, **headers: str) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers={**PAGE_HEADERS, **headers})


def _signed_in(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return auth.authenticate(
            engine=request.app.state.engine,
            clear=token,
            touch_after=request.app.state.settings.token_touch_seconds,
        )
    except Unauthorized:
        return None


def _from_this_site(request: Request) -> bool:
    """Whether the browser says the form was sent from one of this site's pages."""
    here = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() == here
    referer = urlsplit(request.headers.get("referer", ""))
    return bool(referer.netloc) and f"{referer.scheme}://{referer.netloc}".lower() == here


def _cookie(request: Request) -> dict[str, Any]:
    """How the session cookie is set, and so how it must be named to be deleted."""
    return {
        "path": "/",
        "secure": request.url.scheme == "https",
        "httponly": True,
        "samesite": "strict",
    }


def _forget(response: Response, request: Request) -> Response:
    response.delete_cookie(SESSION_COOKIE, **_cookie(request))
    return response


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
    strategy_id: int | None = None,
) -> Response:
    actor = _signed_in(request)
    if actor is None:
        response = RedirectResponse("/sign-in", status_code=303)
        return _forget(response, request) if SESSION_COOKIE in request.cookies else response
    try:
        chosen = current_quarter() if quarter is None else Quarter.parse(quarter)
        summary = service.summary(session=session, strategy_id=strategy_id, quarter=chosen)
        strategy = strategies.get_strategy(session=session, strategy_id=summary.strategy_id)
    except QuarterError as error:
        return _html(page("index.html", actor=actor, error=str(error)), 422)
    except DomainError as error:
        return _html(page("index.html", actor=actor, error=error.detail), error.status)

    def report_url(fmt: ReportFormat) -> str:
        query = {"quarter": str(summary.quarter), "strategy_id": summary.strategy_id}
        return f"/api/v1/reports/board?{urlencode({**query, 'format': fmt.value})}"

    return _html(
        page(
            "index.html",
            actor=actor,
            s=summary,
            quarters=service.quarter_choices(strategy),
            strategies=strategies.list_strategies(session=session),
            downloads=DOWNLOADS,
            report_url=report_url,
        )
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> Response:
    if _signed_in(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _html(page("sign_in.html"))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not _from_this_site(request):
        return _html(page("sign_in.html", error="Sign in from this site's own sign-in page."), 403)
    token = token.strip()
    try:
        auth.authenticate(
            engine=request.app.state.engine,
            clear=token,
            touch_after=request.app.state.settings.token_touch_seconds,
        )
    except Unauthorized as error:
        message = f"That token was refused: {error.detail}." if token else "Enter your token."
        return _html(page("sign_in.html", error=message), 401, **error.headers)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **_cookie(request))
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    if not _from_this_site(request):
        return _html(page("sign_in.html", error="Sign out from this site's own pages."), 403)
    return _forget(RedirectResponse("/sign-in", status_code=303), request)
