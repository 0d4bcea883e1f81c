"""The portal's routes: the link's landing page, the exchange, the home page, the return.

Every route that shows customer data goes through `signed_in`: cookie → session → not
revoked, not expired (by the clock now) → that session's customer, on a host that serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from billing.accounts import branding
from billing.kernel import clock, correlation
from billing.kernel.errors import BillingError, NotFound
from billing.kernel.scope import RequestInfo, Scope
from billing.portal import portalsessions
from billing.portal.portalsessions import SessionUnavailable
from billing.portal.records import Flow, PortalSession
from billing.store.repository import Table
from portal_site import cookies, forms
from portal_site.rendering import page

# Runs once on the landing page: the secret leaves the URL (and the history) and is posted to
# the exchange. It is the only script the portal has, allowed by its hash in the CSP.
EXCHANGE_SCRIPT = (
    "(function () {"
    ' var form = document.getElementById("exchange");'
    " var secret = window.location.hash.slice(1);"
    ' history.replaceState(null, "", window.location.pathname);'
    " if (secret) { form.elements.secret.value = secret; form.submit(); }"
    ' else { document.getElementById("signing").hidden = true;'
    ' document.getElementById("incomplete").hidden = false; }'
    " })();"
)
_SESSION_ID = re.compile(r"^bps_[A-Za-z0-9]{1,60}\Z")


class WrongHost(Exception):
    """The session belongs to an account whose portal is served on another host."""


class CsrfRejected(Exception):
    """A form came back without the token bound to this session."""


class FeatureDisabled(Exception):
    """The session's configuration does not offer this part of the portal: a 404."""


class LoginUnavailable(Exception):
    """No such login page (unknown configuration, page disabled, another host): a 404. (Raised
    by `signin`; here so that the site registers its handler without importing the sign-in pages.)"""


class CustomersObject(Protocol):
    """A record that belongs to one customer (a subscription, an invoice, a payment method)."""

    @property
    def customer(self) -> str: ...


Owned = TypeVar("Owned", bound=CustomersObject)


class SignedIn(msgspec.Struct, frozen=True):
    session: PortalSession
    cookie: cookies.PortalCookie
    table: Table  # the request's table, handed to every service the page calls

    @property
    def scope(self) -> Scope:
        return self.session.scope

    @property
    def customer_id(self) -> str:
        return self.session.customer

    @property
    def csrf(self) -> str:
        return cookies.csrf_token(self.cookie)

    @property
    def features(self) -> dict[str, Any]:
        return self.session.features

    def require(self, feature: str) -> dict[str, Any]:
        """The feature's settings, or FeatureDisabled when the configuration leaves it out."""
        settings = self.features.get(feature) or {}
        if not settings.get("enabled"):
            raise FeatureDisabled(feature)
        return dict(settings)

    def request_info(self, request: Request) -> RequestInfo:
        """Where a change came from: this session, the browser's address and user agent."""
        return request_info(request, session=self.session.id)


def request_info(request: Request, *, session: str | None = None) -> RequestInfo:
    """Where a portal change came from: the browser's address and user agent, and the session
    when there is one (a hosted invoice page and the sign-in pages have none)."""
    return RequestInfo(
        source="portal",
        request_id=request.scope.get("aws.event", {}).get("requestContext", {}).get("requestId"),
        session=session,
        ip=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:512] or None,
    )


def owned(
    who: SignedIn,
    fetch: Callable[..., Owned],
    object_id: str,
    pattern: re.Pattern[str],
    *,
    shown: Callable[[Owned], bool] = lambda _: True,
) -> Owned:
    """One of the signed-in customer's objects, or a 404 that says nothing more: a malformed,
    unknown, another customer's or another account's ID all look the same."""
    if not pattern.match(object_id):
        raise HTTPException(404)
    try:
        found = fetch(who.scope, object_id, table=who.table)
    except NotFound:
        raise HTTPException(404) from None
    if found.customer != who.customer_id or not shown(found):
        raise HTTPException(404)
    return found


def _check_host(request: Request, session: PortalSession) -> None:
    if not portalsessions.serves_host(session, request.headers.get("host")):
        raise WrongHost()


def table_of(request: Request) -> Table:
    """The table this request's services read and write through: one per request."""
    found = getattr(request.state, "table", None)
    if not isinstance(found, Table):
        found = request.state.table = Table()
    return found


def signed_in(request: Request) -> SignedIn:
    cookie = cookies.parse(request.cookies.get(cookies.COOKIE_NAME))
    if cookie is None:
        raise SessionUnavailable(None)
    table = table_of(request)
    session = portalsessions.authenticate(cookie.session_id, cookie.token, table=table)
    _check_host(request, session)
    correlation.bind(account=session.scope.account_id, mode=session.scope.mode)  # on the request's log lines
    who = request.state.signed_in = SignedIn(session, cookie, table)
    return who


def signed_in_or_none(request: Request) -> SignedIn | None:
    """The request's valid session, if it has one, for the error pages: the one a page already
    checked, else the cookie's (an unknown address). No cookie, an expired or revoked session,
    or one served on another host is None: those pages wear no merchant's brand."""
    found = getattr(request.state, "signed_in", None)
    if isinstance(found, SignedIn):
        return found
    try:
        return signed_in(request)
    except (SessionUnavailable, WrongHost, BillingError):
        return None


async def checked_form(request: Request, who: SignedIn) -> Any:
    form = await request.form()
    if not cookies.csrf_valid(who.cookie, form.get(cookies.CSRF_FIELD)):
        raise CsrfRejected()
    return form


