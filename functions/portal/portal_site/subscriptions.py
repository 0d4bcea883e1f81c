"""Subscription changes: plan or quantity after a preview, cancellation with survey and retention offer, renewal."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
