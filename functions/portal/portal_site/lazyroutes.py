"""Route modules imported when a request first needs them.

A cold start imports the pages it serves and the billing services they call, never every
part of the portal. `LazyRoutes` stands in the route list where a module's `ROUTES` stood: a
request whose path is under one of its prefixes imports the module and is matched against
its routes, in their order, as they would have been in its place; any other path is no match,
without an import. A route outside its module's prefixes fails the module's import, so a path
can never miss a route that takes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it ("*" in a prefix: any one segment)."""
    segments, wanted = _segments(path), _segments(prefix)
    return len(segments) >= len(wanted) and all(w in ("*", s) for w, s in zip(wanted, segments, strict=False))


def outside(routes: Sequence[BaseRoute], prefixes: Sequence[str]) -> list[str]:
    """The routes (by path) a request under `prefixes` might not reach: a path outside them, a
    parameter that spans segments (`{rest:path}`), or a route that is not a plain `Route`."""
    return [
        getattr(route, "path", repr(route))
        for route in routes
        if not isinstance(route, Route)
        or ":path}" in route.path
        or not any(under(route.path, prefix) for prefix in prefixes)
    ]


class LazyRoutes(BaseRoute):
    """The routes `load()` returns, imported on the first request under one of `prefixes`."""

    def __init__(self, name: str, prefixes: Sequence[str], load: Callable[[], Sequence[BaseRoute]]) -> None:
        self.name = name
        self.prefixes = tuple(prefixes)
        self._load = load
        self._routes: Sequence[BaseRoute] | None = None
        # Mangum runs one request at a time, but the local stack and the race tests do not.
        self._loading = threading.Lock()

    @property
    def routes(self) -> Sequence[BaseRoute]:
        """The module's routes (imported now if they were not yet)."""
        if self._routes is None:
            with self._loading:
                if self._routes is None:
                    routes = list(self._load())
                    stray = outside(routes, self.prefixes)
                    if stray:
                        raise RuntimeError(f"{self.name} has routes outside its prefixes {self.prefixes}: {stray}")
                    self._routes = routes
        return self._routes

    def _wanted(self, scope: Scope) -> bool:
        return scope["type"] == "http" and any(under(get_route_path(scope), prefix) for prefix in self.prefixes)

    def _match(self, scope: Scope) -> tuple[Match, Scope, BaseRoute | None]:
        """The first route that takes the request, else the first that takes its path (a 405)."""
        if not self._wanted(scope):
            return Match.NONE, {}, None
        partial: tuple[Match, Scope, BaseRoute | None] = (Match.NONE, {}, None)
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, child_scope, route
            if match is Match.PARTIAL and partial[2] is None:
                partial = (match, child_scope, route)
        return partial

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope, _ = self._match(scope)
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The router merged the chosen route's child scope in: matching again finds that route.
        _, _, route = self._match(scope)
        if route is None:  # pragma: no cover - the router calls handle only after a match
            raise RuntimeError(f"{self.name}: handle without a matching route")
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, prefixes={self.prefixes!r})"
