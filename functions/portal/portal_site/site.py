"""The Starlette application: routes and the headers every portal response carries."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from portal_site.security import SecurityHeadersMiddleware


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok", "function": "portal"})


async def not_found(_: Request, __: Exception) -> Response:
    return PlainTextResponse("Not found", status_code=404)


def create_app() -> Starlette:
    return Starlette(
        routes=[Route("/health", health, methods=["GET"])],
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={404: not_found},
    )
