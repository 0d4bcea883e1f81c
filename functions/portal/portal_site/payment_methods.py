"""Payment methods: add a card or a SEPA mandate, remove one, make one the default, pay an open invoice."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
