"""A template's HTTP API behind the local gateway, over HTTP on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local import gateway
from local.template import Function
from tests.support.motoserver import free_port


@contextmanager
def served(functions: list[Function], api: str, *, workers: int = 0) -> Iterator[gateway.Gateway]:
    """The gateway of `api` in front of its functions (in `workers` processes each, or this one),
    stopped with its workers when the block ends."""
    server = gateway.Gateway(api, gateway.routes_for(api, functions), free_port(), workers=workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()