def flow_path(flow: Flow | None) -> str:
    """Where a session opened for one action (a deep link) starts; the overview otherwise."""
    if flow is None:
        return "/"
    if flow.type == "payment_method_update":
        return "/payment-methods"
    if flow.type in ("subscription_cancel", "subscription_update"):
        action = "cancel" if flow.type == "subscription_cancel" else "update"
        return f"/subscriptions/{flow.subscription}/{action}"
    return "/"


def done(who: SignedIn, path: str, notice: str, *, flow: str | None = None) -> RedirectResponse:
    """After a change (post/redirect/get): back to `path` with its success banner, or, in a
    session opened for this one action (`flow`), back to the merchant."""
    session_flow = who.session.flow
    if flow is not None and session_flow is not None and session_flow.type == flow:
        return RedirectResponse(who.session.return_url, status_code=303)
    return RedirectResponse(f"{path}?done={notice}", status_code=303)


# ------------------------------------------------------------------ the link
async def landing(request: Request) -> Response:
    """GET /session/{id}: nothing is spent by fetching it (link scanners, previews)."""
    session_id = request.path_params["session_id"]
    session = portalsessions.load(session_id, table=table_of(request)) if _SESSION_ID.match(session_id) else None
    if session is None:
        raise SessionUnavailable(None)
    _check_host(request, session)
    if portalsessions.status(session) != "open":
        raise SessionUnavailable(session)
    return page(request, "landing.html", session, script=EXCHANGE_SCRIPT, session_id=session_id)


async def exchange(request: Request) -> Response:
    """POST /session/{id}/exchange: the secret for a cookie, once."""
    session_id = request.path_params["session_id"]
    if not _SESSION_ID.match(session_id):
        raise SessionUnavailable(None)
    form = await request.form()
    host = request.headers.get("host")
    try:
        session, token = portalsessions.exchange(session_id, forms.text(form, "secret"), host, table=table_of(request))
    except SessionUnavailable as refused:
        if refused.session is not None:
            _check_host(request, refused.session)
        raise
    return signed_in_redirect(session, token)


def signed_in_redirect(session: PortalSession, token: str) -> RedirectResponse:
    """The browser signed in to an exchanged session: its cookie, and on to the session's flow
    (the link's exchange and a sign-in code end the same way)."""
    response = RedirectResponse(flow_path(session.flow), status_code=303)
    expires = clock.from_epoch(session.expires_at)
    response.set_cookie(
        cookies.COOKIE_NAME,
        cookies.PortalCookie(session.id, token).value,
        max_age=max(0, int((expires - clock.now()).total_seconds())),
        expires=expires,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


# ------------------------------------------------------------------ signed in
async def home(request: Request) -> Response:
    """The overview: subscriptions, the credit balance and what it pays, the default payment
    method, billing details, the latest invoices, and the way back to the merchant; all from one
    read of the customer's items (and the tax rates for a customer with a billing country)."""
    # Imported with the first overview: the landing, the exchange and the assets need none of it.
    from billing.portal import credit, customerview, pricing

    who = signed_in(request)
    found = customerview.bundle(who.scope, who.customer_id, table=who.table)
    taxation = pricing.taxation(who.scope, found.customer, table=who.table)
    return page(
        request,
        "home.html",
        who.session,
        signed_in=True,
        form_redirect_to=who.session.return_url,
        customer=found.customer,
        subscriptions=[s for s in found.subscriptions if not s.canceled],
        ended=[s for s in found.subscriptions if s.canceled][:3],
        default_pm=found.default_payment_method,
        price_tax=taxation.note,
        credits=credit.outlooks(who.scope, found, taxation),
        invoices=[i for i in found.invoices if i.status != "draft"][:5],
        features=who.features,
        csrf=who.csrf,
        notice=request.query_params.get("done"),
        expires_at=clock.from_epoch(who.session.expires_at),
    )


async def return_to_merchant(request: Request) -> Response:
    """POST /return: ends the session (the link and the cookie are spent) and goes back."""
    who = signed_in(request)
    await checked_form(request, who)
    portalsessions.revoke(who.scope, who.session.id, table=who.table)
    response = RedirectResponse(who.session.return_url, status_code=303)
    response.delete_cookie(cookies.COOKIE_NAME, path="/", secure=True, httponly=True, samesite="strict")
    return response


# ------------------------------------------------------------------ assets
async def logo(request: Request) -> Response:
    """The account's logo by content hash, so that it can be cached for good."""
    params = request.path_params
    if not re.fullmatch(r"acct_[A-Za-z0-9]{1,40}", params["account"]) or params["mode"] not in ("test", "live"):
        return page(request, "not_found.html", None, status=404)
    accounts_scope = Scope(params["account"], params["mode"])
    brand = branding.get_branding(accounts_scope, table=table_of(request))
    content = branding.logo_content(brand)
    if content is None or branding.logo_hash(brand) != params["digest"]:
        return page(request, "not_found.html", None, status=404)
    media_type, body = content
    return Response(body, media_type=media_type, headers={"cache-control": "public, max-age=31536000, immutable"})


async def theme(request: Request) -> Response:
    """`/assets/theme/RRGGBB.css`: the accent colour and the text colour readable on it."""
    accent = request.path_params["accent"]
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", accent):
        return page(request, "not_found.html", None, status=404)
    on_accent = branding.text_color_for(f"#{accent}")
    css = f":root {{ --accent: #{accent}; --on-accent: {on_accent}; }}\n"
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=31536000, immutable"})
