"""Invoice history: the list, one invoice with its lines, and its PDF."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
