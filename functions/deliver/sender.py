"""POSTs to webhook receivers: pooled connections, one overall timeout, no redirects.

In live mode the receiver's host is resolved here and every address must be public; the
connection then goes to the checked address (TLS still verifies the host name), so a DNS
answer that changes between the check and the connect cannot reach the merchant's network.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import urllib3

from billing.webhooks import egress
from billing.webhooks.deliveries import Response

SNIPPET_BYTES = 2048
_pool = urllib3.PoolManager(num_pools=50, maxsize=4, retries=False)
_pinned: dict[tuple[str, str, int], urllib3.HTTPSConnectionPool] = {}


def _public_pool(host: str, port: int) -> urllib3.HTTPSConnectionPool:
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    allowed = sorted(a for a in addresses if egress.address_allowed(str(a)))
    if not addresses or len(allowed) != len(addresses):
        raise PermissionError(f"{host} resolves to an address webhooks may not reach")
    address = str(allowed[0])
    key = (host, address, port)
    if key not in _pinned:
        _pinned[key] = urllib3.HTTPSConnectionPool(
            address, port, maxsize=4, retries=False, server_hostname=host, assert_hostname=host
        )
    return _pinned[key]


def send(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Response:
    started = time.monotonic()

    def answer(status: int | None, snippet: str = "", error: str | None = None) -> Response:
        return Response(status, int((time.monotonic() - started) * 1000), snippet, error)

    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    try:
        if allow_private:
            response = _pool.urlopen(
                "POST", url, body=body, headers=headers, timeout=urllib3.Timeout(total=timeout),
                redirect=False, preload_content=False,
            )  # fmt: skip
        else:
            pool = _public_pool(host, parts.port or 443)
            response = pool.urlopen(
                "POST", path, body=body, headers={**headers, "host": parts.netloc},
                timeout=urllib3.Timeout(total=timeout), redirect=False, preload_content=False,
            )  # fmt: skip
    except PermissionError as refused:
        return answer(None, error=str(refused))
    except urllib3.exceptions.TimeoutError:
        return answer(None, error=f"No answer within {timeout:g} s.")
    except (urllib3.exceptions.HTTPError, OSError) as failed:
        return answer(None, error=f"Could not connect: {type(failed).__name__}.")
    try:
        snippet = response.read(SNIPPET_BYTES).decode("utf-8", "replace")
        response.drain_conn()
    except (urllib3.exceptions.HTTPError, OSError):
        snippet = ""
    finally:
        response.release_conn()
    return answer(response.status, snippet)
