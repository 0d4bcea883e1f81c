"""The Starlette application: routes, error screens, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles

from billing.invoicing.hostedinvoices import LinkUnavailable
from billing.kernel import correlation
from billing.kernel.errors import BillingError
from billing.portal.portalsessions import SessionUnavailable
from billing.portal.records import PortalSession
from portal_site import pages
from portal_site.lazyroutes import LazyRoutes
from portal_site.rendering import HERE, page
from portal_site.security import SecurityHeadersMiddleware

logger = Logger(service="portal")
correlation.install(logger)


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok", "function": "portal"})


def _checked_session(request: Request) -> PortalSession | None:
    """The session a page already checked on this request (no second look at the store)."""
    who = getattr(request.state, "signed_in", None)
    return who.session if isinstance(who, pages.SignedIn) else None


def _error_page(request: Request, name: str, session: PortalSession | None, *, status: int, **context: Any) -> Response:
    """An error screen: inside a valid session in the merchant's brand and the session's
    language, with the navigation and the way back to the overview."""
    return page(request, name, session, status=status, signed_in=session is not None, **context)


async def not_found(request: Request, _: Exception) -> Response:
    # The same answer for an unknown address, a part of the portal the configuration leaves
    # out, and an object that is not (or no longer) the customer's: nothing tells them apart.
    who = pages.signed_in_or_none(request)
    return _error_page(request, "not_found.html", who.session if who else None, status=404)


async def wrong_host(request: Request, _: Exception) -> Response:
    # The session belongs to another host: its brand is not shown here.
    return page(request, "not_found.html", None, status=404)


async def session_expired(request: Request, error: Exception) -> Response:
    from portal_site import signin

    session = error.session if isinstance(error, SessionUnavailable) else None
    return page(request, "expired.html", session, status=410, sign_in=signin.expired_offer(request, session))


def _reopen_path(request: Request) -> str | None:
    """The address of the page a refused form came from, when that page can be opened again
    (with the query a form keeps in its action: the page needs it)."""
    scope = {"type": "http", "path": request.url.path, "method": "GET"}
    for route in request.app.router.routes:  # the parts not imported yet are imported if the path is theirs
        if isinstance(route, Route | LazyRoutes) and route.matches(scope)[0] is Match.FULL:
            query = request.url.query
            return f"{request.url.path}?{query}" if query else request.url.path
    return None


async def form_expired(request: Request, _: Exception) -> Response:
    return _error_page(
        request, "error.html", _checked_session(request), status=403, reason="form", reopen=_reopen_path(request)
    )


async def billing_error(request: Request, error: Exception) -> Response:
    status = error.status if isinstance(error, BillingError) else 500
    session = _checked_session(request)
    if status >= 500:
        return _error_page(request, "error.html", session, status=503, reason="busy")
    return _error_page(request, "error.html", session, status=status, reason="request")


async def unexpected(request: Request, error: Exception) -> Response:
    logger.exception("unhandled portal error", extra={"error_type": type(error).__name__})
    return _error_page(request, "error.html", _checked_session(request), status=500, reason="internal")


async def http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    if status == 404:
        return await not_found(request, error)
    who = pages.signed_in_or_none(request)
    return _error_page(request, "error.html", who.session if who else None, status=status, reason="request")


async def link_unavailable(request: Request, error: Exception) -> Response:
    from portal_site import hosted_invoice

    return await hosted_invoice.link_unavailable(request, error)


async def login_unavailable(request: Request, error: Exception) -> Response:
    from portal_site import signin

    return await signin.unavailable(request, error)


# The parts of the portal, each imported with the first request under its paths (`LazyRoutes`)
# and matched where it stands in the route list, in this order.
PARTS: dict[str, tuple[str, ...]] = {
    "payment_methods": ("/payment-methods", "/invoices/*/pay", "/invoices/*/authentication", "/invoices/*/complete"),
    "invoices": ("/invoices",),
    "hosted_invoice": ("/i",),
    "billing_details": ("/billing-details",),
    "subscriptions": ("/subscriptions",),
    "signin": ("/login",),
}


def _part_routes(name: str) -> Sequence[BaseRoute]:
    # One import a part, spelled out: the bundle checks (tests/support/imports.py) follow them.
    match name:
        case "payment_methods":
            from portal_site import payment_methods

            return payment_methods.ROUTES
        case "invoices":
            from portal_site import invoices

            return invoices.ROUTES
        case "hosted_invoice":
            from portal_site import hosted_invoice

            return hosted_invoice.ROUTES
        case "billing_details":
            from portal_site import billing_details

            return billing_details.ROUTES
        case "subscriptions":
            from portal_site import subscriptions

            return subscriptions.ROUTES
        case "signin":
            from portal_site import signin

            return signin.ROUTES
    raise KeyError(name)


class Portal(Starlette):
    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, in the order they are matched, the parts `LazyRoutes` holds imported now
        (the router matches a request against its own list, importing only what it needs)."""
        return [
            inner
            for route in self.router.routes
            for inner in (route.routes if isinstance(route, LazyRoutes) else [route])
        ]


def create_app() -> Starlette:
    return Portal(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/session/{session_id}", pages.landing, methods=["GET"]),
            Route("/session/{session_id}/exchange", pages.exchange, methods=["POST"]),
            Route("/", pages.home, methods=["GET"]),
            Route("/return", pages.return_to_merchant, methods=["POST"]),
            *(LazyRoutes(name, prefixes, partial(_part_routes, name)) for name, prefixes in PARTS.items()),
            Route("/assets/logo/{account}/{mode}/{digest}", pages.logo, methods=["GET"]),
            Route("/assets/theme/{accent}.css", pages.theme, methods=["GET"]),
            Mount("/assets/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={
            HTTPException: http_error,
            SessionUnavailable: session_expired,
            LinkUnavailable: link_unavailable,
            pages.WrongHost: wrong_host,
            pages.LoginUnavailable: login_unavailable,
            pages.FeatureDisabled: not_found,
            pages.CsrfRejected: form_expired,
            BillingError: billing_error,
            Exception: unexpected,
        },
    )
