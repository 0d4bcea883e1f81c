"""The public sign-in page of a portal configuration: an email address, then a one-time code.

`GET /login/{configuration}` asks for the address; its `POST` sends a code (the answer is the
same for an address nobody has, and takes at least `ANSWER_FLOOR_SECONDS`, so neither the text
nor the time tells whether an email went out); `POST /login/{configuration}/code` checks the
code and signs the browser in as a link's exchange does (`pages.signed_in_redirect`). The rules
are `billing.portal.signin`'s.

There is no session yet, so the forms carry a double-submit CSRF token: a random value in a
`__Host-` cookie (SameSite=Strict) that each form repeats in a field. `session` (the expired
session that led here, from its "session expired" screen) travels in the forms; it only picks the
flow of the new session, and only when it is the same customer's.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from billing.accounts import accounts, branding
from billing.emails import signin as signin_emails
from billing.kernel.errors import BillingError
from billing.portal import portalsessions, signin
from billing.portal.records import PortalSession
from portal_site import forms, pages
from portal_site.pages import LoginUnavailable
from portal_site.rendering import locale_of, page

logger = Logger(service="portal")

SendCode = Callable[..., None]  # (scope, *, to, code, locale, table) -> None, synchronous
send_code: SendCode = signin_emails.send_code  # a module attribute, so that unit tests can stand in for it

CSRF_COOKIE = "__Host-vinr_signin"
CSRF_FIELD = "csrf"
ANSWER_FLOOR_SECONDS = 0.6  # above an SES send's usual time: a sent code and none answer alike
_CONFIGURATION_ID = re.compile(r"^bpc_[A-Za-z0-9]{1,60}\Z")
_SESSION_ID = re.compile(r"^bps_[A-Za-z0-9]{1,60}\Z")
_CSRF_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,64}\Z")


# ------------------------------------------------------------------ what every page needs
def _login_page(request: Request) -> signin.LoginPage:
    configuration_id = request.path_params["configuration_id"]
    table = pages.table_of(request)
    found = signin.login_page(configuration_id, table=table) if _CONFIGURATION_ID.match(configuration_id) else None
    if found is None:
        raise LoginUnavailable()
    brand = branding.get_branding(found.scope, table=table)
    name = portalsessions.hostname(request.headers.get("host"))
    if name not in {portalsessions.default_portal_host(), brand.portal_domain}:
        raise LoginUnavailable()
    return found


def _brand(request: Request, login: signin.LoginPage) -> dict[str, Any]:
    """The context keys `rendering.brand_context` gives a session's pages, for this account."""
    table = pages.table_of(request)
    brand = branding.portal_snapshot(branding.get_branding(login.scope, table=table))
    logo_url = (
        f"/assets/logo/{login.scope.account_id}/{login.scope.mode}/{brand['logoHash']}"
        if brand.get("logoHash")
        else None
    )
    return {
        "brand": brand,
        "merchant": accounts.get_account(login.scope.account_id, table=table).name,
        "profile": dict(login.configuration.business_profile),
        "logo_url": logo_url,
        "return_url": None,
    }


def _expired_session(value: str | None) -> str | None:
    return value if value and _SESSION_ID.match(value) else None


def _csrf(request: Request) -> tuple[str, bool]:
    """The browser's CSRF value, or a new one (True: the answer must set the cookie)."""
    found = request.cookies.get(CSRF_COOKIE) or ""
    return (found, False) if _CSRF_VALUE.match(found) else (secrets.token_urlsafe(32), True)


