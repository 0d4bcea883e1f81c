"""The Starlette application: routes, error screens, and the headers every response carries."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from billing.kernel.errors import BillingError
from billing.portal.portalsessions import SessionUnavailable
from portal_site import billing_details, invoices, pages, payment_methods, subscriptions
from portal_site.rendering import HERE, page
from portal_site.security import SecurityHeadersMiddleware

logger = Logger(service="portal")


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok", "function": "portal"})


async def not_found(request: Request, _: Exception) -> Response:
    return page(request, "not_found.html", None, status=404)


async def session_expired(request: Request, error: Exception) -> Response:
    session = error.session if isinstance(error, SessionUnavailable) else None
    return page(request, "expired.html", session, status=410)


async def form_expired(request: Request, _: Exception) -> Response:
    return page(request, "error.html", None, status=403, reason="form")


async def billing_error(request: Request, error: Exception) -> Response:
    status = error.status if isinstance(error, BillingError) else 500
    if status >= 500:
        return page(request, "error.html", None, status=503, reason="busy")
    return page(request, "error.html", None, status=status, reason="request")


async def unexpected(request: Request, error: Exception) -> Response:
    logger.exception("unhandled portal error", extra={"error_type": type(error).__name__})
    return page(request, "error.html", None, status=500, reason="internal")


async def http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    if status == 404:
        return await not_found(request, error)
    return page(request, "error.html", None, status=status, reason="request")


def create_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/session/{session_id}", pages.landing, methods=["GET"]),
            Route("/session/{session_id}/exchange", pages.exchange, methods=["POST"]),
            Route("/", pages.home, methods=["GET"]),
            Route("/return", pages.return_to_merchant, methods=["POST"]),
            *payment_methods.ROUTES,
            *invoices.ROUTES,
            *billing_details.ROUTES,
            *subscriptions.ROUTES,
            Route("/assets/logo/{account}/{mode}/{digest}", pages.logo, methods=["GET"]),
            Route("/assets/theme/{accent}.css", pages.theme, methods=["GET"]),
            Mount("/assets/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={
            HTTPException: http_error,
            SessionUnavailable: session_expired,
            pages.WrongHost: not_found,
            pages.FeatureDisabled: not_found,
            pages.CsrfRejected: form_expired,
            BillingError: billing_error,
            Exception: unexpected,
        },
    )
