"""The portal's routes: the link's landing page, the exchange, the home page, the return.

Every route that shows customer data goes through `signed_in`: cookie → session → not
revoked, not expired (by the clock now) → that session's customer, on a host that serves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from billing import branding, clock, customers, portalsessions
from billing.portalsessions import SessionUnavailable
from billing.repository import Item
from billing.scope import Scope
from portal_site import cookies
from portal_site.rendering import page

# Runs once on the landing page: the secret leaves the URL (and the history) and is posted to
# the exchange. It is the only script the portal has, allowed by its hash in the CSP.
EXCHANGE_SCRIPT = (
    "(function () {"
    ' var form = document.getElementById("exchange");'
    " var secret = window.location.hash.slice(1);"
    ' history.replaceState(null, "", window.location.pathname);'
    " if (secret) { form.elements.secret.value = secret; form.submit(); }"
    ' else { document.getElementById("incomplete").hidden = false; }'
    " })();"
)
_SESSION_ID = re.compile(r"^bps_[A-Za-z0-9]{1,60}$")


class WrongHost(Exception):
    """The session belongs to an account whose portal is served on another host."""


class CsrfRejected(Exception):
    """A form came back without the token bound to this session."""


@dataclass(frozen=True)
class SignedIn:
    session: Item
    cookie: cookies.PortalCookie

    @property
    def scope(self) -> Scope:
        return portalsessions.session_scope(self.session)

    @property
    def csrf(self) -> str:
        return cookies.csrf_token(self.cookie)


def _check_host(request: Request, session: Item) -> None:
    if not portalsessions.serves_host(session, request.headers.get("host")):
        raise WrongHost()


def signed_in(request: Request) -> SignedIn:
    cookie = cookies.parse(request.cookies.get(cookies.COOKIE_NAME))
    if cookie is None:
        raise SessionUnavailable(None)
    session = portalsessions.authenticate(cookie.session_id, cookie.token)
    _check_host(request, session)
    return SignedIn(session, cookie)


async def checked_form(request: Request, who: SignedIn) -> Any:
    form = await request.form()
    if not cookies.csrf_valid(who.cookie, form.get(cookies.CSRF_FIELD)):
        raise CsrfRejected()
    return form


# ------------------------------------------------------------------ the link
async def landing(request: Request) -> Response:
    """GET /session/{id}: nothing is spent by fetching it (link scanners, previews)."""
    session_id = request.path_params["session_id"]
    session = portalsessions.load(session_id) if _SESSION_ID.match(session_id) else None
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
    secret = form.get("secret")
    host = request.headers.get("host")
    try:
        session, token = portalsessions.exchange(session_id, secret if isinstance(secret, str) else "", host)
    except SessionUnavailable as refused:
        if refused.session is not None:
            _check_host(request, refused.session)
        raise
    response = RedirectResponse("/", status_code=303)
    expires = clock.from_epoch(session["expiresAt"])
    response.set_cookie(
        cookies.COOKIE_NAME,
        cookies.PortalCookie(session_id, token).value,
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
    who = signed_in(request)
    customer = customers.get(who.scope, who.session["customer"])
    return page(
        request,
        "home.html",
        who.session,
        form_redirect_to=who.session["returnUrl"],
        customer=customer,
        csrf=who.csrf,
        expires_at=clock.from_epoch(who.session["expiresAt"]),
    )


async def return_to_merchant(request: Request) -> Response:
    """POST /return: ends the session (the link and the cookie are spent) and goes back."""
    who = signed_in(request)
    await checked_form(request, who)
    portalsessions.revoke(who.scope, who.session["id"])
    response = RedirectResponse(who.session["returnUrl"], status_code=303)
    response.delete_cookie(cookies.COOKIE_NAME, path="/", secure=True, httponly=True, samesite="strict")
    return response


# ------------------------------------------------------------------ assets
async def logo(request: Request) -> Response:
    """The account's logo by content hash, so that it can be cached for good."""
    params = request.path_params
    if not re.fullmatch(r"acct_[A-Za-z0-9]{1,40}", params["account"]) or params["mode"] not in ("test", "live"):
        return page(request, "not_found.html", None, status=404)
    accounts_scope = Scope(params["account"], params["mode"])
    item = branding.get_branding(accounts_scope)
    content = branding.logo_content(item)
    if content is None or branding.logo_hash(item) != params["digest"]:
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
