"""A real moto server on a free loopback port, for tests that cross a process boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from local.ports import free_port, free_ports

__all__ = ["free_port", "free_ports", "moto_server"]


@contextmanager
def moto_server() -> Iterator[str]:
    """Starts moto's server and yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
