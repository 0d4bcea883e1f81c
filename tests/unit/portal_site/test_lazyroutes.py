"""The portal's parts imported on a request under their paths: matched where they stand, once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from tests.support.functions import cold_start_json, import_function_module

lazyroutes = import_function_module("portal", "portal_site.lazyroutes")
site = import_function_module("portal", "portal_site.site")


async def _named(request: Request) -> Response:
    return PlainTextResponse(f"{request.scope['endpoint'].__name__} {dict(request.path_params)}")


async def first(request: Request) -> Response:
    return await _named(request)


async def second(request: Request) -> Response:
    return await _named(request)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status_code, self.headers, self.text = status, headers, text


def call(app: Starlette, method: str, path: str) -> Answer:
    """One HTTP request through the ASGI app."""
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    scope |= {"headers": [], "root_path": "", "scheme": "http", "server": ("testserver", 80), "http_version": "1.1"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], headers, body.decode())


class Loader:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = routes
        self.calls = 0

    def __call__(self) -> Sequence[BaseRoute]:
        self.calls += 1
        return self.routes


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("/invoices", "/invoices", True),
        ("/invoices/inv_1/pay", "/invoices", True),
        ("/invoices/inv_1/pay", "/invoices/*/pay", True),
        ("/invoices/inv_1/pdf", "/invoices/*/pay", False),
        ("/invoices/inv_1", "/invoices/*/pay", False),
        ("/invoices-old", "/invoices", False),
        ("/i", "/i", True),
        ("/", "/i", False),
    ],
)
def test_a_path_is_under_a_prefix_segment_by_segment(path: str, prefix: str, expected: bool) -> None:
    assert lazyroutes.under(path, prefix) is expected


def test_routes_a_request_under_the_prefixes_might_miss_are_named() -> None:
    routes = [
        Route("/x/{id}", first),
        Route("/y", first),
        Route("/x/{rest:path}", first),
        Mount("/x/static", app=PlainTextResponse("")),
    ]
    assert lazyroutes.outside(routes, ["/x"]) == ["/y", "/x/{rest:path}", "/x/static"]


def test_a_part_is_imported_on_the_first_request_under_its_paths_and_matched_in_place() -> None:
    # Given a part whose routes stand between two others, the first of which shadows one of them
    part = Loader([Route("/x/{id}", first, methods=["GET"]), Route("/x/new", second, methods=["GET", "POST"])])
    app = Starlette(
        routes=[
            Route("/x/new", first, methods=["POST"]),
            lazyroutes.LazyRoutes("part", ("/x",), part),
            Route("/x/{id}", second, methods=["DELETE"]),
        ]
    )
    # When requests outside its paths come, it is not imported
    assert call(app, "GET", "/elsewhere").status_code == 404
    assert call(app, "POST", "/x/new").text == "first {}"
    assert part.calls == 0
    # When one comes under them, it is, once, and its routes answer in their order
    assert call(app, "GET", "/x/new").text == "first {'id': 'new'}"
    assert call(app, "GET", "/x/7").text == "first {'id': '7'}"
    assert part.calls == 1
    # And a method no route of the path takes is the 405 of the first route that takes the path
    refused = call(app, "PUT", "/x/7")
    assert refused.status_code == 405 and set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}
    # And a route after it still answers what the part does not take
    assert call(app, "DELETE", "/x/7").text == "second {'id': '7'}"


def test_a_part_with_a_route_outside_its_paths_is_refused_on_import() -> None:
    app = Starlette(routes=[lazyroutes.LazyRoutes("part", ("/x",), Loader([Route("/y", first)]))])
    with pytest.raises(RuntimeError, match="outside its prefixes"):
        call(app, "GET", "/x")


def test_threads_asking_at_once_import_a_part_once() -> None:
    part = Loader([Route("/x", first)])
    lazy = lazyroutes.LazyRoutes("part", ("/x",), part)
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        assert len(lazy.routes) == 1

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert part.calls == 1


def test_the_portals_routes_are_its_parts_routes_in_their_places() -> None:
    # Given the parts of the portal (each imported, each route checked against its part's paths)
    parts = [import_function_module("portal", f"portal_site.{name}") for name in site.PARTS]
    # Then the portal lists them flat, in the order they are matched: the pages', then each part's
    paths = [(getattr(route, "path", None), getattr(route, "endpoint", None)) for route in site.create_app().routes]
    expected = [(route.path, getattr(route, "endpoint", None)) for part in parts for route in part.ROUTES]
    start = paths.index((expected[0][0], expected[0][1]))
    assert paths[start : start + len(expected)] == expected
    assert paths[:start][0][0] == "/health" and paths[-1][0] == "/assets/static"


def test_a_cold_start_imports_none_of_the_parts() -> None:
    code = (
        "import json, sys\n"
        "import app\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('portal_site.'))))\n"
    )
    loaded = set(cold_start_json("portal", code))
    assert "portal_site.pages" in loaded
    assert loaded.isdisjoint(f"portal_site.{name}" for name in site.PARTS)
