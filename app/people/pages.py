"""The web page's single sign-on: "Sign in with …" and the provider's return.

The return lands on a page of this site that moves on to the dashboard itself: the session cookie
is SameSite=Strict, so a browser does not send it on the redirect that comes from the provider.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.errors import DomainError, Unauthorized
from app.people import sessions, signin
from app.reports.render.html import page

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "tracker_sign_in"
PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "private, no-store"}


def _html(content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=PAGE_HEADERS)


def _refused(request: Request, message: str, status_code: int) -> HTMLResponse:
    name = request.app.state.settings.oidc_provider_name if _provider(request) else None
    return _html(page("sign_in.html", error=message, provider_name=name), status_code)


def _provider(request: Request):
    settings = request.app.state.settings
    return request.app.state.oidc if settings.oidc_client_id else None


def _callback_url(request: Request) -> str:
    return str(request.url_for("sign_in_callback"))


@router.post("/sign-in/oidc")
def sign_in_with_provider(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return _refused(request, "Single sign-on is not set up here.", 404)
    if not sessions.from_this_site(request):
        return _refused(request, "Sign in from this site's own sign-in page.", 403)
    try:
        url, state = signin.begin(
            engine=request.app.state.engine,
            provider=provider,
            settings=request.app.state.settings,
            redirect_uri=_callback_url(request),
        )
    except DomainError as error:
        return _refused(request, f"Single sign-on is not available: {error.detail}.", error.status)
    response = RedirectResponse(url, status_code=303)
    # Lax, so that the browser sends it back on the provider's redirect; only for the callback.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=signin.ATTEMPT_MINUTES * 60,
        path="/sign-in/callback",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/sign-in/callback", response_class=HTMLResponse)
def sign_in_callback(
    request: Request,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    provider = _provider(request)
    if provider is None:
        return _refused(request, "Single sign-on is not set up here.", 404)
    if error:
        detail = (error_description or error).rstrip(".")
        return _refused(request, f"The identity provider did not sign you in: {detail}.", 401)
    settings = request.app.state.settings
    try:
        if not code or not state:
            raise Unauthorized("the identity provider sent no code")
        done = signin.finish(
            engine=request.app.state.engine,
            provider=provider,
            settings=settings,
            code=code,
            state=state,
            kept_state=request.cookies.get(STATE_COOKIE),
            redirect_uri=_callback_url(request),
        )
    except DomainError as failure:
        response = _refused(request, f"Signing in failed: {failure.detail}.", failure.status)
    else:
        if done.cookie is None:
            message = f"{done.person.name}: {done.refusal}."
            response = _refused(request, message, 403)
        else:
            response = _html(page("signed_in.html", name=done.person.name))
            sessions.set_cookie(response, request, done.cookie, settings.session_hours)
    response.delete_cookie(
        STATE_COOKIE,
        path="/sign-in/callback",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response
