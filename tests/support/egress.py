"""Where tests may send webhooks (a pytest plugin tests/conftest.py loads).

Every test runs as the local stack does: loopback URLs enabled (`egress.LOOPBACK_SETTING`), so
receivers on 127.0.0.1 can be used in test mode; a test that shows the deployed policy removes
the setting. The egress policy resolves every host in both modes, so names under the reserved
example domains (RFC 2606: example, example.com/.net/.org, test) answer a public address here,
without the network; `.invalid` never resolves; any other name goes to the system resolver.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from billing.webhooks import egress

# A public address (no documentation or private range) the example names stand for.
EXAMPLE_ADDRESS = "93.184.216.34"
_EXAMPLE_SUFFIXES = ("example", "example.com", "example.net", "example.org", "test")


def _is_under(host: str, suffixes: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith(f".{s}") for s in suffixes)


def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback URLs enabled and the example names resolved without the network, on `monkeypatch`
    (a module-scoped fixture passes its own `pytest.MonkeyPatch.context()`)."""
    monkeypatch.setenv(egress.LOOPBACK_SETTING, "1")
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and _is_under(host, ("invalid",)):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if isinstance(host, str) and _is_under(host, _EXAMPLE_SUFFIXES):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (EXAMPLE_ADDRESS, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def loopback_and_example_names(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    stand_in(monkeypatch)
    yield
