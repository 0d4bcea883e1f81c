"""Free loopback ports for servers a test or a bench starts."""

from __future__ import annotations

import random
import socket


def free_port() -> int:
    """A loopback port free now, below the ephemeral range (32768 and up on Linux). A port the
    kernel hands out for binding 0 comes from that range, where any outgoing connection may take
    it before the server that was meant to have it binds (a CI run's local stack once failed so)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)  # noqa: S311 - a port, not a secret
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port between 20000 and 32000")


def free_ports(count: int) -> list[int]:
    """`count` different free ports (for one local stack's servers)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports
