"""POSTs to webhook receivers: pooled connections, one wall-clock deadline per attempt, no redirects.

The receiver's host is resolved here and every address must be allowed by the egress policy
(public; loopback only where the local stack enables it, in test mode); the connection then
goes to the checked address (TLS still verifies the host name), so a DNS answer that changes
between the check and the connect cannot reach a private network.

An attempt (connect, TLS, sending, the answer's headers and the first `SNIPPET_BYTES` of its
body) ends at its deadline whatever the receiver does: per-operation socket timeouts alone let
a receiver that trickles a byte a second hold the attempt for ever, so a watchdog shuts the
socket down at the deadline (`_Attempt`). The rest of an answer is never read: a connection
whose answer was not read whole is closed, not drained, and only a complete one is reused.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from billing.webhooks import egress
from billing.webhooks.deliveries import Response

SNIPPET_BYTES = 2048
POOL_SIZE = 4
_pools: dict[tuple[str, str, str, int], urllib3.HTTPConnectionPool] = {}
_local = threading.local()  # the attempt this thread is making (its connections register with it)


class _Attempt:
    """One attempt's deadline: at `seconds`, every connection it used has its socket shut down,
    which ends any read or write blocked on it (the thread making the attempt sees an error)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[_Watched] = []
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self, started: float) -> float:
        return max(0.001, self.seconds - (time.monotonic() - started))

    def watch(self, connection: _Watched) -> None:
        with self._lock:
            if connection not in self._connections:
                self._connections.append(connection)
            if self.expired:
                connection.cut()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for connection in self._connections:
                connection.cut()

    def __enter__(self) -> _Attempt:
        _local.attempt = self
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()
        _local.attempt = None


class _Watched(HTTPConnection):
    """A connection that registers with the current attempt, keeping a duplicate of its socket's
    descriptor from the moment it connects (before TLS wraps it), so the attempt's watchdog can
    shut it down during the handshake as well as after."""

    _watch: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._forget_watch()
        self._watch = sock.dup()
        self._register()
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._register()
        super().request(*args, **kwargs)

    def _register(self) -> None:
        attempt: _Attempt | None = getattr(_local, "attempt", None)
        if attempt is not None:
            attempt.watch(self)

    def cut(self) -> None:
        """Ends whatever is blocked on this connection (called from the watchdog's thread)."""
        if self._watch is not None:
            with contextlib.suppress(OSError):
                self._watch.shutdown(socket.SHUT_RDWR)

    def _forget_watch(self) -> None:
        if self._watch is not None:
            with contextlib.suppress(OSError):
                self._watch.close()
            self._watch = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._forget_watch()


class _WatchedHTTPS(_Watched, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Watched


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


def _pool(scheme: str, host: str, port: int, allow_loopback: bool) -> urllib3.HTTPConnectionPool:
    """A pool to one checked address of `host`: PermissionError when any of its addresses is one
    webhooks may not reach, or when it is plain http to anything but this machine."""
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    allowed = sorted(a for a in addresses if egress.address_reachable(a, allow_loopback))
    if not addresses or len(allowed) != len(addresses):
        raise PermissionError(f"{host} resolves to an address webhooks may not reach")
    address = allowed[0]
    if scheme == "http" and not (allow_loopback and egress.is_loopback(address)):
        raise PermissionError("http is allowed only to this machine, where the local stack enables it")
    key = (scheme, host, address, port)
    if key not in _pools:
        if scheme == "http":
            _pools[key] = _HTTPPool(address, port, maxsize=POOL_SIZE, retries=False)
        else:
            _pools[key] = _HTTPSPool(
                address, port, maxsize=POOL_SIZE, retries=False, server_hostname=host, assert_hostname=host
            )
    return _pools[key]


def _read_snippet(response: urllib3.BaseHTTPResponse) -> tuple[bytes, bool]:
    """The first SNIPPET_BYTES of the body as sent (not decompressed), and whether that was all
    of it; what arrived before an error (the deadline's included) is kept."""
    got = b""
    try:
        while len(got) < SNIPPET_BYTES:
            chunk = response.read1(SNIPPET_BYTES - len(got), decode_content=False)
            if not chunk:
                return got, True
            got += chunk
        return got, response.closed
    except (urllib3.exceptions.HTTPError, OSError):
        return got, False


def send(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_loopback: bool) -> Response:
    """One POST of `body` to `url`, within `timeout` seconds of wall clock in all."""
    started = time.monotonic()

    def answer(status: int | None, snippet: bytes = b"", error: str | None = None) -> Response:
        text = snippet.decode("utf-8", "replace")
        return Response(status, int((time.monotonic() - started) * 1000), text, error)

    late = f"No answer within {timeout:g} s."
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with _Attempt(timeout) as attempt:
        try:
            pool = _pool(scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80), allow_loopback)
            left = attempt.remaining(started)
            response = pool.urlopen(
                "POST", path, body=body, headers={**headers, "host": parts.netloc},
                timeout=urllib3.Timeout(connect=left, read=left), redirect=False, preload_content=False,
                release_conn=False,
            )  # fmt: skip
        except PermissionError as refused:
            return answer(None, error=str(refused))
        except urllib3.exceptions.TimeoutError:
            return answer(None, error=late)
        except (urllib3.exceptions.HTTPError, OSError) as failed:
            return answer(None, error=late if attempt.expired else f"Could not connect: {type(failed).__name__}.")
        snippet, whole = b"", False
        try:
            snippet, whole = _read_snippet(response)
        finally:
            if attempt.expired or not whole:
                response.close()  # closes the connection: the rest of the answer is never read
            response.release_conn()
    return answer(response.status, snippet)