def _with_csrf_cookie(response: Response, value: str, new: bool) -> Response:
    if new:
        response.set_cookie(CSRF_COOKIE, value, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _render(request: Request, login: signin.LoginPage, name: str, *, status: int = 200, **context: Any) -> Response:
    csrf, new = _csrf(request)
    response = page(
        request,
        name,
        None,
        status=status,
        configuration_id=login.configuration.id,
        csrf=csrf,
        **_brand(request, login),
        **context,
    )
    return _with_csrf_cookie(response, csrf, new)


async def _checked(request: Request) -> Any:
    form = await request.form()
    submitted, cookie = forms.text(form, CSRF_FIELD), request.cookies.get(CSRF_COOKIE) or ""
    if not _CSRF_VALUE.match(cookie) or not hmac.compare_digest(
        cookie.encode(), submitted.encode("utf-8", "surrogateescape")
    ):
        raise pages.CsrfRejected()
    return form


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _rate_limited(request: Request, login: signin.LoginPage) -> Response:
    return _render(
        request, login, "signin_email.html", status=429, limited=True, expired_session=None, email="", errors={}
    )


# ------------------------------------------------------------------ the pages
async def email_form(request: Request) -> Response:
    """GET /login/{configuration}: the address form."""
    login = _login_page(request)
    session = _expired_session(request.query_params.get("session"))
    return _render(request, login, "signin_email.html", expired_session=session, email="", errors={})


async def send(request: Request) -> Response:
    """POST /login/{configuration}: a code to the address, when it is a customer's."""
    started = time.monotonic()
    login = _login_page(request)
    form = await _checked(request)
    session = _expired_session(forms.single(form, "session"))
    email = signin.normalise_email(forms.text(form, "email"))
    _ = forms.gettext_for(request, None)
    if email is None:
        errors = {"email": _("Enter your email address, like name@example.com.")}
        return _render(
            request,
            login,
            "signin_email.html",
            status=400,
            expired_session=session,
            email=forms.text(form, "email")[:254],
            errors=errors,
        )
    table = pages.table_of(request)
    try:
        signin.check_client(_client_ip(request), table=table)
        to_send = signin.request_code(login, email, table=table)
    except signin.TooManyRequests:
        return _rate_limited(request, login)
    if to_send is not None:
        locale = to_send.customer.preferred_locale or locale_of(request, None)
        try:
            send_code(login.scope, to=to_send.to, code=to_send.code, locale=locale, table=table)
        except BillingError as error:
            # Answered like any other address (the page must not say whose it is); the code is
            # not in the log, nor the address.
            logger.error(
                "sign-in code not sent", extra={"error_type": type(error).__name__, "customer": to_send.customer.id}
            )
    await asyncio.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))
    return _render(request, login, "signin_code.html", expired_session=session, email=email, errors={})


async def check(request: Request) -> Response:
    """POST /login/{configuration}/code: the code for a signed-in browser."""
    login = _login_page(request)
    form = await _checked(request)
    session = _expired_session(forms.single(form, "session"))
    email = signin.normalise_email(forms.text(form, "email"))
    code = re.sub(r"[\s-]", "", forms.text(form, "code"))[:32]
    table = pages.table_of(request)
    try:
        signin.check_client(_client_ip(request), table=table)
    except signin.TooManyRequests:
        return _rate_limited(request, login)
    opened: tuple[PortalSession, str] | None = None
    if email is not None:
        opened = signin.verify_code(
            login,
            email,
            code,
            expired_session=session,
            return_url=signin.login_url(login, table=table),
            locale="auto",
            request=pages.request_info(request),
            table=table,
        )
    if opened is None:
        _ = forms.gettext_for(request, None)
        errors = {"code": _("That code is wrong or has expired. Check it, or ask for a new one.")}
        return _render(
            request, login, "signin_code.html", status=400, expired_session=session, email=email or "", errors=errors
        )
    response = pages.signed_in_redirect(*opened)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


async def unavailable(request: Request, _: Exception) -> Response:
    return page(request, "not_found.html", None, status=404)


def expired_offer(request: Request, session: PortalSession | None) -> str | None:
    """For the "session expired" screen: where to sign in again, when the session's
    configuration has its login page (and the expired session chooses the flow)."""
    if session is None:
        return None
    try:
        path = signin.login_path_for(session, table=pages.table_of(request))
    except BillingError:
        return None
    return f"{path}?session={session.id}" if path else None


ROUTES = [
    Route("/login/{configuration_id}", email_form, methods=["GET"]),
    Route("/login/{configuration_id}", send, methods=["POST"]),
    Route("/login/{configuration_id}/code", check, methods=["POST"]),
]
