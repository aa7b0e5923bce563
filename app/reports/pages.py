"""The web page for people with a browser: a quarter's dashboard with its chart, a quarter picker
and the board report's downloads, behind a sign-in form that opens a session kept in a cookie.

The cookie names a server-side session (`app.people.sessions`): HttpOnly and SameSite=Strict,
and Secure over https; the API accepts it for reading only. The sign-in and sign-out forms must
come from this site (Origin, else Referer), so that no other site can sign a visitor in as
someone else, and signing out carries the session's CSRF token; wrong tokens are 401s, and tries
without a token are rate-limited per address like any write.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth
from app.core.db import SessionDep
from app.core.errors import DomainError, Unauthorized
from app.core.quarters import Quarter, QuarterError
from app.people import sessions, signin
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


def _provider_name(request: Request) -> str | None:
    """The sign-in button's provider, when single sign-on is set up for the page."""
    settings = request.app.state.settings
    if request.app.state.oidc is None or not settings.oidc_client_id:
        return None
    return settings.oidc_provider_name


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
    strategy_id: int | None = None,
) -> Response:
    found = sessions.current(request, session)
    if found is None:
        response = RedirectResponse("/sign-in", status_code=303)
        if sessions.SESSION_COOKIE in request.cookies:
            sessions.forget_cookie(response, request)
        return response
    actor = found[1]
    csrf = sessions.csrf_token(request)
    try:
        chosen = current_quarter() if quarter is None else Quarter.parse(quarter)
        summary = service.summary(session=session, strategy_id=strategy_id, quarter=chosen)
        strategy = strategies.get_strategy(session=session, strategy_id=summary.strategy_id)
    except QuarterError as error:
        return _html(page("index.html", actor=actor, csrf=csrf, error=str(error)), 422)
    except DomainError as error:
        return _html(page("index.html", actor=actor, csrf=csrf, error=error.detail), error.status)

    def report_url(fmt: ReportFormat) -> str:
        query = {"quarter": str(summary.quarter), "strategy_id": summary.strategy_id}
        return f"/api/v1/reports/board?{urlencode({**query, 'format': fmt.value})}"

    return _html(
        page(
            "index.html",
            actor=actor,
            csrf=csrf,
            s=summary,
            quarters=service.quarter_choices(strategy),
            strategies=strategies.list_strategies(session=session),
            downloads=DOWNLOADS,
            report_url=report_url,
        )
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, session: SessionDep) -> Response:
    if sessions.current(request, session) is not None:
        return RedirectResponse("/", status_code=303)
    return _html(page("sign_in.html", provider_name=_provider_name(request)))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request, session: SessionDep, token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    # Login CSRF: no other site may sign a visitor in as someone else.
    if not sessions.from_this_site(request):
        return _html(
            page(
                "sign_in.html",
                error="Sign in from this site's own sign-in page.",
                provider_name=_provider_name(request),
            ),
            403,
        )
    token = token.strip()
    try:
        actor = auth.authenticate(
            engine=request.app.state.engine,
            clear=token,
            touch_after=request.app.state.settings.token_touch_seconds,
        )
    except Unauthorized as error:
        message = f"That token was refused: {error.detail}." if token else "Enter your token."
        return _html(
            page("sign_in.html", error=message, provider_name=_provider_name(request)),
            401,
            **error.headers,
        )
    hours = request.app.state.settings.session_hours
    _, clear = sessions.start(session=session, hours=hours, token_id=actor.token_id)
    return sessions.set_cookie(RedirectResponse("/", status_code=303), request, clear, hours)


@router.post("/sign-out")
def sign_out(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not sessions.from_this_site(request):
        return _html(page("sign_in.html", error="Sign out from this site's own pages."), 403)
    found = sessions.current(request, session)
    target = "/sign-in"
    if found is not None:
        sessions.check_csrf(found[0], csrf_token)
        sessions.end(session=session, clear=request.cookies.get(sessions.SESSION_COOKIE))
        provider = request.app.state.oidc
        if provider is not None:
            # A person signs out at the provider too, where it has an end-session endpoint.
            target = (
                signin.end_session_url(
                    provider=provider,
                    settings=request.app.state.settings,
                    record=found[0],
                    back=str(request.url_for("sign_in_form")),
                )
                or target
            )
    return sessions.forget_cookie(RedirectResponse(target, status_code=303), request)
