"""Per-key request limits of the merchant API: a token bucket per secret key, in this container.

What it bounds, plainly: the requests one key gets served by one API container, `API_KEY_RATE_LIMIT`
a second with a burst of twice that (template.yaml sets it; unset, as on the local stack and in
most tests, there is no per-key limit); past it the key gets a 429 `rate_limited` (Retry-After: 1,
by which time a token has come back) before any route or table work. It is not a bound across
containers: a key spread over n containers gets up to n times the rate, n at most the API's
reserved concurrency. A shared counter in the table would bound it everywhere, at a DynamoDB write
per request; HTTP APIs take no usage plan or WAF. The stage's and the routes' throttles bound all
clients together (docs/operations.md).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from billing.kernel.errors import RateLimited

KEYS_KEPT = 10_000  # buckets kept per container (least recently used dropped: a dropped key starts full)


class Buckets:
    """Token buckets by key: `rate` tokens a second, at most `burst`; `take` spends one."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, burst
        self._now = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()  # one request at a time in Lambda, not in the local stack

    def take(self, key: str) -> bool:
        now = self._now()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > KEYS_KEPT:
                self._buckets.popitem(last=False)
            return allowed


_buckets: Buckets | None = None


def _limits() -> Buckets | None:
    """This container's buckets at the configured rate (read each time: the tests change it)."""
    global _buckets
    configured = os.environ.get("API_KEY_RATE_LIMIT", "").strip()
    if not configured:
        return None
    rate = float(configured)
    if _buckets is None or _buckets.rate != rate:
        _buckets = Buckets(rate, 2 * rate)
    return _buckets


def check(key_id: str) -> None:
    """Spends one of the key's tokens; RateLimited (429 `rate_limited`) when it has none left."""
    buckets = _limits()
    if buckets is not None and not buckets.take(key_id):
        raise RateLimited("Too many requests with this key; retry after the Retry-After header's seconds.")
