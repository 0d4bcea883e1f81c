"""Billing details: name, email, phone, address and tax IDs, as the configuration allows."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
